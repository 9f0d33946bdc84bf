"""Keyset paging for the long lists (cases, sessions): a page is the rows after the last
one the caller saw, in a fixed order whose last column is the primary key, so rows with
the same date never repeat or go missing between pages, and a page costs the same on the
first page and the thousandth.

Counting every visible row on every page (what ``db.paginate`` does) was most of a case
list's database time at 100,000 cases. The count is now bounded: the same statement as
the page counts at most ``COUNT_LIMIT + 1`` rows, so the answer says "12 cases" exactly,
or "more than 1,000" (``total_exact`` false). Page numbers still work (an ``OFFSET``) for
the callers that use them; ``next`` is the way through a long list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, Row, Select, TypeDecorator, bindparam, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from telemed.core.errors import InputError
from telemed.core.schemas import MAX_ID
from telemed.core.sql import plain_rows
from telemed.extensions import db

T = TypeVar("T")

COUNT_LIMIT = 1000
CURSOR_PARAM = "after"
CURSOR_MAX = 200  # a sort key of a date and an id is about 50 characters
BAD_CURSOR = _l("This page link is no longer valid: start again from the first page.")


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page of a list. ``after`` is the cursor of the next page (``None`` on the last);
    ``total`` is exact when ``total_exact``, otherwise there are more than ``total``."""

    items: list[T]
    per_page: int
    page: int | None
    after: str | None
    total: int
    total_exact: bool

    def envelope(self, items: list[Any]) -> dict[str, Any]:
        """The JSON answer (``KeysetPageSchema``), with ``items`` already shaped."""
        return {
            "items": items,
            "per_page": self.per_page,
            "page": self.page,
            "next": next_url(self.after),
            "total": self.total,
            "total_exact": self.total_exact,
        }


class KeysetPageSchema(Schema):
    """What a keyset page answers (the subclass adds ``items``). Documentation only: the
    lists build the answer as plain dicts (``KeysetPage.envelope``); a test holds both to
    the same shape."""

    per_page = fields.Integer(required=True)
    page = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The page number asked for; null on a page reached by `next`."},
    )
    next = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Path and query of the next page (same filters, `after` set); "
            "null on the last page. Follow it to walk a long list."
        },
    )
    total = fields.Integer(
        required=True,
        metadata={
            "description": f"How many items match, counted up to {COUNT_LIMIT:,}: exact when "
            "`total_exact` is true, otherwise there are more than this many."
        },
    )
    total_exact = fields.Boolean(required=True)


def cursor_field() -> fields.String:
    """The ``after`` query parameter of a keyset list (its sort key is checked when used)."""
    return fields.String(
        allow_none=True,
        validate=validate.Length(max=CURSOR_MAX),
        metadata={"description": "Cursor from a `next` link: the page after it. Opaque."},
    )


def encode_cursor(values: Sequence[Any]) -> str:
    """The sort key of the last row shown, as a short URL-safe token."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, key: Sequence[InstrumentedAttribute[Any]]) -> tuple[Any, ...]:
    """The sort key a cursor carries, checked against the columns it is for; a cursor that
    was tampered with, cut short or made for another list is an input error (422)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(key):
            raise ValueError(token)
        return tuple(cursor_value(v, column) for v, column in zip(values, key, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError({CURSOR_PARAM: [str(BAD_CURSOR)]}) from None


def cursor_value(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    sql_type = column.type
    kind = (sql_type.impl_instance if isinstance(sql_type, TypeDecorator) else sql_type).python_type
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if kind is int and type(value) is int and -MAX_ID <= value <= MAX_ID:
        return value
    raise ValueError(value)


def next_url(after: str | None) -> str | None:
    """The next page's address (``None`` after the last page)."""
    return page_url(after) if after is not None else None


def page_url(after: str | None = None) -> str:
    """This list's address with the same filters: its first page, or the page after the
    cursor ``after`` (a page number is dropped either way)."""
    args: dict[str, Any] = dict(request.view_args or {})
    args.update((k, v) for k, v in request.args.items() if k not in ("page", CURSOR_PARAM))
    if after is not None:
        args[CURSOR_PARAM] = after
    return url_for(str(request.endpoint), **args)


def fetch_page(
    rows: Select[*tuple[Any, ...]],
    ids: Select[Any],
    key: Sequence[InstrumentedAttribute[Any]],
    make_item: Callable[[Row[*tuple[Any, ...]]], T],
    *,
    descending: bool,
    per_page: int,
    page: int = 1,
    after: str | None = None,
) -> KeysetPage[T]:
    """One page of ``rows`` (the list's columns, filtered) in ``key`` order, after the
    cursor ``after`` or else at page number ``page``. ``ids`` is the same filter over the
    ids alone: the bounded count reads it, in the same statement as the page."""
    width = len(key)
    bounded = select(func.count()).select_from(ids.order_by(None).limit(COUNT_LIMIT + 1).subquery())
    query = rows.add_columns(*key, bounded.scalar_subquery())
    order = [column.desc() if descending else column.asc() for column in key]
    query = query.order_by(*order).limit(per_page + 1)
    if after is not None:
        query = query.where(beyond(key, decode_cursor(after, key), descending))
        number = None
    else:
        query = query.offset((page - 1) * per_page)
        number = page
    found = plain_rows(query)
    shown = found[:per_page]
    if found:
        counted = int(found[0][-1])
    elif number == 1:
        counted = 0
    else:  # past the end: the page is empty, the list may not be
        counted = int(db.session.scalar(bounded) or 0)
    more = len(found) > per_page
    cursor = encode_cursor(shown[-1][-1 - width : -1]) if more else None
    return KeysetPage(
        items=[make_item(row) for row in shown],
        per_page=per_page,
        page=number,
        after=cursor,
        total=min(counted, COUNT_LIMIT),
        total_exact=counted <= COUNT_LIMIT,
    )


def beyond(
    key: Sequence[InstrumentedAttribute[Any]], values: tuple[Any, ...], descending: bool
) -> ColumnElement[bool]:
    """Rows after ``values`` in the list's order (a row comparison, which an index on the
    key columns serves directly on PostgreSQL and SQLite alike)."""
    bound = [bindparam(None, v, type_=column.type) for v, column in zip(values, key, strict=True)]
    if len(key) == 1:
        return key[0] < bound[0] if descending else key[0] > bound[0]
    return tuple_(*key) < tuple_(*bound) if descending else tuple_(*key) > tuple_(*bound)
