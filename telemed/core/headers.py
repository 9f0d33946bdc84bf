"""What every answer tells the browser about itself: the one place security headers are set.

Every response passes through ``secure_headers`` (pages, the JSON API, error pages, redirects,
static files, calendar feeds, PDFs and attachments):

- a strict Content-Security-Policy: scripts and styles only from the service's own files
  (no inline ``<script>``, ``<style>`` or ``style="..."``, so injected markup cannot run or
  restyle the page), images from the service or ``data:`` URIs (Bootstrap's icons, the QR
  code of two-factor enrolment), no plugins, no framing, forms posting only back here;
- ``X-Frame-Options`` for browsers that predate ``frame-ancestors``, ``nosniff``, and a
  ``Referrer-Policy`` that never sends a page's address (case and session ids) elsewhere;
- ``Strict-Transport-Security`` when the service is served over HTTPS (production, or an
  ``https://`` ``TELEMED_BASE_URL``);
- ``Cache-Control: private, no-store`` on everything but the static assets, answers a
  view declared ``public`` (a board's published training calendar) and answers a view
  declared to revalidate by their ETag (``core/conditional.py``, ``private, no-cache``: the
  figures, which hold no patient data, and a private calendar feed, fetched by its owner's
  calendar application at a secret address, holding case codes and times only). Pages, API
  answers, calendars, PDFs and attachments may carry patient data and must not stay in a
  shared computer's cache or a proxy. ``private`` keeps a revalidated answer out of every
  shared cache; ``no-cache`` lets the owner's client keep its copy but never use it without
  asking first, so it asks with the ETag and gets a ``304`` instead of the whole answer
  (``no-store`` forbids keeping the copy, and with it the cheap revalidation). Static files
  keep their caching.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from telemed.core.conditional import declared_revalidating

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STRICTER_REFERRER_POLICY = "no-referrer"  # the one value a view may put instead
STATIC_ENDPOINT = "static"
NO_STORE = "private, no-store"


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)


def served_over_https() -> bool:
    """Production always sits behind HTTPS; elsewhere the public address says so."""
    config = current_app.config
    return config.get("ENV_NAME") == "production" or config["PREFERRED_URL_SCHEME"] == "https"


def secure_headers(response: Response) -> Response:
    """Set the headers above on ``response``, replacing whatever a view or ``send_file`` put
    (but a stricter ``Referrer-Policy``)."""
    stricter_referrer = response.headers.get("Referrer-Policy") == STRICTER_REFERRER_POLICY
    for name, value in HEADERS.items():
        response.headers[name] = value
    if stricter_referrer:  # a view sends no referrer at all (the private feed's secret address)
        response.headers["Referrer-Policy"] = STRICTER_REFERRER_POLICY
    if served_over_https():
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != STATIC_ENDPOINT and not keeps_caching(response):
        response.headers["Cache-Control"] = NO_STORE
        response.headers.pop("Expires", None)
    return response


def keeps_caching(response: Response) -> bool:
    """A public answer, or one its view declared to revalidate by its ETag."""
    return bool(response.cache_control.public) or declared_revalidating(response)
