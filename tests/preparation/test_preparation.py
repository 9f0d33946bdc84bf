# ruff: noqa: F811  (fixtures imported from tests.boards are requested by name below)
"""Preparation: from the agenda's cut-off (Tuesday 3 March 2026, 23:59 Mexico City) until the
session is held (Thursday 5 March, 18:00), the board's members open every case on the agenda,
leave notes for the board and questions for the referring doctor, and mark the cases they
have reviewed; the referring doctor answers on the case page.

Cast: ``chair`` and ``radiologist`` are members of the solid-tumour board; ``specialist`` is
not; ``referring`` (Tijuana) sent ``own_case``, ``other_referring`` (Cancún) ``foreign_case``.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from telemed.auth.models import Role, User
from telemed.boards.models import BoardMember, MemberRole
from telemed.cases.models import Case
from telemed.core.errors import Forbidden, InvalidTransition
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.preparation import service as preparation
from telemed.preparation.models import CaseReviewMark, NoteKind, PreparationNote
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import BoardSession
from telemed.sessions.service import close_due_agendas, finish_ended_sessions
from tests.conftest import client_for
from tests.scenes.boards import PATIENT_REFERENCE, emails, sessions_of
from tests.scenes.concurrency import (  # noqa: F401  (the shared_app fixture)
    accept_new,
    setup_board,
    shared_app,
    together,
)
from tests.scenes.preparation import (
    alerts,
    audits,
    count,
    events_of,
    plain,
    section,
    text_of,
    timeline,
)
from tests.scenes.session import item_for

NOTE = "Revisar la RM de control antes de la sesión: posible progresión."
QUESTION = "¿Se cuenta con la biopsia de la recaída y la fecha del último ciclo?"
ANSWER = "Sí: biopsia del 20 de febrero; último ciclo el 10 de febrero."


@pytest.fixture
def prepared(agenda: BoardSession, clock: Any) -> BoardSession:
    """The clock at the cut-off: the agenda closes and preparation opens."""
    clock.set(agenda.cutoff_at)
    close_due_agendas()
    db.session.refresh(agenda)
    return agenda


@pytest.fixture
def english(referring: User, chair: User) -> None:
    """Emails go out in the recipient's language; read these two in English."""
    referring.locale = chair.locale = "en"
    db.session.commit()


def note_url(session: BoardSession, case: Case) -> str:
    return f"/sessions/{session.id}/cases/{case.id}/notes"


def reviewed_url(session: BoardSession, case: Case) -> str:
    return f"/sessions/{session.id}/cases/{case.id}/reviewed"


def ask(app: Any, user: User, session: BoardSession, case: Case, text: str = QUESTION) -> Any:
    return client_for(app, user).post(
        note_url(session, case), data={"kind": "question", "text": text}, follow_redirects=True
    )


# --- when -----------------------------------------------------------------------------


def test_before_the_cut_off_members_are_told_preparation_has_not_opened(
    app, agenda, own_case, chair
):
    client = client_for(app, chair)
    refused = client.post(note_url(agenda, own_case), data={"kind": "note", "text": NOTE},
                          follow_redirects=True)  # fmt: skip
    assert any("Preparation opens when the agenda closes" in a for a in alerts(text_of(refused)))
    refused = client.post(reviewed_url(agenda, own_case), follow_redirects=True)
    assert any("Preparation opens when the agenda closes" in a for a in alerts(text_of(refused)))
    assert count(PreparationNote) == 0 and count(CaseReviewMark) == 0

    page = text_of(client.get(f"/sessions/{agenda.id}/preparation"))
    closed = plain(section(page, "preparation-closed"))
    opens = "Preparation opens when the agenda closes, Tuesday 3 March, 23:59 (Mexico City time)."
    assert opens in closed
    assert 'id="preparation-agenda"' not in page
    case_page = text_of(client.get(f"/cases/{own_case.id}"))
    assert "Preparation opens when the agenda closes" in plain(section(case_page, "preparation"))
    assert 'id="case-note-form"' not in case_page


def test_from_the_cut_off_members_open_every_case_on_the_agenda(
    app, prepared, own_case, foreign_case, chair, radiologist
):
    client = client_for(app, radiologist)
    page = text_of(client.get(f"/sessions/{prepared.id}/preparation"))
    rows = plain(section(page, "preparation-agenda"))
    for case in (own_case, foreign_case):
        code = item_for(prepared, case).agenda_code
        assert code in rows
        assert f'href="/cases/{case.id}#preparation"' in page
        assert client.get(f"/cases/{case.id}").status_code == 200
    [view] = audits("preparation.view")
    assert (view.actor_id, view.object_id) == (radiologist.id, prepared.id)
    # The coordinator's session page links to it.
    session_page = text_of(client_for(app, chair).get(f"/sessions/{prepared.id}"))
    assert f'href="/sessions/{prepared.id}/preparation"' in session_page


