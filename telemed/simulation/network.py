"""The simulated network on its fresh database: the demo centres, boards, winter breaks and
accounts, one referring doctor per sending centre, and the capacity being tried."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from telemed.auth.models import Role, User
from telemed.boards.models import Board, SessionKind
from telemed.centres.models import Centre, CentreKind
from telemed.core.vocabulary import Specialty
from telemed.demo import DEMO_BOARDS, DEMO_DTSTART, load_demo_data
from telemed.extensions import db
from telemed.simulation.model import Parameters

SIMULATED_DOMAIN = "simulacion.telemed.mx"
# Meeting days for n case-review sessions a week (the board's hour is kept).
WEEKDAYS = {1: "TH", 2: "TU,TH", 3: "MO,WE,FR", 4: "MO,TU,WE,TH", 5: "MO,TU,WE,TH,FR"}


@dataclass
class Network:
    """The people and places the run acts with (ids: each unit of work reloads them)."""

    coordinator_id: int
    admin_id: int
    doctors: dict[str, int]  # centre code -> a referring doctor of that centre
    hito_id: int


def weekly_rule(rule: str, sessions_per_week: int) -> str:
    """``rule`` meeting ``sessions_per_week`` times a week at the same hour."""
    parts = [p for p in rule.split(";") if not re.match(r"(BYDAY|INTERVAL|FREQ)=", p)]
    return ";".join(["FREQ=WEEKLY", f"BYDAY={WEEKDAYS[sessions_per_week]}", *parts])


def board_names() -> list[str]:
    """The simulated network's case-review boards (the demo network's)."""
    return [demo.name for demo in DEMO_BOARDS if demo.kind is SessionKind.CASE_REVIEW]


def board_named(text: str) -> str:
    """The case-review board called ``text``, or the one whose name contains it (any case);
    a ``ValueError`` names the choices when none or several match."""
    wanted = text.strip().casefold()
    exact = [name for name in board_names() if name.casefold() == wanted]
    found = exact or [name for name in board_names() if wanted and wanted in name.casefold()]
    if len(found) != 1:
        raise ValueError(f"board must name one of: {', '.join(board_names())}")
    return found[0]


def board_specialties(name: str) -> set[Specialty]:
    """The specialties whose cases go to the board called ``name``."""
    return {s for demo in DEMO_BOARDS if demo.name == name for s in demo.specialties}


def apply_capacity(params: Parameters) -> None:
    """The capacity being tried, on every case-review board (or the one simulated);
    meetings from before the run."""
    first = datetime.combine(params.start, datetime.min.time()) - timedelta(days=14)
    only = board_named(params.board) if params.board else None
    for board in db.session.scalars(select(Board)):
        board.dtstart = min(board.dtstart, first, DEMO_DTSTART)
        if board.kind is not SessionKind.CASE_REVIEW or only not in (None, board.name):
            continue
        if params.sessions_per_week is not None:
            board.rrule = weekly_rule(board.rrule, params.sessions_per_week)
        if params.session_minutes is not None:
            board.duration_minutes = params.session_minutes
        if params.minutes_per_case is not None:
            board.minutes_per_case = params.minutes_per_case
    db.session.flush()


def referring_doctors() -> dict[str, int]:
    """One referring doctor per sending centre (the demo's own where there is one); they
    never log in, so their password is a random one nobody knows."""
    doctors = {
        user.centre.code: user.id
        for user in db.session.scalars(select(User).where(User.role == Role.REFERRING))
        if user.centre is not None
    }
    unusable = generate_password_hash(secrets.token_urlsafe(24))
    for centre in db.session.scalars(select(Centre).order_by(Centre.code)):
        if centre.kind is CentreKind.EXTERNAL_PARTNER or centre.code in doctors:
            continue
        user = User(email=f"referente.{centre.code.lower()}@{SIMULATED_DOMAIN}",
                    name=f"Referente {centre.code}", role=Role.REFERRING, centre_id=centre.id,
                    password_hash=unusable)  # fmt: skip
        db.session.add(user)
        db.session.flush()
        doctors[centre.code] = user.id
    return doctors


def build(params: Parameters) -> Network:
    """Load the network into the empty database (the caller commits)."""
    load_demo_data()
    apply_capacity(params)
    staff = {u.role: u.id for u in db.session.scalars(select(User).where(User.role.in_(
        (Role.COORDINATOR, Role.ADMIN))))}  # fmt: skip
    hito = db.session.scalar(select(Centre.id).where(Centre.code == "HITO"))
    if hito is None:
        raise RuntimeError("the demo network has no HITO")
    return Network(staff[Role.COORDINATOR], staff[Role.ADMIN], referring_doctors(), hito)
