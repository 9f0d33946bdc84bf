# ruff: noqa: F811  (fixtures imported from referral_support are requested by name below)
"""Referring a patient where the case can be resolved, e.g. to HITO for a transplant.

From a recommendation, a board member picks what the receiving centre must have; the form
suggests the centres that have it (HITO first for a transplant, never the case's own
centre) and the referral then moves through both centres' steps with dated notes. The
receiving centre sees the referral and the case summary it needs, nothing else.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.cases import service as case_service
from telemed.cases.models import CaseEvent
from telemed.centres.models import Centre
from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStatus
from telemed.referrals.service import create_referral, suggest_centres
from telemed.room.models import Recommendation, RecommendationCategory
from tests.conftest import PDF_BYTES, client_for
from tests.scenes.boards import PATIENT_REFERENCE
from tests.scenes.referrals import (  # noqa: F401  (fixtures)
    audit_actions,
    counts,
    hito_colleague,
    hito_doctor,
    mails_to,
    network,
    recommend,
    render_as,
)
from tests.scenes.session import item_for

REASON = "Recaída medular temprana; candidata a trasplante haploidéntico (madre donadora)."


def refer(client: FlaskClient, recommendation: Recommendation, centre_id: int,
          **overrides: Any) -> Any:  # fmt: skip
    data: dict[str, Any] = {
        "needs": ["has_transplant_unit"], "transplant_type": "haploidentical",
        "to_centre_id": str(centre_id), "reason": REASON, "send": "1",
    }  # fmt: skip
    data.update(overrides)
    return client.post(f"/recommendations/{recommendation.id}/refer", data=data)


def step(client: FlaskClient, referral: Referral, status: str, **fields: str) -> Any:
    return client.post(f"/referrals/{referral.id}/status", data={"status": status, **fields},
                       follow_redirects=True)  # fmt: skip


def refer_to_hito(chair, recommendation, network, *, send: bool = True) -> Referral:  # type: ignore[no-untyped-def]
    return create_referral(chair, recommendation, {
        "needs": ["has_transplant_unit"], "transplant_type": "haploidentical",
        "to_centre_id": network["hito"].id, "reason": REASON, "send": send,
    })  # fmt: skip


def option_codes(html: str, select_id: str) -> list[str]:
    """The centres offered in a ``<select>``, by code, in the order shown."""
    block = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)
    assert block is not None, select_id
    values = re.findall(r'<option value="(\d+)"', block.group(0))
    return [db.session.get(Centre, int(value)).code for value in values]


def codes(centres: list) -> list[str]:
    return [c.code for c in centres]


# --- suggestions ----------------------------------------------------------------------


def test_a_transplant_suggests_hito_first_and_never_the_cases_own_centre(network):
    tijuana = network["tijuana"].id  # has every resource, including a transplant unit
    assert codes(suggest_centres(["has_transplant_unit"], exclude_centre_id=tijuana,
                                 transplant=True)) == ["HITO", "UMAE-SXXI"]  # fmt: skip
    # A transplant type alone is a transplant: the partner still comes first.
    assert codes(suggest_centres(["has_blood_bank"], exclude_centre_id=tijuana,
                                 transplant=True))[0] == "HITO"  # fmt: skip
    # The closed centre has everything but is not active; Tijuana is the case's own.
    everything = suggest_centres([], exclude_centre_id=tijuana, transplant=False)
    assert {"OLD-01", "OC-BC-TIJ"}.isdisjoint(codes(everything))


def test_suggestions_need_every_resource_and_otherwise_go_by_kind_and_name(network):
    tijuana = network["tijuana"].id
    radiotherapy_and_neurosurgery = suggest_centres(
        ["has_linear_accelerator", "has_neurosurgery"], exclude_centre_id=tijuana,
        transplant=False,
    )  # fmt: skip
    # HITO has a linear accelerator but no neurosurgery; UMAEs come before OncoCREANs.
    assert codes(radiotherapy_and_neurosurgery) == ["UMAE-LR", "UMAE-SXXI", "OC-AGS"]
    # Without a transplant an external partner is not preferred: it comes last.
    assert codes(suggest_centres(["has_linear_accelerator"], exclude_centre_id=tijuana,
                                 transplant=False)) == ["UMAE-LR", "UMAE-SXXI", "OC-AGS",
                                                        "HITO"]  # fmt: skip


def test_the_refer_page_suggests_again_for_the_needs_in_the_query(
    app, in_session, own_case, chair, coordinator, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    client = client_for(app, chair)
    select_id = f"refer-{recommendation.id}-centre"

    page = client.get(f"/recommendations/{recommendation.id}/refer")
    assert page.status_code == 200
    assert "OC-BC-TIJ" not in option_codes(page.get_data(as_text=True), select_id)

    page = client.get(f"/recommendations/{recommendation.id}/refer"
                      "?needs=has_linear_accelerator&needs=has_neurosurgery")  # fmt: skip
    html = page.get_data(as_text=True)
    assert option_codes(html, select_id) == ["UMAE-LR", "UMAE-SXXI", "OC-AGS"]
    checkbox = f'id="refer-{recommendation.id}-need-has_neurosurgery" checked'
    assert checkbox in html

    # A transplant type implies a transplant unit: HITO first.
    page = client.get(f"/recommendations/{recommendation.id}/refer?transplant_type=haploidentical")
    html = page.get_data(as_text=True)
    assert option_codes(html, select_id) == ["HITO", "UMAE-SXXI"]
    assert '<input type="hidden" name="needs" value="has_transplant_unit">' in html


def test_the_panel_offers_a_refer_form_for_each_recommendation_without_a_referral(
    app, in_session, own_case, chair, coordinator, referring, network
):
    first = recommend(in_session, own_case, chair, discuss_as=coordinator)
    second = recommend(in_session, own_case, chair, text="Radioterapia de consolidación.",
                       category=RecommendationCategory.TREATMENT_PLAN)  # fmt: skip
    item = item_for(in_session, own_case)
    context = {"session": in_session, "item": item, "case": own_case}

    html = render_as(app, chair, "referrals/_panel_referrals.html", can_run=True, **context)
    assert f'id="refer-{first.id}"' in html and f'id="refer-{second.id}"' in html
    assert "No referral yet." in html
    assert 'name="transplant_type"' in html and 'name="reason"' in html
    assert f'action="/recommendations/{first.id}/refer#refer-{first.id}"' in html  # the GET
    assert "referrals.js" in html

    refer_to_hito(chair, first, network)
    html = render_as(app, chair, "referrals/_panel_referrals.html", can_run=True, **context)
    assert f'id="refer-{first.id}"' not in html and f'id="refer-{second.id}"' in html
    assert "Referral to Hospital Infantil Teletón de Oncología" in html

    # The referring doctor in the room follows the referral but does not refer.
    html = render_as(app, referring, "referrals/_panel_referrals.html", can_run=False, **context)
    assert "Referral to Hospital Infantil Teletón de Oncología" in html
    assert "refer-form" not in html


# --- the workflow ---------------------------------------------------------------------


def test_a_haploidentical_transplant_referral_runs_to_completion(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    board = client_for(app, chair)
    response = refer(board, recommendation, network["hito"].id, next=f"/cases/{own_case.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{own_case.id}")
    referral = db.session.scalars(select(Referral)).one()
    assert referral.status is ReferralStatus.SENT
    assert (referral.needs, referral.transplant_type.value) == (["has_transplant_unit"],
                                                                "haploidentical")  # fmt: skip
    assert (referral.from_centre_id, referral.board_id) == (own_case.centre_id,
                                                            in_session.board_id)  # fmt: skip

    hito = client_for(app, hito_doctor)
    page = step(hito, referral, "accepted", note="Recibida; valoración por el equipo de TCPH.")
    assert "Referral of case CE-0001: accepted." in page.get_data(as_text=True)
    step(hito, referral, "under_evaluation", pending_studies="Tipificación HLA de la madre.")
    doctor = client_for(app, referring)
    page = doctor.post(f"/referrals/{referral.id}/notes", data={"note": "HLA enviado el lunes."},
                       follow_redirects=True)  # fmt: skip
    assert "Note added." in page.get_data(as_text=True)
    hito.post(f"/referrals/{referral.id}/notes", data={"note": "HLA recibido, compatible."})
    step(hito, referral, "scheduled", scheduled_for="2026-04-15", note="Ingreso programado.")
    step(hito, referral, "completed")

    db.session.expire_all()
    assert referral.status is ReferralStatus.COMPLETED
    assert referral.pending_studies == "Tipificación HLA de la madre."
    assert referral.scheduled_for.isoformat() == "2026-04-15"
    assert [(s.from_status, s.to_status, s.actor.name) for s in referral.steps] == [
        (None, "proposed", chair.name),
        ("proposed", "sent", chair.name),
        ("sent", "accepted", hito_doctor.name),
        ("accepted", "under_evaluation", hito_doctor.name),
        (None, None, referring.name),
        (None, None, hito_doctor.name),
        ("under_evaluation", "scheduled", hito_doctor.name),
        ("scheduled", "completed", hito_doctor.name),
    ]
    assert [s.note for s in referral.steps if s.to_status is None] == [
        "HLA enviado el lunes.",
        "HLA recibido, compatible.",
    ]

    # Both sides read the same dated steps.
    for client in (doctor, hito):
        html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
        assert "HLA recibido, compatible." in html and "Ingreso programado." in html
    case_page = doctor.get(f"/cases/{own_case.id}").get_data(as_text=True)
    assert 'id="case-referrals"' in case_page and "HLA enviado el lunes." in case_page

    # The case's timeline: one "referral" event per status, with status and centre only.
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == own_case.id, CaseEvent.kind == "referral")
    ).all()
    assert len(events) == 6
    for event in events:
        assert event.message.endswith("— Hospital Infantil Teletón de Oncología")
        assert PATIENT_REFERENCE not in event.message
        assert "HLA" not in event.message


def test_steps_out_of_order_are_refused_with_a_readable_message(
    app, in_session, own_case, chair, coordinator, hito_doctor, network
):
    referral = refer_to_hito(chair, recommend(in_session, own_case, chair,
                                              discuss_as=coordinator), network)  # fmt: skip
    hito = client_for(app, hito_doctor)
    before = counts()
    page = step(hito, referral, "completed")
    assert "This referral is sent, so it cannot be moved to completed." in page.get_data(
        as_text=True
    )
    page = step(hito, referral, "scheduled", scheduled_for="2026-04-15")
    assert "cannot be moved to scheduled" in page.get_data(as_text=True)
    page = step(hito, referral, "proposed")
    assert "Choose one of the steps." in page.get_data(as_text=True)
    assert counts() == before
    db.session.expire_all()
    assert referral.status is ReferralStatus.SENT


def test_each_side_takes_only_its_own_steps(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    referral = refer_to_hito(chair, recommend(in_session, own_case, chair,
                                              discuss_as=coordinator), network)  # fmt: skip
    doctor, hito = client_for(app, referring), client_for(app, hito_doctor)
    before = counts()
    page = step(doctor, referral, "accepted")
    assert "Only the receiving centre can take this step." in page.get_data(as_text=True)
    page = step(hito, referral, "cancelled", note="No.")
    assert "Only the referring centre and the board can take this step." in page.get_data(
        as_text=True
    )
    assert counts() == before

    # Each page offers only the viewer's side.
    mine = doctor.get(f"/cases/{own_case.id}").get_data(as_text=True)
    assert f'id="ref-{referral.id}-cancelled"' in mine
    assert f'id="ref-{referral.id}-accepted"' not in mine
    theirs = hito.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f'id="ref-{referral.id}-accepted"' in theirs
    assert f'id="ref-{referral.id}-declined"' in theirs
    assert f'id="ref-{referral.id}-cancelled"' not in theirs
    assert f'id="ref-{referral.id}-note-form"' in mine and f'id="ref-{referral.id}-note-form"' in (
        theirs
    )

    # The sending side cancels (with a reason); nothing is left to do but notes.
    page = step(doctor, referral, "cancelled", note="La familia decide atención local.")
    assert "Referral of case CE-0001: cancelled." in page.get_data(as_text=True)
    theirs = hito.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "La familia decide atención local." in theirs
    assert 'class="border rounded p-2 mb-2 referral-step-form"' not in theirs


def test_a_declined_referral_lets_the_board_refer_elsewhere(
    app, in_session, own_case, chair, coordinator, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    referral = refer_to_hito(chair, recommendation, network)
    hito = client_for(app, hito_doctor)
    page = step(hito, referral, "declined")
    assert "Please write the reason." in page.get_data(as_text=True)
    step(hito, referral, "declined", note="Sin camas de trasplante hasta junio.")
    db.session.expire_all()
    assert referral.status is ReferralStatus.DECLINED

    response = refer(client_for(app, chair), recommendation, network["siglo_xxi"].id)
    assert response.status_code == 302
    assert [r.to_centre.code for r in recommendation.referrals] == ["HITO", "UMAE-SXXI"]
    # With an active referral the recommendation is not referred twice.
    chair_client = client_for(app, chair)
    refer(chair_client, recommendation, network["hito"].id)
    page = chair_client.get(f"/cases/{own_case.id}").get_data(as_text=True)
    assert "This recommendation already has a referral." in page
    assert len(db.session.scalars(select(Referral)).all()) == 2


# --- what each centre sees ------------------------------------------------------------


def test_the_receiving_centre_sees_the_summary_it_needs_and_nothing_else(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    case_service.add_attachments(referring, own_case, [("biopsia-medula.pdf", PDF_BYTES)])
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    recommend(in_session, own_case, chair, text="Valorar radioterapia corporal total.",
              category=RecommendationCategory.TREATMENT_PLAN)  # fmt: skip
    referral = refer_to_hito(chair, recommendation, network)
    hito = client_for(app, hito_doctor)

    page = hito.get(f"/referrals/{referral.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in ("CE-0001", "7 years", "4 months", "female", "C91.0",
                  "Leucemia linfoblástica aguda de precursores B", "Riesgo alto",
                  "¿Es candidata a trasplante haploidéntico", "Haploidentical", REASON,
                  "HGR No. 1 Tijuana"):  # fmt: skip
        assert shown in html, shown
    for hidden in (PATIENT_REFERENCE, "biopsia-medula.pdf", "Valorar radioterapia",
                   recommendation.text, f"/cases/{own_case.id}",
                   "Inducción protocolo institucional"):  # fmt: skip
        assert hidden not in html, hidden

    assert hito.get(f"/cases/{own_case.id}").status_code == 404
    attachment = own_case.attachments[0]
    assert hito.get(f"/cases/{own_case.id}/attachments/{attachment.id}").status_code == 404

    # The sending side gets the way to the case, and the recommendation.
    html = client_for(app, referring).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'id="case-link"' in html and recommendation.text in html


def test_unrelated_centres_and_unsent_referrals_are_not_found(
    app, in_session, own_case, chair, coordinator, other_referring, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    referral = refer_to_hito(chair, recommendation, network, send=False)
    hito = client_for(app, hito_doctor)
    # Proposed, not sent: the receiving centre does not know of it yet.
    assert hito.get(f"/referrals/{referral.id}").status_code == 404
    assert "CE-0001" not in hito.get("/referrals").get_data(as_text=True)
    assert mails_to(hito_doctor) == []

    page = step(client_for(app, chair), referral, "sent")
    assert "Referral of case CE-0001: sent." in page.get_data(as_text=True)
    assert hito.get(f"/referrals/{referral.id}").status_code == 200

    stranger = client_for(app, other_referring)  # Cancún: neither side
    assert stranger.get(f"/referrals/{referral.id}").status_code == 404
    assert stranger.post(f"/referrals/{referral.id}/notes", data={"note": "x"}).status_code == 404
    assert stranger.post(f"/referrals/{referral.id}/status",
                         data={"status": "cancelled"}).status_code == 404  # fmt: skip
    assert "CE-0001" not in stranger.get("/referrals").get_data(as_text=True)


def test_the_referrals_page_lists_incoming_and_outgoing(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    referral = refer_to_hito(chair, recommend(in_session, own_case, chair,
                                              discuss_as=coordinator), network)  # fmt: skip
    row = f'id="referral-row-{referral.id}"'

    html = client_for(app, hito_doctor).get("/referrals").get_data(as_text=True)
    assert row in html and "incoming" in html
    html = client_for(app, hito_doctor).get("/referrals?direction=outgoing").get_data(as_text=True)
    assert row not in html
    doctor = client_for(app, referring)
    html = doctor.get("/referrals?direction=outgoing").get_data(as_text=True)
    assert row in html and "outgoing" in html
    assert row in doctor.get("/referrals?status=sent").get_data(as_text=True)
    assert row not in doctor.get("/referrals?status=completed").get_data(as_text=True)
    assert row in client_for(app, coordinator).get("/referrals").get_data(as_text=True)
    assert 'href="/referrals"' in doctor.get("/cases/").get_data(as_text=True)  # in the menu
    assert doctor.get("/referrals?status=nonsense").status_code == 422


# --- email, bad input, audit ----------------------------------------------------------


def test_emails_carry_a_link_and_never_patient_data(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, hito_colleague,
    make_user, network,
):  # fmt: skip
    from telemed.auth.models import Role

    make_user(Role.REFERRING, centre_id=network["hito"].id, email="baja@hito.test",
              active=False)  # fmt: skip
    for user in (referring, hito_doctor, hito_colleague):
        user.locale = "en"  # emails go out in each recipient's language
    db.session.commit()
    referral = refer_to_hito(chair, recommend(in_session, own_case, chair,
                                              discuss_as=coordinator), network)  # fmt: skip
    hito = client_for(app, hito_doctor)
    step(hito, referral, "accepted")
    hito.post(f"/referrals/{referral.id}/notes", data={"note": "Favor de enviar HLA."})
    client_for(app, referring).post(f"/referrals/{referral.id}/notes",
                                    data={"note": "HLA en camino."})  # fmt: skip

    sent = [m for m in mails_to(hito_doctor) + mails_to(hito_colleague)
            if "New referral" in m.subject]  # fmt: skip
    assert len(sent) == 2  # both active doctors of the receiving centre, not the inactive one
    news = mails_to(referring, "referral")
    assert [m.subject for m in news] == [
        "Referral of case CE-0001: accepted",
        "Referral of case CE-0001: a new note",
    ]
    assert mails_to(hito_doctor)[-1].subject == "Referral of case CE-0001: a new note"
    assert mails_to(chair, "referral") == []
    link = f"/referrals/{referral.id}"
    for message in mails_to(hito_doctor) + mails_to(hito_colleague) + news:
        text = message.subject + message.body_text
        assert link in message.body_text and "CE-0001" in text
        for secret in (PATIENT_REFERENCE, "Leucemia", "C91.0", REASON, "HLA", "trasplante"):
            assert secret not in text, (secret, message.subject)


def test_bad_input_is_refused_and_writes_nothing(
    app, in_session, own_case, chair, coordinator, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    board = client_for(app, chair)
    before = counts()
    cases = [
        ({"to_centre_id": str(network["la_raza"].id)},
         "CMN La Raza, Hospital General cannot resolve this case: it has no Transplant unit."),
        ({"to_centre_id": str(network["tijuana"].id)}, "Choose a centre other than the case"),
        ({"to_centre_id": str(network["closed"].id)}, "Choose an active centre."),
        ({"transplant_type": ""}, "Choose the transplant type."),
        ({"reason": ""}, "This field is required."),
        ({"to_centre_id": ""}, "This field is required."),
        ({"needs": ["has_helipad"]}, "Choose among the listed resources."),
    ]  # fmt: skip
    for overrides, message in cases:
        response = refer(board, recommendation, network["hito"].id, **overrides)
        assert response.status_code == 422, overrides
        assert message in response.get_data(as_text=True), overrides
    assert counts() == before

    # The typed reason survives the error.
    response = refer(board, recommendation, network["la_raza"].id)
    assert REASON in response.get_data(as_text=True)

    referral = refer_to_hito(chair, recommendation, network)
    hito = client_for(app, hito_doctor)
    step(hito, referral, "accepted")
    before = counts()
    page = step(hito, referral, "under_evaluation")
    assert "Write which studies are pending." in page.get_data(as_text=True)
    page = step(hito, referral, "scheduled", scheduled_for="2026-03-04")
    assert "The date is in the past." in page.get_data(as_text=True)
    page = step(hito, referral, "scheduled")
    assert "Choose the date." in page.get_data(as_text=True)
    page = step(hito, referral, "completed", scheduled_for="2026-04-01")
    assert "cannot be moved to completed" in page.get_data(as_text=True)
    page = hito.post(f"/referrals/{referral.id}/notes", data={"note": "  "},
                     follow_redirects=True)  # fmt: skip
    assert "This field is required." in page.get_data(as_text=True)
    assert counts() == before
    # "Today" is the receiving centre's: 18:00 on 5 March in Querétaro is 00:00 UTC on 6 March.
    step(hito, referral, "scheduled", scheduled_for="2026-03-05")
    db.session.expire_all()
    assert referral.status is ReferralStatus.SCHEDULED


def test_only_the_board_refers_a_patient(
    app, in_session, own_case, chair, radiologist, coordinator, referring, other_referring,
    network,
):  # fmt: skip
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    doctor = client_for(app, referring)
    assert doctor.get(f"/recommendations/{recommendation.id}/refer").status_code == 403
    assert refer(doctor, recommendation, network["hito"].id).status_code == 403
    stranger = client_for(app, other_referring)
    assert stranger.get(f"/recommendations/{recommendation.id}/refer").status_code == 404
    assert refer(client_for(app, radiologist), recommendation, network["hito"].id).status_code == (
        302
    )
    assert db.session.scalars(select(Referral)).one().created_by_id == radiologist.id


def test_every_step_and_read_is_audited(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    refer(client_for(app, chair), recommendation, network["hito"].id)
    referral = db.session.scalars(select(Referral)).one()
    hito = client_for(app, hito_doctor)
    hito.get(f"/referrals/{referral.id}")
    step(hito, referral, "accepted")
    hito.post(f"/referrals/{referral.id}/notes", data={"note": "Nota."})
    client_for(app, referring).post(
        f"/referrals/{referral.id}/status", data={"status": "cancelled", "note": "Otra decisión."}
    )
    assert audit_actions("referral", referral.id) == [
        "referral.create", "referral.sent", "referral.view", "referral.accepted",
        "referral.view", "referral.note", "referral.cancelled",
    ]  # fmt: skip


# --- the moments the network counts ---------------------------------------------------


def test_completing_a_referral_keeps_when_it_was_completed(
    app, in_session, own_case, chair, coordinator, hito_doctor, network, clock
):
    referral = refer_to_hito(chair, recommend(in_session, own_case, chair,
                                              discuss_as=coordinator), network)  # fmt: skip
    hito = client_for(app, hito_doctor)
    step(hito, referral, "accepted")
    step(hito, referral, "under_evaluation")
    clock.advance(timedelta(days=3))
    step(hito, referral, "scheduled", scheduled_for="2026-04-15")
    db.session.expire_all()
    assert referral.completed_at is None  # not until it is completed
    clock.advance(timedelta(days=20))
    completed_at = clock()
    step(hito, referral, "completed")
    db.session.expire_all()
    assert referral.status is ReferralStatus.COMPLETED
    assert referral.completed_at == completed_at
