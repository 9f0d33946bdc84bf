"""Required material: each board says what each kind of request needs (a pathology report for
a diagnosis second opinion, immunophenotype and minimal residual disease for a transplant
evaluation); files say what they are; a case on an open agenda that lacks something is
flagged to its referring doctor once, before the cut-off, and shown to the board.

The solid-tumour board meets on Thursday 5 March 2026 at 18:00 Mexico City; its agenda
closes on Tuesday 3 March at 23:59 (21:59 in Tijuana); the clock starts on Monday 2 March.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler import jobs
from telemed.boards.models import Board
from telemed.cases import service as case_service
from telemed.cases.models import Attachment, Case
from telemed.core.vocabulary import MaterialKind
from telemed.demo import load_demo_data
from telemed.extensions import db
from telemed.jobs import lease
from telemed.preparation.material import flag_missing_material, missing_material
from telemed.sessions.service import close_due_agendas
from tests.boards.test_board_views import board_form
from tests.conftest import PDF_BYTES, case_payload, client_for, committed
from tests.scenes.boards import PATIENT_REFERENCE, emails
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

TRANSPLANT_NEEDS = ["immunophenotype", "minimal_residual_disease"]


def pdf(tag: str) -> bytes:
    """A PDF no other test stores (the attachment folder is shared)."""
    return PDF_BYTES + f"\n% {tag}\n".encode()


def requires(board: Board, **config: list[str]) -> Board:
    board.required_material = config
    db.session.commit()
    return board


def checked(page: str, kind: str, material: str) -> bool:
    """Whether the grid's box for this kind of request and material is ticked."""
    box = re.search(rf'<input[^>]*id="rm-{kind}-{material}"[^>]*>', page)
    assert box is not None, f"no box for {kind} × {material}"
    return " checked" in box.group(0)


def attach(case: Case, user, material: str | None, tag: str) -> None:  # type: ignore[no-untyped-def]
    case_service.add_attachments(user, case, [(f"{tag}.pdf", pdf(tag))], material=material)


@pytest.fixture
def flagged_board(board: Board) -> Board:
    """Transplant evaluations need immunophenotype and MRD; diagnosis opinions a report."""
    return requires(board, transplant_evaluation=TRANSPLANT_NEEDS,
                    diagnosis_opinion=["pathology_report", "imaging"])  # fmt: skip


# --- attachments say what they are ----------------------------------------------------


def test_referring_doctor_uploads_files_saying_what_they_are(app, make_case, referring):
    case = make_case()
    client = client_for(app, referring)
    response = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": [(io.BytesIO(pdf("ifn-1")), "inmunofenotipo.pdf"),
                       (io.BytesIO(pdf("ifn-2")), "citometria.pdf")],
              "material": "immunophenotype"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [a.material for a in rows] == [MaterialKind.IMMUNOPHENOTYPE] * 2
    page = text_of(client.get(f"/cases/{case.id}"))
    assert plain(section(page, f"attachment-{rows[0].id}")).count("Immunophenotype") >= 1
    assert audits("attachment.create")[-1].details["material"] == "immunophenotype"


def test_an_unknown_material_is_refused_and_no_file_is_stored(app, make_case, referring):
    case = make_case()
    client = client_for(app, referring)
    response = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(pdf("bad-kind")), "x.pdf"), "material": "horoscope"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # the case page again, the error beside the kind
    assert re.search(
        r'<div id="material-error"[^>]*>Choose one of the options.</div>', text_of(response)
    )
    assert count(Attachment) == 0
    assert audits("attachment.create") == []


