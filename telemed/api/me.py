"""``/api/v1/me``: who the caller is."""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.auth.models import User
from telemed.auth.schemas import UserOutSchema

blp = Blueprint("me_api", __name__, url_prefix="/api/v1/me", description="The caller")


@blp.route("", methods=["GET"])
@blp.response(200, UserOutSchema)
@login_required
def me() -> User:
    """The account behind the session or token."""
    user: User = current_user  # Flask-Login's proxy, untyped; ``login_required`` made it a User
    return user
