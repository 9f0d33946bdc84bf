"""Paging envelopes shared by the API and the services that return pages."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from marshmallow import Schema, fields


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def page_envelope(pagination: Pagination) -> dict[str, Any]:
    """One page of objects; the endpoint's response schema dumps the items (once)."""
    return {
        "items": pagination.items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
    }
