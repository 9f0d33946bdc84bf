"""The review panel of an agenda case: the submission, its earlier discussions and
recommendations, and the outcome the board records — discussed with a structured
recommendation (the case moves to "recommendation issued" and its referring doctor is told),
or deferred (the case goes back to scheduling ahead of newer ones).

Session 1 (Thursday 5 March 2026, 18:00 Mexico City) has the Tijuana case (``own_case``,
sent by ``referring``) and the Cancún case (``foreign_case``) on its agenda; the chair and
the radiologist are members of the board.
"""

from __future__ import annotations

from datetime import timedelta

from telemed.cases import service as case_service
from telemed.cases.models import CaseStatus
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.room.models import Recommendation, RecommendationCategory
from telemed.room.service import in_record_language
from telemed.sessions.assignment import assign_cases
from telemed.sessions.labels import DEFERRAL_REASON_LABELS
from telemed.sessions.models import DeferralReason, ItemOutcome
from telemed.sessions.service import close_due_agendas
from tests.conftest import PDF_BYTES, client_for
from tests.scenes.boards import agenda_ids, emails, entry_of, events_of, session_of, sessions_of
from tests.scenes.room import (
    PATIENT_REFERENCE,
    audits,
    count,
    deferred,
    discussed,
    panel_url,
    plain,
    room_url,
    section,
    text_of,
)
from tests.scenes.session import item_for


def state(item, case) -> tuple:  # type: ignore[no-untyped-def]
    """What a refused outcome must leave untouched."""
    db.session.expire_all()
    return (
        item.outcome,
        item.session.booked,
        case.status,
        case.carry_over,
        count(Recommendation),
        count(OutboxMessage),
        len(case.events),
    )


def record_label(why: DeferralReason) -> str:
    """The label as the case timeline stores it (the service's default language)."""
    with in_record_language():
        return str(DEFERRAL_REASON_LABELS[why])


# --- what the panel shows -------------------------------------------------------------


def test_the_panel_shows_the_submission_and_its_attachments(
    app, in_session, own_case, referring, radiologist
):
    [attachment] = case_service.add_attachments(referring, own_case, [("patologia.pdf", PDF_BYTES)])
    item = item_for(in_session, own_case)
    page = text_of(client_for(app, radiologist).get(panel_url(item)))
    assert plain(section(page, "question")).startswith("¿Es candidata a trasplante haploidéntico")
    assert "Leucemia linfoblástica aguda" in plain(section(page, "diagnosis"))
    assert plain(section(page, "stage")) == "Riesgo alto"
    assert "Inducción protocolo institucional" in plain(section(page, "treatment"))
    download = f"/cases/{own_case.id}/attachments/{attachment.id}"
    assert f'href="{download}"' in section(page, "panel-attachments")
    with client_for(app, radiologist).get(download) as response:
        assert response.status_code == 200 and response.data == PDF_BYTES
    assert PATIENT_REFERENCE not in page  # the room is shown on screens: codes only
    assert f"CE 1.{own_case.id}" in page and own_case.code in page
    assert "This is the first discussion of the case." in page
    assert 'id="record-outcome"' in page  # a member records the outcome
    [entry] = audits("case.review")
    assert (entry.actor_id, entry.object_id) == (radiologist.id, own_case.id)


def test_the_referring_doctor_follows_their_own_case_without_the_outcome_form(
    app, in_session, own_case, referring
):
    item = item_for(in_session, own_case)
    page = text_of(client_for(app, referring).get(panel_url(item)))
    assert "¿Es candidata a trasplante haploidéntico" in page
    assert 'id="record-outcome"' not in page and "Not decided yet." in page


# --- discussed ------------------------------------------------------------------------