def test_case_form_takes_a_material_for_its_files(app, referring):
    client = client_for(app, referring)
    data = {**case_payload(), "high_complexity": "on", "action": "submit",
            "material": "pathology_report",
            "file": (io.BytesIO(pdf("form-report")), "informe.pdf")}  # fmt: skip
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.material is MaterialKind.PATHOLOGY_REPORT

    bad = {**data, "material": "tarot", "file": (io.BytesIO(pdf("form-bad")), "x.pdf")}
    response = client.post("/cases/new", data=bad, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="material-error"' in text_of(response)
    assert count(Case) == 1 and count(Attachment) == 1


def test_who_may_say_what_an_attachment_is(
    app, board, make_case, referring, other_referring, coordinator, chair
):
    case = make_case(specialty="solid_tumours")
    attach(case, referring, None, "unlabelled")
    attachment = case.attachments[0]
    url = f"/cases/{case.id}/attachments/{attachment.id}/material"

    imaging = {"material": "imaging"}
    assert client_for(app, other_referring).post(url, data=imaging).status_code == 404
    assert client_for(app, chair).post(url, data=imaging).status_code == 403
    db.session.refresh(attachment)
    assert attachment.material is None

    doctor = client_for(app, referring)
    refused = doctor.post(url, data={"material": "gossip"}, follow_redirects=True)
    assert "Choose one of the options." in alerts(text_of(refused))
    db.session.refresh(attachment)
    assert attachment.material is None and audits("attachment.material") == []

    assert doctor.post(url, data=imaging).status_code == 302
    db.session.refresh(attachment)
    assert attachment.material is MaterialKind.IMAGING
    laboratory = {"material": "laboratory"}
    assert client_for(app, coordinator).post(url, data=laboratory).status_code == 302
    db.session.refresh(attachment)
    assert attachment.material is MaterialKind.LABORATORY
    changes = [(a.actor_id, a.details["before"], a.details["after"])
               for a in audits("attachment.material")]  # fmt: skip
    assert changes == [(referring.id, None, "imaging"), (coordinator.id, "imaging", "laboratory")]


def test_the_api_uploads_and_corrects_the_material(app, make_case, referring):
    case = make_case()
    client = client_for(app, referring)
    created = client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={
            "file": (io.BytesIO(pdf("api-mrd")), "emr.pdf"),
            "material": "minimal_residual_disease",
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    [body] = created.get_json()
    assert body["material"] == "minimal_residual_disease"

    url = f"/api/v1/cases/{case.id}/attachments/{body['id']}"
    refused = client.patch(url, json={"material": "astrology"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"material": ["Choose one of the options."]}
    fixed = client.patch(url, json={"material": "cytogenetics"})
    assert fixed.status_code == 200 and fixed.get_json()["material"] == "cytogenetics"
    assert client.patch(url, json={"material": None}).get_json()["material"] is None
    assert client.patch(f"/api/v1/cases/{case.id}/attachments/9999", json={}).status_code == 404


# --- the board says what each request needs -------------------------------------------


def test_board_form_saves_the_required_material_grid(app, coordinator):
    client = client_for(app, coordinator)
    assert 'id="required-material"' in text_of(client.get("/boards/new"))
    data = board_form(**{"required_material.transplant_evaluation": TRANSPLANT_NEEDS,
                         "required_material.diagnosis_opinion": ["imaging", "pathology_report"],
                         "required_material.treatment_plan": []})  # fmt: skip
    response = client.post("/boards/new", data=data)
    assert response.status_code == 302
    board = db.session.scalars(select(Board)).one()
    # Stored in a stable order, kinds needing nothing left out.
    assert board.required_material == {
        "diagnosis_opinion": ["pathology_report", "imaging"],
        "transplant_evaluation": TRANSPLANT_NEEDS,
    }
    edit = text_of(client.get(f"/boards/{board.id}/edit"))
    assert checked(edit, "transplant_evaluation", "immunophenotype")
    assert checked(edit, "diagnosis_opinion", "imaging")
    assert not checked(edit, "treatment_plan", "imaging")
    shown = plain(section(text_of(client.get(f"/boards/{board.id}")), "required-material"))
    assert "Second opinion on diagnosis: Pathology report, Imaging report" in shown
    assert "Transplant evaluation: Immunophenotype, Minimal residual disease" in shown

    # Saving the form unchanged changes nothing; clearing the grid empties it.
    client.post(f"/boards/{board.id}/edit", data={**data, "name": board.name})
    assert "required_material" not in audits("board.update")[-1].details["changed"]
    client.post(f"/boards/{board.id}/edit", data=board_form(name=board.name))
    db.session.refresh(board)
    assert board.required_material == {}
    assert "required_material" in audits("board.update")[-1].details["changed"]


@pytest.mark.parametrize(
    "bad",
    [
        {"required_material.transplant_evaluation": ["immunophenotype", "crystal_ball"]},
        {"required_material.astrology": ["imaging"]},
    ],
)
def test_bad_required_material_is_refused_and_nothing_changes(app, coordinator, board, bad):
    client = client_for(app, coordinator)
    before = dict(board.required_material or {})
    response = client.post(f"/boards/{board.id}/edit", data=board_form(name=board.name, **bad))
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was saved" in page
    assert "Choose among the options." in plain(section(page, "required_material-error"))
    db.session.refresh(board)
    assert board.required_material == before
    assert audits("board.update") == []


def test_demo_boards_come_with_their_required_material(app):
    load_demo_data()
    boards = {b.name: b.required_material for b in db.session.scalars(select(Board))}
    solid = boards["Comité de tumores sólidos"]
    assert solid["diagnosis_opinion"] == ["pathology_report", "imaging"]
    leukaemia = boards["Comité de leucemias y linfomas"]
    assert leukaemia["transplant_evaluation"] == TRANSPLANT_NEEDS
    assert leukaemia["diagnosis_opinion"] == ["immunophenotype"]
    assert set(TRANSPLANT_NEEDS) <= set(boards["Comité de trasplante"]["transplant_evaluation"])
    assert boards["Capacitación"] == {}
    assert load_demo_data()["boards"] == 0  # idempotent
    assert {b.name: b.required_material for b in db.session.scalars(select(Board))} == boards


# --- what a case lacks --------------------------------------------------------------------


def test_missing_material_follows_the_request_and_the_files(flagged_board, make_case, referring):
    transplant = make_case(specialty="solid_tumours")
    assert missing_material(transplant, flagged_board) == [
        MaterialKind.IMMUNOPHENOTYPE, MaterialKind.MINIMAL_RESIDUAL_DISEASE]  # fmt: skip
    attach(transplant, referring, "immunophenotype", "mm-ifn")
    attach(transplant, referring, None, "mm-unlabelled")  # unlabelled files count for nothing
    db.session.refresh(transplant)
    assert missing_material(transplant, flagged_board) == [MaterialKind.MINIMAL_RESIDUAL_DISEASE]
    attach(transplant, referring, "minimal_residual_disease", "mm-mrd")
    db.session.refresh(transplant)
    assert missing_material(transplant, flagged_board) == []

    palliative = make_case(specialty="solid_tumours", request_kind="palliative_care")
    assert missing_material(palliative, flagged_board) == []  # nothing configured for it


# --- the flag: once, before the cut-off -----------------------------------------------------


def test_the_flag_job_emails_the_referring_doctor_once_and_marks_the_timeline(
    app, flagged_board, agenda, own_case, foreign_case, referring, other_referring
):
    attach(foreign_case, other_referring, "immunophenotype", "fc-ifn")
    attach(foreign_case, other_referring, "minimal_residual_disease", "fc-mrd")
    referring.locale = "en"  # emails go out in the recipient's language
    db.session.commit()

    assert flag_missing_material() == 1
    assert flag_missing_material() == 0  # run again: nothing new
    [email] = emails("material_missing")
    assert email.to_address == referring.email
    assert email.subject == f"Case {own_case.code}: material missing before the agenda closes"
    body = email.body_text
    item = item_for(agenda, own_case)
    assert item.agenda_code in body and own_case.code in body
    assert "- Immunophenotype" in body and "- Minimal residual disease" in body
    # The cut-off on the board's clock, and on the doctor's.
    assert "Tuesday 3 March, 23:59 (Mexico City time); 21:59 your time (Tijuana)" in body
    assert f"/cases/{own_case.id}" in body
    assert PATIENT_REFERENCE not in body + email.subject
    assert own_case.diagnosis_text not in body

    [event] = events_of(own_case, "material_missing")
    assert event.message == f"{item.agenda_code}: immunophenotype, minimal_residual_disease"
    assert events_of(foreign_case, "material_missing") == []
    [entry] = audits("case.material_missing")
    assert entry.details["missing"] == TRANSPLANT_NEEDS

    page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    flag = plain(section(page, "preparation"))
    assert "Missing for this request: Immunophenotype, Minimal residual disease." in flag
    assert "Upload before 3 Mar 2026, 21:59" in flag
    [step] = [s for s in timeline(page) if s.startswith("Required material missing")]
    assert "Missing: Immunophenotype, Minimal residual disease" in step
    assert "session 1" in step and item.agenda_code in step

    # Completed: the flag disappears from the page; the job stays quiet.
    attach(own_case, referring, "immunophenotype", "oc-ifn")
    attach(own_case, referring, "minimal_residual_disease", "oc-mrd")
    page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    assert "Missing for this request" not in page
    assert "All the material the board requires for this request is attached." in page
    assert flag_missing_material() == 0
    assert len(emails("material_missing")) == 1


def test_nothing_is_flagged_after_the_cut_off(flagged_board, agenda, clock):
    clock.set(agenda.cutoff_at)
    assert flag_missing_material() == 0
    close_due_agendas()
    clock.advance(timedelta(hours=1))
    assert flag_missing_material() == 0
    assert emails("material_missing") == []


def test_the_flag_runs_as_a_scheduler_job_only_for_the_leader(
    app, flagged_board, agenda, own_case, clock
):
    jobs.bind(app, "x")
    assert jobs.flag_missing_material() is None
    assert emails("material_missing") == []
    assert committed(lease.try_acquire("x", timedelta(seconds=45)))
    assert jobs.flag_missing_material() == 2  # both cases are transplant evaluations
    assert jobs.flag_missing_material() == 0
    assert len(events_of(own_case, "material_missing")) == 1


# --- shown to the board -------------------------------------------------------------------


def test_dashboard_session_page_and_rows_show_the_gaps(
    app, flagged_board, agenda, own_case, foreign_case, coordinator, referring, other_referring
):
    attach(foreign_case, other_referring, "immunophenotype", "dash-ifn")
    own_item, foreign_item = item_for(agenda, own_case), item_for(agenda, foreign_case)

    dashboard = text_of(client_for(app, coordinator).get("/boards/dashboard"))
    watch = plain(section(dashboard, "material-watchlist"))
    assert flagged_board.name in watch
    own_row = plain(section(dashboard, f"material-gap-{own_item.id}"))
    assert "Session 1" in own_row and own_item.agenda_code in own_row
    assert "Immunophenotype, Minimal residual disease" in own_row
    assert "3 Mar 2026" in own_row  # when the agenda closes
    foreign_row = plain(section(dashboard, f"material-gap-{foreign_item.id}"))
    assert "Minimal residual disease" in foreign_row and "Immunophenotype" not in foreign_row

    session_page = text_of(client_for(app, coordinator).get(f"/sessions/{agenda.id}"))
    assert "missing: Immunophenotype" in plain(section(session_page, f"extras-{own_item.id}"))

    # A referring doctor sees the flag on their own row only.
    doctor_page = text_of(client_for(app, referring).get(f"/sessions/{agenda.id}"))
    assert "missing: Immunophenotype" in plain(section(doctor_page, f"extras-{own_item.id}"))
    assert f'id="extras-{foreign_item.id}"' not in doctor_page


def test_the_dashboard_lists_boards_and_sessions_soonest_first(
    app, flagged_board, accepted, coordinator, make_board
):
    from telemed.core.vocabulary import Specialty
    from telemed.sessions.assignment import assign_cases
    from telemed.sessions.service import generate_sessions

    later_board = make_board(
        specialties=[Specialty.LEUKAEMIA_LYMPHOMA], name="Comité B",
        rrule="FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0",
        required_material={"transplant_evaluation": ["immunophenotype"]},
    )  # fmt: skip
    generate_sessions()
    accepted(specialty="leukaemia_lymphoma")
    for _ in range(10):  # the first Thursday takes nine; the tenth goes a week later
        accepted()
    assign_cases()
    page = text_of(client_for(app, coordinator).get("/boards/dashboard"))
    watch = plain(section(page, "material-watchlist"))
    assert watch.index(flagged_board.name) < watch.index(later_board.name)
    ours = watch[watch.index(flagged_board.name) : watch.index(later_board.name)]
    assert ours.index("Session 1") < ours.index("Session 2")
