"""Page and database helpers shared by the preparation, material and timeline tests."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.cases.models import Case, CaseEvent
from telemed.extensions import db


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def section(page: str, element_id: str) -> str:
    """The markup of the element with this id (up to its closing tag of the same name)."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert match is not None, f"no #{element_id} on the page"
    return match.group(2)


def plain(markup: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def alerts(page: str) -> list[str]:
    return [
        plain(m)
        for m in re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page, re.S)
    ]


def timeline(page: str) -> list[str]:
    """Each step of the case page's timeline as plain text."""
    items = re.findall(r"<li>(.*?)</li>", section(page, "timeline"), re.S)
    return [plain(item) for item in items]


def events_of(case: Case, kind: str) -> list[CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        )
    )


def audits(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