def test_once_the_session_is_held_its_preparation_is_closed(
    app, prepared, own_case, chair, referring, clock
):
    ask(app, chair, prepared, own_case)
    clock.set(prepared.ends_at + timedelta(minutes=1))
    finish_ended_sessions()
    refused = client_for(app, chair).post(
        note_url(prepared, own_case), data={"kind": "note", "text": NOTE}, follow_redirects=True
    )
    assert any("preparation is closed" in a for a in alerts(text_of(refused)))
    question = db.session.scalars(select(PreparationNote)).one()
    refused = client_for(app, referring).post(
        f"/questions/{question.id}/answer", data={"answer": ANSWER}, follow_redirects=True
    )
    assert any("can no longer be changed" in a for a in alerts(text_of(refused)))
    db.session.refresh(question)
    assert question.answer is None
    # The record stays readable.
    page = text_of(client_for(app, chair).get(f"/sessions/{prepared.id}/preparation"))
    assert "what follows is the record of its preparation" in page


# --- notes and questions ------------------------------------------------------------------


def test_notes_stay_with_the_board_and_questions_reach_the_referring_doctor(
    app, prepared, own_case, chair, radiologist, referring, english
):
    client = client_for(app, chair)
    saved = client.post(note_url(prepared, own_case), data={"kind": "note", "text": NOTE},
                        follow_redirects=True)  # fmt: skip
    assert "Note saved (the board sees it; the referring doctor does not)." in alerts(
        text_of(saved)
    )
    asked = ask(app, chair, prepared, own_case)
    assert "Question sent; the referring doctor was told by email." in alerts(text_of(asked))
    note, question = db.session.scalars(select(PreparationNote).order_by(PreparationNote.id))
    assert (note.kind, question.kind) == (NoteKind.NOTE, NoteKind.QUESTION)
    assert (question.session_id, question.author_id) == (prepared.id, chair.id)

    # Another member reads both on the case page.
    member_view = plain(section(text_of(client_for(app, radiologist).get(
        f"/cases/{own_case.id}")), "preparation"))  # fmt: skip
    assert NOTE in member_view and QUESTION in member_view

    # The referring doctor reads the question, never the note — nor on the timeline.
    doctor_page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    assert QUESTION in plain(section(doctor_page, "preparation"))
    assert NOTE not in doctor_page
    assert any(step.startswith("Question from the board") for step in timeline(doctor_page))

    [mail] = emails("question_asked")
    assert mail.to_address == referring.email
    assert own_case.code in mail.subject
    assert f"/cases/{own_case.id}#preparation" in mail.body_text
    assert QUESTION not in mail.body_text and NOTE not in mail.body_text
    assert PATIENT_REFERENCE not in mail.subject + mail.body_text

    [event] = events_of(own_case, "question")
    assert event.message == item_for(prepared, own_case).agenda_code
    assert events_of(own_case, "note") == []
    assert [a.actor_id for a in audits("preparation.note_add")] == [chair.id]
    assert [a.actor_id for a in audits("preparation.question_add")] == [chair.id]


def test_a_coordinator_prepares_too(app, prepared, own_case, coordinator):
    response = client_for(app, coordinator).post(
        note_url(prepared, own_case), data={"kind": "note", "text": NOTE}
    )
    assert response.status_code == 302
    assert count(PreparationNote) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "note", "text": " "}, "This field is required."),
        ({"kind": "note", "text": "x"}, "Write 2 to 4000 characters."),
        ({"kind": "gossip", "text": NOTE}, "Choose one of the options."),
    ],
)
def test_bad_notes_are_refused_and_nothing_is_written(
    app, prepared, own_case, chair, data, message
):
    refused = client_for(app, chair).post(note_url(prepared, own_case), data=data,
                                          follow_redirects=True)  # fmt: skip
    assert message in alerts(text_of(refused))
    assert count(PreparationNote) == 0 and emails("question_asked") == []


