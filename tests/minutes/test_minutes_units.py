"""A board member without a centre is recorded with their discipline as their unit; the
minutes name it once, not "Oncología pediátrica - Oncología pediátrica"."""

from __future__ import annotations

import re

from telemed.auth.models import Role
from telemed.boards.models import BoardMember, MemberRole
from telemed.extensions import db
from telemed.room.service import mark_attendance
from tests.conftest import client_for
from tests.scenes.minutes import flat, pdf_text

NAME = "Dra. Sin Centro"
SPANISH = "Oncología pediátrica"


def row_of(html: str) -> str:
    match = re.search(rf'<tr class="attendee"><td>{NAME}</td>.*?</tr>', html)
    assert match is not None, "the member is in the attendance"
    return match.group(0)


def test_the_discipline_is_not_repeated_as_the_unit(app, held, coordinator, make_user):
    member = make_user(Role.SPECIALIST, name=NAME)  # paediatric oncology, no centre
    held.session.board.members.append(BoardMember(user=member, role=MemberRole.MEMBER))
    db.session.commit()
    mark_attendance(coordinator, held.session, member.id, True)
    db.session.commit()

    spanish = client_for(app, coordinator)
    spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    row = row_of(spanish.get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True))
    assert row.count(SPANISH) == 1, row

    english = client_for(app, coordinator)
    row = row_of(english.get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True))
    assert "Paediatric oncology" in row and SPANISH not in row

    text = flat(pdf_text(spanish.get(f"/sessions/{held.session.id}/minutes.pdf").data))
    line = text.split(NAME)[1].split("*")[0]
    assert line.count(SPANISH) == 1, line
    assert f"{SPANISH} - {SPANISH}" not in text