def test_discussed_issues_a_recommendation_and_tells_the_referring_doctor(
    app, in_session, own_case, referring, radiologist, clock
):
    clock.set(in_session.starts_at + timedelta(minutes=12))
    item = item_for(in_session, own_case)
    booked = in_session.booked
    client = client_for(app, radiologist)
    response = client.post(f"{panel_url(item)}/outcome", data=discussed(), follow_redirects=True)
    assert f"Recommendation on CE 1.{own_case.id} recorded" in text_of(response)
    assert "discussed" in plain(section(text_of(response), f"agenda-{item.id}"))

    db.session.expire_all()
    assert item.outcome is ItemOutcome.DISCUSSED
    assert item.decided_at == in_session.starts_at + timedelta(minutes=12)
    assert item.presented_by_id == referring.id  # the case's doctor presents by default
    assert in_session.booked == booked - 1
    assert own_case.status is CaseStatus.RECOMMENDATION_ISSUED and own_case.carry_over == 0
    [recommendation] = db.session.scalars(db.select(Recommendation)).all()
    assert recommendation.category is RecommendationCategory.TREATMENT_PLAN
    assert recommendation.consensus and recommendation.dissent is None
    assert recommendation.responsible == "Oncología pediátrica, HGR No. 1 Tijuana"
    assert (recommendation.session_id, recommendation.agenda_item_id) == (in_session.id, item.id)
    assert recommendation.recorded_by_id == radiologist.id

    # The timeline: discussed, then the recommendation by code and category (no patient data).
    [event] = events_of(own_case, "discussed")
    assert (event.from_status, event.to_status) == ("scheduled", "recommendation_issued")
    [event] = events_of(own_case, "recommendation")
    assert event.message.startswith(f"CE 1.{own_case.id} · ")
    assert PATIENT_REFERENCE not in event.message
    assert [a.action for a in audits("agenda.discussed") + audits("recommendation.create")] == [
        "agenda.discussed", "recommendation.create"
    ]  # fmt: skip

    # One email to the referring doctor: a link to the case page, no patient data.
    [email] = emails("recommendation_issued")
    assert email.to_address == referring.email
    assert own_case.code in email.subject
    assert f"/cases/{own_case.id}" in email.body_text
    assert PATIENT_REFERENCE not in email.subject + email.body_text
    assert recommendation.text not in email.body_text  # read on the case page, not by email

    # The referring doctor reads it on the case page.
    page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    assert "recommendation issued" in plain(section(page, "case-status"))
    card = plain(section(page, "recommendations"))
    for text in (
        "Treatment plan",
        "Iniciar protocolo de rescate",
        "By consensus",
        "Oncología pediátrica, HGR No. 1 Tijuana",
        f"CE 1.{own_case.id}",
        "session 1",
    ):
        assert text in card, text  # fmt: skip


