"""Time zones in people's words: "Tijuana", "hora de la Ciudad de México", never
"America/Tijuana" or "GMT-08:00".

The place is CLDR's exemplar city for the zone (Babel), in the reader's language; it is what
people say for every zone the network uses (Ciudad de México, Tijuana, Hermosillo, Cancún,
Mérida...). Only where the phrase around it needs more than the place does a zone get its
own wording, kept in the translation catalogue: Spanish says "hora de **la** Ciudad de
México".
"""

from __future__ import annotations

from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

DEFAULT_LOCALE = "es_MX"

# The zones whose "<place> time" is not the general phrase around their place.
ZONE_TIME_OVERRIDES = {
    "America/Mexico_City": _l("Mexico City time"),
}


def locale_name() -> str:
    """The reader's language (Flask-Babel's), or the service's default outside a request."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE


def place(zone_name: str) -> str:
    """The city people name the zone by: "Ciudad de México" / "Mexico City", "Tijuana"."""
    return str(get_timezone_location(zone_name, locale=locale_name(), return_city=True))


def zone_time(zone_name: str) -> str:
    """The zone's clock as people say it: "hora de Tijuana", "Mexico City time"."""
    override = ZONE_TIME_OVERRIDES.get(zone_name)
    if override is not None:
        return str(override)
    return _("%(place)s time", place=place(zone_name))
