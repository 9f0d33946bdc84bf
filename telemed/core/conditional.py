"""Conditional GET for answers that change only when their data does (the figures): the
view computes an ETag from what the answer is made of, answers 304 when the client already
has it, and otherwise sends it with ``Cache-Control: private, no-cache`` — the browser or
API client may keep its copy but asks again every time. ``headers.py`` keeps that header
only on answers a view declared here (``revalidated``, ``revalidating``); every other
answer stays ``no-store``, whatever it set."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, g, request

REVALIDATE = "private, no-cache"


def etag_of(*parts: Any) -> str:
    """A strong ETag from everything the answer depends on."""
    return digest(json.dumps(parts, default=str, sort_keys=True))


def digest(text: str) -> str:
    """32 hex digits of SHA-256: the ETags and the keys of stored answers."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def client_has(etag: str) -> bool:
    return request.if_none_match.contains(etag)


def not_modified(etag: str) -> Response:
    return revalidated(Response(status=304), etag)


def revalidated(response: Response, etag: str) -> Response:
    revalidating()
    response.set_etag(etag)
    response.headers["Cache-Control"] = REVALIDATE
    return response


def revalidating() -> None:
    """This request's answer is to be revalidated by its ETag, not kept out of caches."""
    g.revalidate = True


def declared_revalidating(response: Response) -> bool:
    return bool(g.get("revalidate")) and "ETag" in response.headers
