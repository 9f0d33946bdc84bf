# ruff: noqa: F811  (fixtures imported from the scene are requested by name below)
"""Certificates of attendance: after a training or keynote session, each person present
downloads their own (coordinators any attendee's, guests too); the PDF carries a code that
anyone can check on a public page. Case-review sessions have none."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.boards.models import SessionKind
from telemed.certificates import service as certificates
from telemed.certificates.models import Certificate
from telemed.core.errors import InvalidTransition
from telemed.extensions import db
from telemed.room.models import Attendance
from tests.conftest import client_for, english
from tests.scenes.minutes import (  # noqa: F401  (fixtures)
    end,
    flat,
    held,
    hito,
    pdf_text,
    training,
)

CODE = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


def own(app, user, session):
    return client_for(app, user).get(f"/sessions/{session.id}/certificate.pdf")


def issued() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == action))


# --- downloading ----------------------------------------------------------------------


def test_a_person_present_downloads_their_certificate_once_issued(app, training):
    minutes_page = f"/sessions/{training.session.id}/minutes"
    before = client_for(app, training.attendee).get(minutes_page)
    assert before.status_code == 200
    assert 'id="own-certificate"' not in before.get_data(as_text=True)  # not ended yet
    end(training.session, minutes=75)
    after = client_for(app, training.attendee).get(minutes_page).get_data(as_text=True)
    assert f'href="/sessions/{training.session.id}/certificate.pdf"' in after
    response = own(app, training.attendee, training.session)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = flat(pdf_text(response.data))
    [certificate] = issued()
    assert certificate.holder_name == "Dr. Julián Ortíz"
    assert CODE.fullmatch(certificate.code)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="constancia-{certificate.code}.pdf"'
    )
    assert "CERTIFICATE OF ATTENDANCE" in text
    assert "Dr. Julián Ortíz" in text  # accents survive latin-1
    assert "attended the training session" in text
    assert '"Hora Dorada: neutropenia febril"' in text
    assert "given by Dra. Ana Martínez Peña" in text
    assert "Capacitación en oncología pediátrica" in text
    # A record: with the year, on the board's clock ("–" mapped to "-").
    assert "on Thursday 5 March 2026, 18:00-19:15 (Mexico City time)" in text
    assert f"Verification code: {certificate.code}" in text
    assert f"http://127.0.0.1:5000/verify/{certificate.code}" in text

    again = own(app, training.attendee, training.session)
    assert again.status_code == 200
    assert [c.code for c in issued()] == [certificate.code]  # idempotent: one certificate
    assert certificate.code in flat(pdf_text(again.data))
    assert audit_count("certificate.issued") == 1
    assert audit_count("certificate.downloaded") == 2


def test_a_referring_doctor_present_without_an_invitation_gets_theirs(app, training, referring):
    end(training.session)
    assert client_for(app, referring).get(
        f"/sessions/{training.session.id}/minutes"
    ).status_code == 404  # not invited: the room is not theirs  # fmt: skip
    assert own(app, referring, training.session).status_code == 200
    assert [c.holder_name for c in issued()] == [referring.name]


def test_only_people_present_get_one(app, training, chair, specialist, coordinator):
    end(training.session)
    absent = own(app, training.absent, training.session)
    assert absent.status_code == 403
    assert "You were not recorded as present at this session." in absent.get_data(as_text=True)
    assert own(app, chair, training.session).status_code == 403  # a member, not present
    assert own(app, coordinator, training.session).status_code == 403
    assert own(app, specialist, training.session).status_code == 404  # cannot see it at all
    assert issued() == []


def test_no_certificate_before_the_session_ends(app, training):
    response = own(app, training.attendee, training.session)
    assert response.status_code == 409
    assert "available once the session has ended" in response.get_data(as_text=True)
    assert issued() == []


def test_case_review_sessions_have_no_certificates(app, held, referring, coordinator):
    response = own(app, referring, held.session)  # present at the held case review
    assert response.status_code == 409
    assert "Case-review sessions have no attendance certificates" in response.get_data(as_text=True)
    [row] = db.session.scalars(
        select(Attendance).where(Attendance.session_id == held.session.id,
                                 Attendance.user_id == referring.id)
    )  # fmt: skip
    staff = client_for(app, coordinator).get(f"/certificates/attendance/{row.id}.pdf")
    assert staff.status_code == 409
    assert issued() == []
    text = (
        client_for(app, coordinator)
        .get(f"/sessions/{held.session.id}/minutes")
        .get_data(as_text=True)
    )
    assert 'id="certificates"' not in text


def test_coordinators_download_any_attendees_certificate_guests_too(app, training, coordinator,
                                                                    chair):  # fmt: skip
    end(training.session)
    page = client_for(app, coordinator).get(f"/sessions/{training.session.id}/minutes")
    text = page.get_data(as_text=True)
    link = f'href="/certificates/attendance/{training.guest.id}.pdf"'
    assert link in text and "Enf. Lucía Gómez" in text
    absent_row = db.session.scalar(
        select(Attendance).where(Attendance.user_id == training.absent.id)
    )
    assert f"/certificates/attendance/{absent_row.id}.pdf" not in text

    response = client_for(app, coordinator).get(f"/certificates/attendance/{training.guest.id}.pdf")
    assert response.status_code == 200
    assert "Enf. Lucía Gómez" in flat(pdf_text(response.data))
    assert [c.attendance_id for c in issued()] == [training.guest.id]

    not_present = client_for(app, coordinator).get(f"/certificates/attendance/{absent_row.id}.pdf")
    assert not_present.status_code == 409
    assert client_for(app, chair).get(
        f"/certificates/attendance/{training.guest.id}.pdf"
    ).status_code == 403  # fmt: skip
    assert client_for(app, coordinator).get("/certificates/attendance/99999.pdf").status_code == 404


def test_a_first_download_racing_another_shares_its_certificate(app, training, monkeypatch):
    end(training.session)
    attendance = certificates.own_attendance(training.attendee, training.session)
    # Another request issued it between this one's read and its insert.
    winner = Certificate(attendance_id=attendance.id, session_id=training.session.id,
                         code="ABCD-EFGH-JKLM", holder_name=attendance.name)  # fmt: skip
    db.session.add(winner)
    db.session.commit()
    reads = iter([None])
    real = certificates.existing
    monkeypatch.setattr(certificates, "existing", lambda a: next(reads, None) or real(a))
    certificate = certificates.issue(training.attendee, attendance)
    assert certificate.code == "ABCD-EFGH-JKLM"
    assert len(issued()) == 1
    assert audit_count("certificate.issued") == 0


def test_keynote_sessions_have_certificates_too(app, training):
    training.session.kind = SessionKind.KEYNOTE
    end(training.session)
    text = flat(pdf_text(own(app, training.attendee, training.session).data))
    assert "attended the keynote lecture session" in text


def test_the_service_refuses_clearly(app, held, training, coordinator):
    with english(), pytest.raises(InvalidTransition, match="Case-review sessions"):
        certificates.require_certifiable(held.session)
    with english(), pytest.raises(InvalidTransition, match="once the session has ended"):
        certificates.require_certifiable(training.session)


# --- the public check -----------------------------------------------------------------


def test_anyone_can_check_a_code_without_logging_in(app, training):
    end(training.session)
    own(app, training.attendee, training.session)
    [certificate] = issued()
    public = client_for(app)  # no login
    page = public.get(f"/verify/{certificate.code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="verify-status">valid' in text
    for expected in ("Dr. Julián Ortíz", "Capacitación en oncología pediátrica", "Training",
                     "Hora Dorada: neutropenia febril", "Dra. Ana Martínez Peña",
                     "March 5, 2026", certificate.code):  # fmt: skip
        assert expected in text, expected
    assert training.attendee.email not in text

    # Lower case, spaces, no dashes, and digits typed for look-alike letters all work.
    raw = certificate.code.replace("-", "").lower()
    assert public.get(f"/verify/{raw}").status_code == 200
    assert public.get(f"/verify/{raw[:4]} {raw[4:]}").status_code == 200
    redirect = public.get("/verify", query_string={"code": raw})
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == f"/verify/{certificate.code}"
    assert audit_count("certificate.verified") == 3


def test_an_unknown_code_is_a_clear_404(app, training):
    public = client_for(app)
    form = public.get("/verify")
    assert form.status_code == 200 and 'id="verify-form"' in form.get_data(as_text=True)
    for code in ("ABCD-EFGH-JKLM", "not-a-code", "ABCD-EFGH-JKL9"):
        response = public.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "No certificate has this code." in response.get_data(as_text=True)
    typed = public.get("/verify", query_string={"code": "abc"})
    assert typed.status_code == 404 and 'value="abc"' in typed.get_data(as_text=True)


def test_a_corrected_attendance_withdraws_the_certificate(app, training):
    end(training.session)
    own(app, training.attendee, training.session)
    [certificate] = issued()
    certificate.attendance.present = False
    db.session.commit()
    text = client_for(app).get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert 'id="verify-status">no longer valid' in text


def test_checking_codes_is_rate_limited(app):
    public = client_for(app)
    statuses = [public.get(f"/verify/AAAA-BBBB-CC{n:02d}").status_code for n in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_codes_are_random_and_normalised(app):
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(CODE.fullmatch(code) for code in codes)
    assert certificates.normalise_code(" abcd efgh ijkl ") == "ABCD-EFGH-IJKL"
    assert certificates.normalise_code("0bcd-1fgh-8jkl") == "OBCD-IFGH-BJKL"
    assert certificates.normalise_code("ABCD-EFGH-IJK") is None
    assert certificates.normalise_code(None) is None
