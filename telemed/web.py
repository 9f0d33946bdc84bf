"""Wiring of the web layer: login, blueprints, API, errors, template helpers and CLI."""

from __future__ import annotations

from flask import Flask

from telemed import errors, templating
from telemed.auth import login
from telemed.extensions import api


def init_app(app: Flask) -> None:
    from telemed.agreements import views as agreement_views
    from telemed.api import register_api
    from telemed.audit.views import bp as audit_bp
    from telemed.auth.admin_views import bp as users_admin_bp
    from telemed.auth.views import bp as auth_bp
    from telemed.boards.views import bp as boards_bp
    from telemed.cases.views import bp as cases_bp
    from telemed.centres.views import bp as centres_bp
    from telemed.certificates import views as certificate_views
    from telemed.cli import register_cli
    from telemed.home import bp as home_bp
    from telemed.invites.feed_views import bp as feeds_bp
    from telemed.invites.views import bp as invites_bp
    from telemed.minutes import views as minutes_views
    from telemed.preparation import views as preparation_views
    from telemed.referrals import views as referral_views
    from telemed.reports.views import bp as reports_bp
    from telemed.room import views as room_views
    from telemed.sessions.views import bp as sessions_bp

    login.init_app(app)
    for blueprint in (home_bp, auth_bp, users_admin_bp, centres_bp, cases_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(boards_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(invites_bp)
    app.register_blueprint(reports_bp)
    for module in (room_views, preparation_views, referral_views, agreement_views, minutes_views,
                   certificate_views):  # fmt: skip
        app.register_blueprint(module.bp)
    api.init_app(app)
    register_api(app)
    errors.init_app(app)
    templating.init_app(app)
    register_cli(app)
