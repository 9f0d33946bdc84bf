"""Template helpers: labels, local times, the current path for the language switch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import get_locale

from telemed.auth.labels import DISCIPLINE_LABELS, ROLE_LABELS
from telemed.cases import labels as case_labels
from telemed.centres.labels import CAPABILITY_LABELS, KIND_LABELS
from telemed.core import vocabulary, zones
from telemed.core.formatting import hours, local_date, local_datetime, when_for_viewer
from telemed.core.keyset import page_url
from telemed.core.schemas import MEXICAN_TIMEZONES


def choices(labels: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a ``<select>`` from a labels mapping keyed by enums."""
    return [(getattr(key, "value", key), str(label)) for key, label in labels.items()]


def zone_choices() -> dict[str, list[tuple[str, str]]]:
    """The zones of Mexico for a ``<select>``, by the place people name them by in the
    reader's language (so per page, not once at start-up)."""
    names = sorted((zones.place(zone), zone) for zone in MEXICAN_TIMEZONES)
    return {"timezone_choices": [(zone, name) for name, zone in names]}


def translated(labels: Mapping[Any, Any]) -> dict[Any, str]:
    """A labels mapping with its lazy strings translated now, for a page that shows the
    same few labels on every row of a list (one translation each instead of one per row)."""
    return {key: str(label) for key, label in labels.items()}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localdt"] = local_datetime
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["hours"] = hours
    app.jinja_env.filters["zone_place"] = zones.place
    app.jinja_env.filters["zone_time"] = zones.zone_time
    app.context_processor(zone_choices)
    app.jinja_env.globals.update(
        labels={
            "status": case_labels.STATUS_LABELS,
            "sex": case_labels.SEX_LABELS,
            "request_kind": vocabulary.REQUEST_KIND_LABELS,
            "urgency": case_labels.URGENCY_LABELS,
            "specialty": vocabulary.SPECIALTY_LABELS,
            "event": case_labels.EVENT_LABELS,
            "material": vocabulary.MATERIAL_LABELS,
            "centre_kind": KIND_LABELS,
            "capability": CAPABILITY_LABELS,
            "role": ROLE_LABELS,
            "discipline": DISCIPLINE_LABELS,
        },
        current_locale=lambda: str(get_locale()),
        page_url=page_url,
        choices=choices,
        when=when_for_viewer,
        translated=translated,
    )
