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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from jinja2 import Environment, StrictUndefined, TemplateError, UndefinedError
from markupsafe import escape

from telemed.auth.models import User
from telemed.core.formatting import local_date, when
from telemed.core.links import external_url
from telemed.outbox.service import Queued, enqueue, in_language_of, itip, user_locale

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


def prepare(
    kind: str,
    user: User,
    key: str,
    *,
    ics: bytes | str | None = None,
    ics_method: str | None = None,
    **context: Any,
) -> Queued:
    """The ``kind`` email for ``user``, rendered in their language, for a bulk job to queue
    with many others (``outbox.service.enqueue_many``); ``ics`` as for ``notify``."""
    with in_language_of(user):
        email = render(kind, user, **context)
    calendar, method = itip(ics, ics_method)
    return Queued(key, kind, user, email.subject, email.text, email.html, calendar, method)


@dataclass(frozen=True)
class Personal:
    """One person's copy of an email many receive alike (``prepare_alike``): its dedupe key,
    the person's own links (in the order the template shows them) and their calendar."""

    user: User
    key: str
    links: tuple[str, ...] = ()
    ics: bytes | str | None = None
    ics_method: str | None = None


# Stands in for the n-th personal link while a shared copy is rendered.
SLOT = "https://link-{}.invalid/"


def prepare_alike(
    kind: str, people: Sequence[Personal], context: Callable[[tuple[str, ...]], dict[str, Any]]
) -> list[Queued]:
    """The ``kind`` email for many people whose copies differ only in their language, their
    time zone and their links: rendered once per language, zone and number of links, with
    stand-ins that each person's links replace (``context(links)`` gives the template's
    values around a person's links, or the stand-ins). A template that reads ``recipient``,
    or whose stand-ins do not come out as written, is rendered for each person instead."""
    shared: dict[tuple[str, str, int], RenderedEmail | None] = {}
    queued = []
    for person in people:
        user, links = person.user, person.links
        group = (user_locale(user), user.display_timezone, len(links))
        if group not in shared:
            shared[group] = shared_copy(kind, user, len(links), context)
        copy = shared[group]
        if copy is None:
            with in_language_of(user):
                email = render(kind, user, **context(links))
        else:
            html = fill(copy.html, links, lambda value: str(escape(value)))
            email = RenderedEmail(copy.subject, fill(copy.text, links, str), html)
        calendar, method = itip(person.ics, person.ics_method)
        queued.append(Queued(person.key, kind, user, email.subject, email.text, email.html,
                             calendar, method))  # fmt: skip
    return queued


def shared_copy(
    kind: str, user: User, links: int, context: Callable[[tuple[str, ...]], dict[str, Any]]
) -> RenderedEmail | None:
    """The copy for ``user``'s language and zone with stand-in links, or ``None`` when it
    cannot be shared (it reads the recipient, or a stand-in went missing)."""
    slots = tuple(SLOT.format(n) for n in range(links))
    try:
        with in_language_of(user):
            email = render(
                kind, user, **context(slots), recipient=StrictUndefined(name="recipient")
            )
    except UndefinedError:
        return None
    if any(email.text.count(slot) != 1 or email.html.count(slot) != 1 for slot in slots):
        return None
    return email


def fill(rendered: str, links: tuple[str, ...], quote: Callable[[str], str]) -> str:
    for n, link in enumerate(links):
        rendered = rendered.replace(quote(SLOT.format(n)), quote(link))
    return rendered


def render(kind: str, user: User, **context: Any) -> RenderedEmail:
    """Subject, text and HTML of ``kind`` for ``user`` in the current language (``notify``
    renders in the recipient's)."""
    environment = email_environment()
    values = {**helpers(user), **context}  # the caller's values win (``prepare_alike``)
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