def test_question_answered_on_the_case_page_and_the_asker_is_told(
    app, prepared, own_case, chair, referring, english
):
    ask(app, chair, prepared, own_case)
    question = db.session.scalars(select(PreparationNote)).one()
    doctor = client_for(app, referring)
    page = text_of(doctor.get(f"/cases/{own_case.id}"))
    assert f'action="/questions/{question.id}/answer"' in page
    assert "waiting for an answer" in plain(section(page, "preparation"))

    empty = doctor.post(f"/questions/{question.id}/answer", data={"answer": ""},
                        follow_redirects=True)  # fmt: skip
    assert "This field is required." in alerts(text_of(empty))
    response = doctor.post(f"/questions/{question.id}/answer", data={"answer": ANSWER})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{own_case.id}#preparation"
    db.session.refresh(question)
    assert (question.answer, question.answered_by_id) == (ANSWER, referring.id)
    assert question.answered_at is not None

    [mail] = emails("question_answered")
    assert mail.to_address == chair.email
    assert own_case.code in mail.subject
    assert f"/cases/{own_case.id}#preparation" in mail.body_text
    assert f"/sessions/{prepared.id}/preparation" in mail.body_text
    assert ANSWER not in mail.body_text and PATIENT_REFERENCE not in mail.body_text

    answered = plain(section(text_of(client_for(app, chair).get(f"/cases/{own_case.id}")),
                             "preparation"))  # fmt: skip
    assert ANSWER in answered and f"Answer by {referring.name}" in answered
    assert "1 answered" in plain(section(text_of(client_for(app, chair).get(
        f"/sessions/{prepared.id}/preparation")), "preparation-agenda"))  # fmt: skip

    # Corrected before the session: no second email, no second event.
    doctor.post(f"/questions/{question.id}/answer", data={"answer": ANSWER + " Corregido."})
    db.session.refresh(question)
    assert question.answer.endswith("Corregido.")
    assert len(emails("question_answered")) == 1
    assert len(events_of(own_case, "answer")) == 1
    assert [a.action for a in audits("preparation.answer")] == ["preparation.answer"]
    assert len(audits("preparation.answer_edit")) == 1


def test_a_colleague_of_the_same_centre_may_answer(app, prepared, own_case, chair, make_user,
                                                  centre):  # fmt: skip
    ask(app, chair, prepared, own_case)
    question = db.session.scalars(select(PreparationNote)).one()
    colleague = make_user(Role.REFERRING, centre_id=centre.id, name="Dra. Colega Tijuana")
    assert client_for(app, colleague).post(
        f"/questions/{question.id}/answer", data={"answer": ANSWER}).status_code == 302  # fmt: skip
    db.session.refresh(question)
    assert question.answered_by_id == colleague.id


# --- access ---------------------------------------------------------------------------------


def test_who_may_ask_and_who_may_answer(
    app, prepared, own_case, chair, specialist, referring, other_referring, coordinator
):
    # A specialist who is not a member does not even see the session (404).
    outsider = client_for(app, specialist)
    assert outsider.post(note_url(prepared, own_case),
                         data={"kind": "note", "text": NOTE}).status_code == 404  # fmt: skip
    assert outsider.get(f"/sessions/{prepared.id}/preparation").status_code == 404
    assert outsider.post(reviewed_url(prepared, own_case)).status_code == 404
    # The referring doctor sees the session of their case, but does not prepare it (403).
    doctor = client_for(app, referring)
    assert doctor.post(note_url(prepared, own_case),
                       data={"kind": "question", "text": QUESTION}).status_code == 403  # fmt: skip
    assert doctor.get(f"/sessions/{prepared.id}/preparation").status_code == 403
    # A case that is not on this agenda: 404.
    elsewhere = f"/sessions/{prepared.id}/cases/99999/notes"
    assert (
        client_for(app, chair).post(elsewhere, data={"kind": "note", "text": NOTE}).status_code
        == 404
    )
    assert count(PreparationNote) == 0

    ask(app, chair, prepared, own_case)
    question = db.session.scalars(select(PreparationNote)).one()
    url = f"/questions/{question.id}/answer"
    # Another centre's doctor: the question does not exist for them.
    assert client_for(app, other_referring).post(url, data={"answer": ANSWER}).status_code == 404
    assert QUESTION not in text_of(client_for(app, other_referring).get(f"/cases/{own_case.id}"))
    # Members and coordinators ask; they do not answer for the centre.
    assert client_for(app, chair).post(url, data={"answer": ANSWER}).status_code == 403
    assert client_for(app, coordinator).post(url, data={"answer": ANSWER}).status_code == 403
    # A board note is never reachable as a question.
    client_for(app, chair).post(note_url(prepared, own_case), data={"kind": "note", "text": NOTE})
    note = db.session.scalars(select(PreparationNote).where(
        PreparationNote.kind == NoteKind.NOTE)).one()  # fmt: skip
    assert doctor.post(f"/questions/{note.id}/answer", data={"answer": ANSWER}).status_code == 404
    db.session.refresh(question)
    assert question.answer is None and note.answer is None


