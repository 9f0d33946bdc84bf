"""The email an agreement's owner gets: a link and the due date, never the text (it may
speak of a patient)."""

from __future__ import annotations

from telemed.agreements.models import Agreement
from telemed.auth.models import User
from telemed.outbox.notify import notify


def agreement_owned(agreement: Agreement, owner: User) -> None:
    notify(
        "agreement",
        owner,
        f"agreement:{agreement.id}:{owner.id}",
        agreement=agreement,
        session=agreement.session,
    )
