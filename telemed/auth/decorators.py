"""Role checks for views: a page for other roles answers 403 with a readable page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

from telemed.auth.models import Role

P = ParamSpec("P")
R = TypeVar("R")


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        # Flask-Login's decorator carries no types; it keeps the signature it is given.
        guarded: Callable[P, R] = login_required(checked)
        return wraps(view)(guarded)

    return decorator


admin_required = roles_required(Role.ADMIN)
