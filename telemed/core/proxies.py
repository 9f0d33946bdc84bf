"""Believe the reverse proxy in front of the service, and nobody else.

Behind the HTTPS proxy the README documents, every request arrives from the proxy's address:
the per-address login limit would then lock every user out at once, and the audit log would
record the proxy. With ``TELEMED_PROXY_HOPS`` = *n*, Werkzeug's ``ProxyFix`` takes the
client's address, scheme, host and port from the last *n* ``X-Forwarded-*`` values, the
ones the proxies themselves appended. With 0 (the default) those headers are ignored, so a
client reaching the service directly cannot choose the address it is limited and audited by.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class TrustedProxies:
    """WSGI middleware applying ``ProxyFix`` with the configured number of hops.

    The number is read from the app's configuration on each request (one ``ProxyFix`` per
    value, built once), so the setting is the app's like every other one.
    """

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        hops = int(self.app.config.get("PROXY_HOPS") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        fix = self.fixes.get(hops)
        if fix is None:
            fix = self.fixes[hops] = ProxyFix(
                self.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
            )
        return fix(environ, start_response)


def init_app(app: Flask) -> None:
    wsgi_app: Any = app.wsgi_app
    app.wsgi_app = TrustedProxies(app, wsgi_app)  # type: ignore[method-assign]
