"""telemed: a telemedicine tumour-board service. ``create_app`` builds the Flask app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

import config as config_module
from telemed.core import headers, proxies, transaction
from telemed.core.clock import Clock
from telemed.ops import logs, request_log

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config_name: str | None = None, config_override: dict[str, Any] | None = None
) -> Flask:
    """Build the app: configuration (validated), extensions, blueprints, CLI and errors."""
    settings = config_module.config_class(config_name)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=settings.INSTANCE_PATH,
    )
    app.config.from_object(settings)
    app.config.update(config_override or {})
    config_module.validate(app.config)
    logs.init_app(app)  # first: what follows may log
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # PostgreSQL's JIT spends 100-200 ms compiling each of the dashboard's aggregates,
        # longer than they take to run; short queries are this service's whole workload.
        # The default 4 MB of work_mem sends a state's monthly waiting times (360,000 rows
        # at 1M cases) to a sort on disk; 32 MB lets them group in memory (206 -> 121 ms).
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # A database that does not answer fails a request (and ``/readyz``) in 10 s rather
        # than after the operating system's two-minute TCP timeout.
        options["connect_args"] = {
            "options": "-c jit=off -c work_mem=32MB",
            "connect_timeout": 10,
            **options.get("connect_args", {}),
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.extensions["telemed.clock"] = app.config.get("CLOCK") or Clock()
    # How to build a sibling app on another database (the simulator's sandbox), without
    # the command that does it importing this module.
    app.extensions["telemed.factory"] = create_app
    # The background jobs' table, for the simulator to run them (the table runs the planner).
    from telemed import schedule

    app.extensions["telemed.jobs"] = schedule.job

    from telemed import extensions, i18n, models, reactions, web  # noqa: F401  (models: tables)

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    extensions.csrf.init_app(app)
    proxies.init_app(app)
    request_log.init_app(app)  # first hook in, last out (see its docstring)
    headers.init_app(app)
    transaction.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    reactions.connect()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from telemed.core.sqlite import enable_sqlite_pragmas

        with app.app_context():
            enable_sqlite_pragmas(extensions.db.engine)
    return app