# --- reviewed by -------------------------------------------------------------------------------


def test_members_mark_cases_reviewed_once_and_everyone_sees_who(
    app, prepared, own_case, foreign_case, chair, radiologist, referring, coordinator
):
    client = client_for(app, radiologist)
    first = client.post(reviewed_url(prepared, own_case), follow_redirects=True)
    assert "Marked as reviewed." in alerts(text_of(first))
    client.post(reviewed_url(prepared, own_case))  # a second click changes nothing
    assert preparation.mark_reviewed(radiologist, prepared, own_case.id) is False
    marks = db.session.scalars(select(CaseReviewMark)).all()
    assert [(m.user_id, m.case_id, m.session_id) for m in marks] == [
        (radiologist.id, own_case.id, prepared.id)]  # fmt: skip
    assert len(events_of(own_case, "reviewed")) == 1
    assert len(audits("preparation.reviewed")) == 1

    # A coordinator prepares but is not a reviewing member.
    assert client_for(app, coordinator).post(reviewed_url(prepared, own_case)).status_code == 403

    item = item_for(prepared, own_case)
    overview = text_of(client_for(app, chair).get(f"/sessions/{prepared.id}/preparation"))
    assert radiologist.name in plain(section(overview, f"prep-{item.id}"))
    assert "nobody yet" in plain(section(overview, f"prep-{item_for(prepared, foreign_case).id}"))
    session_page = text_of(client_for(app, chair).get(f"/sessions/{prepared.id}"))
    assert "Reviewed by: " + radiologist.name in plain(section(session_page, f"extras-{item.id}"))
    doctor_page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    assert radiologist.name in plain(section(doctor_page, "case-reviewed-by"))
    own_view = text_of(client.get(f"/cases/{own_case.id}"))
    assert "You marked this case as reviewed." in own_view
    assert 'id="case-reviewed-form"' not in own_view


def test_review_marks_are_idempotent_when_clicks_race(shared_app, make_user, make_centre):
    with shared_app.app_context():
        people = setup_board(make_user, make_centre)
        board, clock = people["board"], shared_app.extensions["telemed.clock"]
        members = [make_user(Role.SPECIALIST) for _ in range(2)]
        db.session.add_all(BoardMember(board_id=board.id, user_id=m.id, role=MemberRole.MEMBER)
                           for m in members)  # fmt: skip
        db.session.commit()
        [case_id] = accept_new(people["doctor"], people["coordinator"], 1)
        assign_cases()
        session = sessions_of(board)[0]
        clock.set(session.cutoff_at)
        ids = (session.id, case_id)

        def click(user_id: int) -> Any:
            def job(barrier: threading.Barrier) -> Any:
                user = db.session.get(User, user_id)
                target = db.session.get(BoardSession, ids[0])
                barrier.wait()
                with unit_of_work():  # as each click's request does
                    return preparation.mark_reviewed(user, target, ids[1])

            return job

        first, second = (m.id for m in members)
        results = together(shared_app, click(first), click(first), click(first), click(second))
        assert not any(isinstance(r, Exception) for r in results), results
        assert sorted(results[:3]) == [False, False, True] and results[3] is True
        db.session.expire_all()
        marks = db.session.execute(
            select(CaseReviewMark.user_id, func.count()).group_by(CaseReviewMark.user_id)
        ).all()
        assert sorted(marks) == sorted([(first, 1), (second, 1)])
        assert len(events_of(db.session.get(Case, case_id), "reviewed")) == 2


# --- the review panel's block ------------------------------------------------------------------


