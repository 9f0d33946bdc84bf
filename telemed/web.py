"""Wiring of the web layer: login, blueprints, API, errors, template helpers and CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, ValidationError

from telemed import errors, templating
from telemed.auth import login
from telemed.core.schemas import MAX_ID
from telemed.extensions import api


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id from 1 to ``MAX_ID`` (the database's INTEGER).

    Any other number matches no route, so it answers 404 like an id that names nothing,
    instead of reaching the database and overflowing there (a 500)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID,
                 signed: bool = False) -> None:  # fmt: skip
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(self.max)):  # never parse thousands of digits
            raise ValidationError()
        return super().to_python(value)


def id_parameter(converter: IdConverter) -> dict[str, Any]:
    """The OpenAPI schema of an id in a path, with the bounds the converter enforces."""
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


api.register_converter(IdConverter, id_parameter)  # once: every ``api.init_app`` applies it


def init_app(app: Flask) -> None:
    # Before any blueprint adds a rule: rules take their converter when they are added.
    app.url_map.converters["int"] = IdConverter
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
    from telemed.ops.views import bp as ops_bp
    from telemed.preparation import views as preparation_views
    from telemed.referrals import views as referral_views
    from telemed.reports.views import bp as reports_bp
    from telemed.room import views as room_views
    from telemed.sessions.views import bp as sessions_bp
    from telemed.simulation.views import bp as planner_bp

    login.init_app(app)
    for blueprint in (home_bp, auth_bp, users_admin_bp, centres_bp, cases_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(boards_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(invites_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(planner_bp)
    app.register_blueprint(ops_bp)
    for module in (room_views, preparation_views, referral_views, agreement_views, minutes_views,
                   certificate_views):  # fmt: skip
        app.register_blueprint(module.bp)
    api.init_app(app)
    register_api(app)
    errors.init_app(app)
    templating.init_app(app)
    register_cli(app)
