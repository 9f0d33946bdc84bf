"""Every email from its templates, in the recipient's language, queued in the outbox.

``templates/emails/<kind>.txt`` sets the subject at its top level
(``{% set subject = _("...") %}``) and writes the plain text; ``<kind>.html`` writes the same
message as HTML (it gets ``subject`` for its title). Both extend ``emails/base.txt`` /
``emails/base.html``. Besides what the caller passes, a template gets ``recipient``,
``lang``, ``external_url`` (links from the URL map at the configured address, never the
request's), ``when`` (a session's moment or span on its board's clock ``zone``, and on
the recipient's when that reads otherwise) and ``long_date``. A name
a template uses that nobody passed is an error, not a blank in someone's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from jinja2 import Environment, StrictUndefined, TemplateError

from telemed.auth.models import User
from telemed.core.formatting import local_date, when
from telemed.core.links import external_url
from telemed.outbox.service import Queued, enqueue, in_language_of, user_locale

FOLDER = "emails"
ENVIRONMENT_KEY = "telemed.email_templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def notify(
    kind: str,
    user: User,
    key: str,
    *,
    ics: bytes | str | None = None,
    ics_method: str | None = None,
    **context: Any,
) -> bool:
    """Render the ``kind`` email for ``user`` and queue it in the caller's transaction, once
    per dedupe ``key``; returns whether this call queued it. ``ics``/``ics_method``: an iTIP
    calendar sent along (invitations), built by the caller in the recipient's language."""
    with in_language_of(user):
        email = render(kind, user, **context)
    return enqueue(
        key, kind, user, email.subject, email.text,
        body_html=email.html, ics=ics, ics_method=ics_method,
    )  # fmt: skip


def prepare(kind: str, user: User, key: str, **context: Any) -> Queued:
    """The ``kind`` email for ``user``, rendered in their language, for a bulk job to queue
    with many others (``outbox.service.enqueue_many``)."""
    with in_language_of(user):
        email = render(kind, user, **context)
    return Queued(key, kind, user, email.subject, email.text, email.html)


def render(kind: str, user: User, **context: Any) -> RenderedEmail:
    """Subject, text and HTML of ``kind`` for ``user`` in the current language (``notify``
    renders in the recipient's)."""
    environment = email_environment()
    values = {**helpers(user), **context}
    text = environment.get_template(f"{FOLDER}/{kind}.txt").make_module(values)
    subject = " ".join(str(getattr(text, "subject", "")).split())
    if not subject:
        raise TemplateError(f"{FOLDER}/{kind}.txt sets no subject")
    html = environment.get_template(f"{FOLDER}/{kind}.html").render(values, subject=subject)
    return RenderedEmail(subject, str(text).strip() + "\n", html)


def helpers(user: User) -> dict[str, Any]:
    """What every email template may use about its recipient."""
    own_zone = user.display_timezone

    def session_when(start: datetime, end: datetime | None = None, *, zone: str) -> str:
        return when(start, zone, end, viewer_zone=own_zone)

    def long_date(value: date) -> str:
        return local_date(value, "long")

    return {
        "recipient": user,
        "lang": user_locale(user).replace("_", "-"),
        "external_url": external_url,
        "when": session_when,
        "long_date": long_date,
    }


def email_environment() -> Environment:
    """The app's templates (loader, gettext, HTML autoescaping) with block tags that leave no
    blank lines behind in plain text, and undefined names that fail loudly."""
    environment = current_app.extensions.get(ENVIRONMENT_KEY)
    if environment is None:
        environment = current_app.jinja_env.overlay(
            trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined
        )
        current_app.extensions[ENVIRONMENT_KEY] = environment
    return environment
