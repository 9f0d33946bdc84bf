"""What a time must not look like where people read it (issue 17): machine formats that a
doctor would stumble on. Pages are read as text (markup stripped: a ``<time datetime>`` or a
``data-`` attribute is for machines)."""

from __future__ import annotations

import re

TECHNICAL = {
    "GMT/UTC": re.compile(r"\b(GMT|UTC)\b"),
    "offset": re.compile(r"(?<!\w)[+\-−]\d{2}:\d{2}\b"),
    "zone id": re.compile(r"\b(America|Europe|Etc|US|Pacific|Atlantic)/\w+"),
    "zone abbreviation": re.compile(r"\b(PST|PDT|CST|CDT|MST|MDT|EST|EDT)\b"),
    "ISO date and time": re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"),
}


def visible_text(markup: str) -> str:
    """The text of a page or an HTML email as a reader sees it."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


def technical_times(text: str) -> list[str]:
    """Each machine-format time in ``text``, with a few characters around it."""
    found = []
    for name, pattern in TECHNICAL.items():
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 40) : match.end() + 20]
            found.append(f"{name}: …{around}…")
    return found
