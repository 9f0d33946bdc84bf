"""The JSON API under ``/api/v1``, documented at ``/api/v1/openapi.json``.

Endpoints accept a session cookie (with a JSON body, which other sites cannot forge
without CORS) or a personal token: ``Authorization: Bearer tm_...``.
"""

from __future__ import annotations

from flask import Flask

from telemed.extensions import api, csrf


def register_api(app: Flask) -> None:
    from telemed.api import (
        agreements,
        boards,
        cases,
        centres,
        me,
        minutes,
        preparation,
        referrals,
        room,
        sessions,
        stats,
    )

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Personal API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    for module in (cases, centres, me, boards, sessions, room, referrals, agreements, minutes,
                   preparation, stats):  # fmt: skip
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
