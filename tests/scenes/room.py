"""Reading pages, audit entries and the outbox in the room's tests; forms as browsers send them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.extensions import db
from telemed.sessions.models import AgendaItem, BoardSession

PATIENT_REFERENCE = "NSS-4455667788"  # what case_payload() sends; never in emails or events


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def section(page: str, element_id: str) -> str:
    """The markup inside the element with this id (up to its closing tag of the same name)."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert match is not None, f"no #{element_id} on the page"
    return match.group(2)


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def audits(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def room_url(session: BoardSession) -> str:
    return f"/sessions/{session.id}/room"


def panel_url(item: AgendaItem) -> str:
    return f"/sessions/{item.session_id}/items/{item.id}"


def discussed(**overrides: Any) -> dict[str, Any]:
    """The outcome form of the panel: discussed, with a recommendation."""
    data = {
        "outcome": "discussed",
        "category": "treatment_plan",
        "text": "Iniciar protocolo de rescate con quimioterapia de segunda línea.",
        "consensus": "true",
        "dissent": "",
        "responsible": "Oncología pediátrica, HGR No. 1 Tijuana",
        "reason": "",
    }
    data.update(overrides)
    return data


def deferred(
    reason: str = "Falta el informe de patología.", why: str = "missing_material"
) -> dict[str, Any]:
    """The outcome form of the panel: deferred, with the free-text reason and why."""
    return {"outcome": "deferred", "reason": reason, "deferral_reason": why}
