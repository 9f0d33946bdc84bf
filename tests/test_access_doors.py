"""Every door answers alike: for each role and a representative object of each kind, the
HTML page and the JSON API let the same people in (one access rule per object, used by both).

Answers are compared by what they mean to the visitor: let in (the page, the data, or a
refusal of the request itself: 409, 422, a flashed error), forbidden (403, or the page
flashing the API's reason), hidden (404, whether missing or not theirs) or asked to log in
(a redirect to the login page, 401).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.auth.models import Role, User
from telemed.cases import service as case_service
from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStep
from telemed.room.models import Recommendation
from tests.conftest import PDF_BYTES, client_for, committed
from tests.scenes.boards import accept, accepted, board, chair, make_board, send  # noqa: F401
from tests.scenes.minutes import Held, Training, held, hito, training  # noqa: F401
from tests.scenes.session import (  # noqa: F401
    agenda,
    first,
    foreign_case,
    in_session,
    own_case,
    radiologist,
)

LET_IN, FORBIDDEN, HIDDEN, LOGIN = "let in", "forbidden", "hidden", "log in"
ROLES = ("anonymous", "referring", "other_referring", "member", "outsider", "audience",
         "receiving", "coordinator", "admin")  # fmt: skip


@dataclass(frozen=True)
class Door:
    method: str
    url: str
    body: dict[str, Any] | None = None


@dataclass
class Scene:
    held: Held
    training: Training
    referral: Referral
    recommendation: Recommendation
    attachment_id: int
    people: dict[str, User | None]


@pytest.fixture
def scene(request: pytest.FixtureRequest, make_user: Callable[..., User]) -> Scene:
    got = request.getfixturevalue
    scene_held, scene_training, partner = got("held"), got("training"), got("hito")
    referring = got("referring")
    attachment = case_service.add_attachments(
        referring, scene_held.own_case, [("biopsia.pdf", PDF_BYTES)], material=None
    )[0]
    receiving = make_user(Role.REFERRING, centre_id=partner.id, email="hito@teleton.test")
    outsider = make_user(Role.SPECIALIST, email="ajeno@hospital.test")
    committed(attachment)
    referral = db.session.scalars(select(Referral).where(Referral.to_centre_id == partner.id)).one()
    db.session.add(ReferralStep(referral_id=referral.id, from_status="proposed", to_status="sent"))
    db.session.commit()  # sent: the receiving centre sees it
    recommendation = db.session.scalars(
        select(Recommendation).where(Recommendation.case_id == scene_held.own_case.id)
    ).one()
    people: dict[str, User | None] = {
        "anonymous": None, "referring": referring, "other_referring": got("other_referring"),
        "member": got("radiologist"), "outsider": outsider, "audience": scene_training.attendee,
        "receiving": receiving, "coordinator": got("coordinator"), "admin": got("admin"),
    }  # fmt: skip
    return Scene(scene_held, scene_training, referral, recommendation, attachment.id, people)


# Each kind of object: its HTML door and its API door (reads, or a change that the access
# rule is asked about first; the bodies are wrong on purpose, so nothing changes).
def read(path: str) -> tuple[Door, Door]:
    """A page and the API's same path under ``/api/v1``."""
    return Door("GET", path), Door("GET", f"/api/v1{path}")


def change(page: str, api: tuple[str, str], body: dict[str, Any]) -> tuple[Door, Door]:
    """A form posted to ``page`` and the API's ``(method, path)``, with the same body."""
    return Door("POST", page, body), Door(api[0], api[1], body)


DOORS: dict[str, Callable[[Scene], tuple[Door, Door]]] = {
    "case": lambda s: read(f"/cases/{s.held.own_case.id}"),
    "another centre's case": lambda s: read(f"/cases/{s.held.foreign_case.id}"),
    "attachment": lambda s: change(
        f"/cases/{s.held.own_case.id}/attachments/{s.attachment_id}/material",
        ("PATCH", f"/api/v1/cases/{s.held.own_case.id}/attachments/{s.attachment_id}"),
        {"material": "nonsense"},
    ),
    "session": lambda s: read(f"/sessions/{s.held.session.id}"),
    "training session": lambda s: read(f"/sessions/{s.training.session.id}"),
    "minutes": lambda s: read(f"/sessions/{s.held.session.id}/minutes"),
    "training minutes": lambda s: read(f"/sessions/{s.training.session.id}/minutes"),
    "referral": lambda s: read(f"/referrals/{s.referral.id}"),
    "recommendation": lambda s: change(
        f"/recommendations/{s.recommendation.id}/adherence",
        ("POST", f"/api/v1/recommendations/{s.recommendation.id}/adherence"),
        {"adherence": "nonsense"},
    ),
    "agreement": lambda s: change(
        f"/agreements/{s.held.agreements['own'].id}/done",
        ("POST", f"/api/v1/agreements/{s.held.agreements['own'].id}/done"),
        {"session_id": 999},
    ),
}


def meaning(response: Any) -> str:
    status = response.status_code
    if status == 401 or (status == 302 and "/auth/login" in response.headers["Location"]):
        return LOGIN
    if status in (403, 404):
        return FORBIDDEN if status == 403 else HIDDEN
    assert status < 500, response.get_data(as_text=True)[:500]
    return LET_IN


def flashed(client: FlaskClient, response: Any) -> str:
    """The messages a page flashed after an action redirected, as one text."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    alerts = re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(" ".join(" ".join(alert.split()) for alert in alerts))


def answers(client: FlaskClient, page: Door, api: Door) -> tuple[str, str]:
    """What each door meant. The pages refuse an action by flashing why on the page they
    return to; that is a 403 when the API refuses the same action with the same words."""
    if api.method == "GET":
        api_response = client.get(api.url)
    else:
        api_response = client.open(api.url, method=api.method, json=api.body)
    if page.method == "GET":
        page_response = client.get(page.url)
    else:
        page_response = client.open(page.url, method=page.method, data=page.body)
    api_meant, page_meant = meaning(api_response), meaning(page_response)
    refused_alike = (
        api_meant == FORBIDDEN
        and page_response.status_code == 302
        and page_meant == LET_IN
        and api_response.get_json()["message"] in flashed(client, page_response)
    )
    if refused_alike:
        page_meant = FORBIDDEN
    return page_meant, api_meant


@pytest.mark.parametrize("role", ROLES)
def test_the_page_and_the_api_let_the_same_people_in(app, scene, role):
    client = client_for(app, scene.people[role])
    disagree = {}
    for kind, doors in DOORS.items():
        page_meant, api_meant = answers(client, *doors(scene))
        if page_meant != api_meant:
            disagree[kind] = (page_meant, api_meant)
    assert disagree == {}, f"{role}: (page, API) differ for {disagree}"


def test_the_doors_tell_people_apart(app, scene):
    """Guard for the test above: the answers differ between people where the rules do."""

    clients = {role: client_for(app, user) for role, user in scene.people.items()}

    def at(role: str, kind: str) -> str:
        return answers(clients[role], *DOORS[kind](scene))[0]

    assert at("anonymous", "case") == LOGIN
    assert at("referring", "case") == LET_IN and at("other_referring", "case") == HIDDEN
    assert at("member", "minutes") == LET_IN and at("outsider", "minutes") == HIDDEN
    assert at("audience", "training session") == LET_IN and at("audience", "session") == HIDDEN
    assert at("receiving", "referral") == LET_IN and at("receiving", "case") == HIDDEN
    assert at("member", "recommendation") == FORBIDDEN
    assert at("referring", "agreement") == FORBIDDEN and at("member", "agreement") == LET_IN