def render_as(app: Any, user: User, template: str, **context: Any) -> str:
    """A partial as the room (h1's page) renders it for ``user``."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(user)
        return render_template(template, **context)


def test_the_panel_shows_notes_questions_answers_reviewers_and_forms(
    app, prepared, own_case, chair, radiologist, referring
):
    client_for(app, chair).post(note_url(prepared, own_case), data={"kind": "note", "text": NOTE})
    ask(app, chair, prepared, own_case)
    question = db.session.scalars(select(PreparationNote).where(
        PreparationNote.kind == NoteKind.QUESTION)).one()  # fmt: skip
    preparation.answer_question(referring, question, {"answer": ANSWER})
    preparation.mark_reviewed(radiologist, prepared, own_case.id)
    item = item_for(prepared, own_case)
    context = {"session": prepared, "item": item, "case": own_case}

    panel = render_as(app, chair, "preparation/_panel_preparation.html", can_run=True, **context)
    text = plain(panel)
    assert NOTE in text and QUESTION in text and ANSWER in text
    assert radiologist.name in plain(section(panel, "panel-reviewed-by"))
    assert 'id="panel-note-form"' in panel and 'id="panel-reviewed-form"' in panel

    doctor_panel = render_as(app, referring, "preparation/_panel_preparation.html", can_run=False,
                             **context)  # fmt: skip
    assert QUESTION in doctor_panel and ANSWER in doctor_panel
    assert NOTE not in doctor_panel and 'id="panel-note-form"' not in doctor_panel

    row = plain(render_as(app, chair, "room/_agenda_item_extras.html", item=item))
    assert f"Reviewed by: {radiologist.name}" in row


def test_services_refuse_clearly(prepared, own_case, chair, coordinator, referring):
    with pytest.raises(Forbidden):
        preparation.mark_reviewed(coordinator, prepared, own_case.id)
    note = preparation.add_note(
        chair, prepared, own_case.id, {"kind": "question", "text": QUESTION}
    )
    with pytest.raises(Forbidden):
        preparation.answer_question(chair, note, {"answer": ANSWER})
    prepared.status = prepared.status.HELD
    db.session.commit()
    with pytest.raises(InvalidTransition):
        preparation.answer_question(referring, note, {"answer": ANSWER})


# --- the API ---------------------------------------------------------------------------------


def test_questions_and_answers_through_the_api(
    app, agenda, own_case, chair, referring, other_referring, specialist, clock, make_case
):
    url = f"/api/v1/cases/{own_case.id}/questions"
    member, doctor = client_for(app, chair), client_for(app, referring)
    early = member.post(url, json={"text": QUESTION})
    assert early.status_code == 409
    assert "Preparation opens when the agenda closes" in early.get_json()["message"]

    clock.set(agenda.cutoff_at)
    close_due_agendas()
    assert member.post(url, json={"text": "x"}).get_json()["errors"] == {
        "text": ["Write 2 to 4000 characters."]}  # fmt: skip
    assert member.post(url, json={"text": QUESTION, "kind": "note"}).status_code == 422
    assert doctor.post(url, json={"text": QUESTION}).status_code == 403
    assert client_for(app, specialist).post(url, json={"text": QUESTION}).status_code == 404
    assert count(PreparationNote) == 0

    asked = member.post(url, json={"text": QUESTION})
    assert asked.status_code == 201
    body = asked.get_json()
    assert (body["text"], body["asked_by"], body["answer"]) == (QUESTION, chair.name, None)
    assert body["session_id"] == agenda.id
    assert len(emails("question_asked")) == 1

    answer_url = f"{url}/{body['id']}/answer"
    assert (
        client_for(app, other_referring).put(answer_url, json={"answer": ANSWER}).status_code == 404
    )
    assert member.put(answer_url, json={"answer": ANSWER}).status_code == 403
    assert doctor.put(answer_url, json={"answer": ""}).status_code == 422
    answered = doctor.put(answer_url, json={"answer": ANSWER})
    assert answered.status_code == 200
    assert (answered.get_json()["answer"], answered.get_json()["answered_by"]) == (
        ANSWER, referring.name)  # fmt: skip
    assert len(emails("question_answered")) == 1

    listed = doctor.get(url)
    assert [q["answer"] for q in listed.get_json()] == [ANSWER]
    assert client_for(app, other_referring).get(url).status_code == 404
    assert [a.actor_id for a in audits("preparation.questions_view")] == [referring.id]
    # A question is reachable only through its own case.
    elsewhere = make_case(specialty="solid_tumours")
    wrong = f"/api/v1/cases/{elsewhere.id}/questions/{body['id']}/answer"
    assert doctor.put(wrong, json={"answer": ANSWER}).status_code == 404


def test_the_api_is_in_the_openapi_document(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cases/{case_id}/questions"])
    assert "put" in paths["/api/v1/cases/{case_id}/questions/{question_id}/answer"]
    assert "material" in spec["components"]["schemas"]["AttachmentOut"]["properties"]
