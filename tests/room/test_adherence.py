"""After a recommendation, the referring centre says whether it was carried out — yes,
partly or no, with a reason — so the institution can count adherence (about one
recommendation in six is never carried out, surveys say, mostly for lack of documentation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from telemed.auth.models import Role, User
from telemed.extensions import db
from telemed.room import service as room
from telemed.room.models import Adherence, Recommendation
from tests.conftest import client_for, login
from tests.scenes.boards import events_of
from tests.scenes.room import audits, discussed, plain, section, text_of
from tests.scenes.session import item_for


@pytest.fixture
def recommendation(in_session, own_case, chair) -> Recommendation:  # type: ignore[no-untyped-def]
    """The board recommended a treatment plan for the Tijuana case at session 1."""
    made = room.record_outcome(chair, item_for(in_session, own_case), discussed())
    assert made is not None
    return made


@pytest.fixture
def colleague(make_user: Callable[..., User], centre) -> User:  # type: ignore[no-untyped-def]
    """Another referring doctor of the Tijuana centre (covers for the one who sent it)."""
    return make_user(Role.REFERRING, centre_id=centre.id, email="colega@hospital.test")


def post(client, recommendation, **data):  # type: ignore[no-untyped-def]
    return client.post(f"/recommendations/{recommendation.id}/adherence", data=data,
                       follow_redirects=True)  # fmt: skip


def test_the_referring_doctor_reports_and_later_updates_adherence(
    app, recommendation, own_case, referring, colleague, coordinator, clock
):
    clock.advance(timedelta(days=20))
    client = client_for(app, referring)
    page = text_of(client.get(f"/cases/{own_case.id}"))
    assert "Was it carried out?" in page and "Not reported yet." in page
    response = post(client, recommendation, adherence="yes", reason="")
    assert "Adherence recorded: Carried out." in text_of(response)
    db.session.expire_all()
    assert recommendation.adherence is Adherence.YES
    assert (recommendation.adherence_by_id, recommendation.adherence_reason) == (referring.id, None)
    first_at = recommendation.adherence_at

    # Weeks later a colleague of the same centre corrects it: who and when follow.
    clock.advance(timedelta(days=30))
    post(client_for(app, colleague), recommendation, adherence="partly",
         reason="El trasplante se difirió por falta de donador compatible.")  # fmt: skip
    db.session.expire_all()
    assert recommendation.adherence is Adherence.PARTLY
    assert recommendation.adherence_by_id == colleague.id
    assert recommendation.adherence_at == first_at + timedelta(days=30)
    assert [(a.details["before"], a.details["after"]) for a in
            audits("recommendation.adherence")] == [(None, "yes"), ("yes", "partly")]  # fmt: skip
    assert [e.message for e in events_of(own_case, "adherence")][-1].startswith(
        f"CE 1.{own_case.id} · "
    )

    # Everyone who sees the case sees the report; only the centre's doctors get the form.
    page = text_of(client_for(app, coordinator).get(f"/cases/{own_case.id}"))
    card = plain(section(page, f"recommendation-{recommendation.id}"))
    assert "Partly carried out" in card and "falta de donador compatible" in card
    assert colleague.name in card
    assert "adherence-form" not in page


def test_a_reason_is_needed_unless_it_was_carried_out(app, recommendation, referring):
    client = client_for(app, referring)
    for answer in ("partly", "no"):
        response = post(client, recommendation, adherence=answer, reason="")
        assert "Say why it was not (fully) carried out." in text_of(response)
    response = post(client, recommendation, adherence="maybe", reason="")
    assert "Choose one of the options." in text_of(response)
    db.session.expire_all()
    assert recommendation.adherence is None and recommendation.adherence_by_id is None
    assert audits("recommendation.adherence") == []


def test_only_the_case_centres_doctors_report_adherence(
    app, recommendation, other_referring, chair, coordinator
):
    # A doctor of another centre does not know the recommendation exists.
    assert (
        client_for(app, other_referring)
        .post(f"/recommendations/{recommendation.id}/adherence", data={"adherence": "yes"})
        .status_code
        == 404
    )
    # The board sees it but the referring centre reports it.
    for user in (chair, coordinator):
        response = client_for(app, user).post(
            f"/recommendations/{recommendation.id}/adherence", data={"adherence": "yes"}
        )
        assert response.status_code == 403, user.email
    assert (
        client_for(app, chair)
        .post("/recommendations/999999/adherence", data={"adherence": "yes"})
        .status_code
        == 404
    )
    db.session.expire_all()
    assert recommendation.adherence is None


def test_partly_without_a_reason_is_said_beside_the_reason_and_the_choice_kept(
    app, recommendation, own_case, referring
):
    """It used to be a flash at the top of the case page, with the choice lost."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    assert login(client, referring).status_code == 302
    response = client.post(
        f"/recommendations/{recommendation.id}/adherence", data={"adherence": "partly"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    box = f"adherence-reason-{recommendation.id}"
    reason = re.search(rf'<textarea[^>]*id="{box}"[^>]*>', page)
    assert reason is not None and "is-invalid" in reason.group(0)
    assert f'aria-describedby="{box}-error"' in reason.group(0)
    error = re.search(rf'<div id="{box}-error"[^>]*>([^<]*)</div>', page)
    assert error is not None
    assert error.group(1) == "Indique por qué no se llevó a cabo (por completo)."
    chosen = re.findall(r'<input[^>]*name="adherence"[^>]*value="(\w+)"[^>]*checked', page)
    assert chosen == ["partly"]
    assert 'role="alert">Indique' not in page  # not (only) a banner at the top
    db.session.expire_all()
    assert recommendation.adherence is None
    assert f"/cases/{own_case.id}" in page  # the case page itself, with its other parts