def test_a_split_decision_records_its_dissent(app, in_session, own_case, referring, chair):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    before = state(item, own_case)
    response = client.post(f"{panel_url(item)}/outcome", data=discussed(consensus="false"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Record the dissent: it was not by consensus." in section(page, "outcome")
    assert "Iniciar protocolo de rescate" in page  # what was typed stays in the form
    assert state(item, own_case) == before

    dissent = "La Dra. Radióloga propone radioterapia primero."
    client.post(f"{panel_url(item)}/outcome", data=discussed(consensus="false", dissent=dissent))
    db.session.expire_all()
    [recommendation] = db.session.scalars(db.select(Recommendation)).all()
    assert recommendation.consensus is False
    assert recommendation.dissent == "La Dra. Radióloga propone radioterapia primero."
    card = plain(section(text_of(client_for(app, referring).get(f"/cases/{own_case.id}")),
                         "recommendations"))  # fmt: skip
    assert "Not by consensus" in card and "propone radioterapia primero" in card


def test_bad_outcomes_write_nothing(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    before = state(item, own_case)
    cases = [
        (discussed(category=""), "category"),
        (discussed(category="chemotherapy"), "category"),
        (discussed(text=""), "text"),
        (discussed(responsible=""), "responsible"),
        (deferred(reason=""), "reason"),
        (deferred(why=""), "deferral_reason"),
        (deferred(why="bored"), "deferral_reason"),
        ({"outcome": "postponed"}, "outcome"),
        (discussed(presenter_id="abc"), "presenter_id"),
    ]
    for data, field in cases:
        response = client.post(f"{panel_url(item)}/outcome", data=data)
        assert response.status_code == 422, data
        assert f'id="{field}-error"' in text_of(response), data
        assert state(item, own_case) == before, data


def test_the_presenter_is_someone_expected_or_present(
    app, in_session, own_case, radiologist, specialist, chair
):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    response = client.post(f"{panel_url(item)}/outcome", data=discussed(presenter_id=specialist.id))
    assert response.status_code == 422
    assert "Choose someone expected or present." in text_of(response)
    client.post(f"{panel_url(item)}/outcome", data=discussed(presenter_id=radiologist.id))
    db.session.expire_all()
    assert item.presented_by_id == radiologist.id
    page = text_of(client.get(room_url(in_session)))
    assert "Dra. Radióloga" in plain(section(page, f"agenda-{item.id}"))


def test_a_further_recommendation_on_a_discussed_case(app, in_session, own_case, referring, chair):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    # Not before the case's outcome is recorded.
    response = client.post(f"{panel_url(item)}/recommendations",
                           data={"category": "further_studies", "text": "Cariotipo.",
                                 "responsible": "Laboratorio"}, follow_redirects=True)  # fmt: skip
    assert "Record the outcome of this case first." in text_of(response)
    assert count(Recommendation) == 0

    client.post(f"{panel_url(item)}/outcome", data=discussed())
    response = client.post(
        f"{panel_url(item)}/recommendations",
        data={"category": "further_studies", "text": "Inmunofenotipo por citometría de flujo.",
              "consensus": "true", "responsible": "Laboratorio de hematología, CMN La Raza"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Recommendation recorded" in text_of(response)
    db.session.expire_all()
    categories = [r.category for r in db.session.scalars(db.select(Recommendation))]
    assert categories == [RecommendationCategory.TREATMENT_PLAN,
                          RecommendationCategory.FURTHER_STUDIES]  # fmt: skip
    assert len(emails("recommendation_issued")) == 2
    assert len(events_of(own_case, "recommendation")) == 2
    card = plain(section(text_of(client_for(app, referring).get(f"/cases/{own_case.id}")),
                         "recommendations"))  # fmt: skip
    assert "Further studies" in card and "Inmunofenotipo" in card


# --- deferred -------------------------------------------------------------------------


def test_deferred_goes_back_to_scheduling_ahead_of_newer_cases(
    app, board, in_session, own_case, referring, chair, accepted, clock
):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    response = client.post(f"{panel_url(item)}/outcome", data=deferred(), follow_redirects=True)
    assert "deferred" in text_of(response)
    db.session.expire_all()
    assert item.outcome is ItemOutcome.DEFERRED and item.decided_at is not None
    assert own_case.status is CaseStatus.ACCEPTED and own_case.carry_over == 1
    assert entry_of(own_case) is None
    [event] = events_of(own_case, "deferred")
    why = record_label(DeferralReason.MISSING_MATERIAL)
    assert event.message == f"CE 1.{own_case.id} · {why}: Falta el informe de patología."
    assert len(audits("agenda.deferred")) == 1
    [email] = emails("case_deferred")
    assert email.to_address == referring.email
    assert f"/cases/{own_case.id}" in email.body_text
    assert PATIENT_REFERENCE not in email.subject + email.body_text
    assert count(Recommendation) == 0
    page = text_of(client.get(room_url(in_session)))
    assert "deferred" in plain(section(page, f"agenda-{item.id}"))  # still the session's business

    newer = accepted()  # sent during the session, before the deferred case is placed again
    assign_cases()
    second = sessions_of(board)[1]
    assert session_of(own_case) == second
    assert agenda_ids(second) == [own_case.id, newer.id]
    assert entry_of(own_case).carried_over


def test_the_meeting_says_why_it_defers(app, in_session, own_case, foreign_case, chair):
    client = client_for(app, chair)
    page = text_of(client.get(panel_url(item_for(in_session, own_case))))
    choices = plain(section(page, "deferral-reason"))
    assert "Why" in choices
    assert "Material missing" in choices and "Out of time" in choices and "Other" in choices
    for case, why, label in (
        (own_case, "missing_material", "Material missing"),
        (foreign_case, "no_time", "Out of time"),
    ):
        item = item_for(in_session, case)
        client.post(f"{panel_url(item)}/outcome", data=deferred(why=why))
        db.session.expire_all()
        assert item.outcome is ItemOutcome.DEFERRED
        assert item.deferral_reason is DeferralReason(why)
        shown = plain(section(text_of(client.get(panel_url(item))), "item-deferral-reason"))
        assert shown == label


def test_other_is_a_reason_too(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    data = deferred("El comité pidió otra opinión.", why="other")
    client_for(app, chair).post(f"{panel_url(item)}/outcome", data=data)
    db.session.expire_all()
    assert item.deferral_reason is DeferralReason.OTHER
    [event] = events_of(own_case, "deferred")
    why = record_label(DeferralReason.OTHER)  # the timeline is in the record's language
    assert event.message == f"CE 1.{own_case.id} · {why}: El comité pidió otra opinión."


def test_a_deferral_without_why_is_refused_and_changes_nothing(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    before = state(item, own_case)
    response = client.post(f"{panel_url(item)}/outcome", data=deferred(why=""))
    assert response.status_code == 422
    page = text_of(response)
    assert "Choose why the case is deferred." in plain(section(page, "deferral_reason-error"))
    assert "Falta el informe de patología." in page  # what was typed is kept
    assert state(item, own_case) == before
    assert item.outcome is ItemOutcome.PENDING and item.deferral_reason is None
    assert own_case.status is CaseStatus.SCHEDULED and not audits("agenda.deferred")


def test_a_discussed_case_keeps_no_deferral_reason(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    client_for(app, chair).post(f"{panel_url(item)}/outcome",
                                data=discussed(deferral_reason="no_time"))  # fmt: skip
    db.session.expire_all()
    assert item.outcome is ItemOutcome.DISCUSSED and item.deferral_reason is None


def test_a_deferred_case_shows_its_earlier_discussion_at_the_next_session(
    app, board, in_session, own_case, chair, clock
):
    first_item = item_for(in_session, own_case)
    client = client_for(app, chair)
    client.post(f"{panel_url(first_item)}/outcome", data=deferred())
    assign_cases()
    second = sessions_of(board)[1]
    clock.set(second.cutoff_at)
    close_due_agendas()
    clock.set(second.starts_at)
    item = item_for(second, own_case)
    page = text_of(client.get(panel_url(item)))
    earlier = plain(section(page, "earlier-discussions"))
    assert f"CE 1.{own_case.id}" in earlier and "deferred" in earlier

    client.post(f"{panel_url(item)}/outcome", data=discussed(category="palliative_care"))
    page = text_of(client.get(panel_url(item)))
    assert "Palliative care" in plain(section(page, "panel-recommendations"))
    assert f"CE 2.{own_case.id}" in plain(section(page, "panel-recommendations"))


# --- who records, and when ------------------------------------------------------------


def test_who_may_record_an_outcome(
    app, in_session, own_case, foreign_case, referring, specialist, coordinator, radiologist
):
    own, foreign = item_for(in_session, own_case), item_for(in_session, foreign_case)
    before = state(own, own_case)
    # The referring doctor follows the review of their case but does not decide it.
    assert client_for(app, referring).post(f"{panel_url(own)}/outcome",
                                           data=discussed()).status_code == 403  # fmt: skip
    # A specialist who is not on the board does not even see the room.
    assert client_for(app, specialist).post(f"{panel_url(own)}/outcome",
                                            data=discussed()).status_code == 404  # fmt: skip
    assert client_for(app, specialist).get(panel_url(own)).status_code == 404
    assert state(own, own_case) == before
    # An entry of another session is not this session's.
    assert (
        client_for(app, radiologist)
        .get(f"/sessions/{in_session.id + 1}/items/{own.id}")
        .status_code
        == 404
    )
    # A member and a coordinator record.
    client_for(app, radiologist).post(f"{panel_url(own)}/outcome", data=discussed())
    client_for(app, coordinator).post(f"{panel_url(foreign)}/outcome", data=deferred())
    db.session.expire_all()
    assert (own.outcome, foreign.outcome) == (ItemOutcome.DISCUSSED, ItemOutcome.DEFERRED)


def test_outcomes_from_an_hour_before_the_start_and_only_once(app, agenda, own_case, chair, clock):
    item = item_for(agenda, own_case)
    client = client_for(app, chair)
    clock.set(agenda.starts_at - timedelta(hours=2))
    page = text_of(client.get(panel_url(item)))
    assert 'id="record-outcome"' not in page
    response = client.post(f"{panel_url(item)}/outcome", data=discussed(), follow_redirects=True)
    assert "once the session starts" in text_of(response)
    assert count(Recommendation) == 0

    clock.set(agenda.starts_at - timedelta(minutes=55))
    client.post(f"{panel_url(item)}/outcome", data=discussed())
    response = client.post(f"{panel_url(item)}/outcome", data=deferred(), follow_redirects=True)
    assert "already settled" in text_of(response)
    db.session.expire_all()
    assert item.outcome is ItemOutcome.DISCUSSED and count(Recommendation) == 1


# --- the moments the network counts ---------------------------------------------------


def test_the_first_discussion_is_kept_through_follow_ups(
    app, board, in_session, own_case, coordinator, chair, clock
):
    accepted_at = own_case.accepted_at
    assert accepted_at is not None and own_case.first_discussed_at is None
    client = client_for(app, chair)
    clock.advance(timedelta(minutes=40))  # discussed 40 minutes into the session
    client.post(f"{panel_url(item_for(in_session, own_case))}/outcome", data=discussed())
    db.session.expire_all()
    assert own_case.first_discussed_at == in_session.starts_at  # the session's start

    # A follow-up at the next session: acceptance and first discussion stay where they were.
    case_service.transition(coordinator, own_case, "follow_up")
    assign_cases()
    second = sessions_of(board)[1]
    clock.set(second.cutoff_at)
    close_due_agendas()
    clock.set(second.starts_at)
    client.post(f"{panel_url(item_for(second, own_case))}/outcome", data=discussed())
    db.session.expire_all()
    assert own_case.status is CaseStatus.RECOMMENDATION_ISSUED
    assert own_case.accepted_at == accepted_at
    assert own_case.first_discussed_at == in_session.starts_at


def test_an_earlier_discussion_moves_the_first_one_back(app, board, in_session, own_case, chair):
    # A value from a later session (say, recorded out of order) gives way to an earlier one.
    later = sessions_of(board)[1].starts_at
    own_case.first_discussed_at = later
    db.session.commit()
    client_for(app, chair).post(
        f"{panel_url(item_for(in_session, own_case))}/outcome", data=discussed()
    )
    db.session.expire_all()
    assert own_case.first_discussed_at == in_session.starts_at < later


def test_a_deferral_is_no_discussion(app, in_session, own_case, chair):
    client_for(app, chair).post(
        f"{panel_url(item_for(in_session, own_case))}/outcome", data=deferred()
    )
    db.session.expire_all()
    assert own_case.first_discussed_at is None
