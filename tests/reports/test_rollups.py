"""Monthly roll-ups never change what the dashboard says: every view agrees with the same
view computed live, changes to a closed month show at once (its roll-up is forgotten in
the same transaction and rebuilt on the next read), and the refresh command builds each
closed month once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from telemed.auth.models import User
from telemed.cases.models import Case, CaseStatus, Urgency
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.referrals.models import ReferralStatus
from telemed.reports import rollups
from telemed.reports.families import FAMILIES, case_source
from telemed.reports.fingerprint import definitions_fingerprint
from telemed.reports.models import (
    StatsRollup,
    StatsRollupMonth,
    StatsRollupTotal,
    StatsRollupTotals,
)
from telemed.reports.service import VIEW_NAMES, compute_view
from telemed.room.models import Adherence, Attendance, AttendanceRole, Recommendation
from tests.conftest import english
from tests.reports.conftest import figures, table
from tests.reports.dataset import ALL, OCTOBER, Network, utc
from tests.scenes.concurrency import together

OCTOBER_1 = date(2026, 10, 1)
MID_SEPTEMBER_TO_MID_NOVEMBER = {"period": "custom", "from": "2026-09-15", "to": "2026-11-15"}


def result(view: str, args: dict[str, str], actor: User) -> dict[str, Any]:
    with english():
        return compute_view(view, args, actor).as_json()


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str], User], dict]:
    """A view computed with no month closed: every figure read live from the tables."""

    def compute(view: str, args: dict[str, str], actor: User) -> dict[str, Any]:
        with monkeypatch.context() as patch:
            patch.setattr(rollups, "closed_before", lambda: date(2000, 1, 1))
            return result(view, args, actor)

    return compute


def rollup_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(StatsRollup)) or 0


def months_built(month: date) -> int:
    query = select(func.count()).select_from(StatsRollupMonth)
    return db.session.scalar(query.where(StatsRollupMonth.month == month)) or 0


def totals_marks() -> set[tuple[str, date, date]]:
    """(clock, first month, first month not summed) of each clock's all-time totals."""
    t = StatsRollupTotals
    return {tuple(row) for row in db.session.execute(select(t.zone, t.first_month, t.through))}


SEPTEMBER_TO_NOVEMBER = {
    ("America/Mexico_City", date(2026, 9, 1), date(2026, 12, 1)),
    ("America/Tijuana", date(2026, 9, 1), date(2026, 12, 1)),
}


def filter_args(network: Network) -> list[dict[str, str]]:
    return [
        ALL,
        OCTOBER,
        MID_SEPTEMBER_TO_MID_NOVEMBER,
        {**ALL, "board": str(network.boards["TJ"].id)},
        {**OCTOBER, "board": str(network.boards["MX"].id)},
        {**ALL, "centre": str(network.centres["RAZA"].id)},
        {**MID_SEPTEMBER_TO_MID_NOVEMBER, "centre": str(network.centres["A"].id)},
        {**ALL, "state": "Ciudad de México"},
    ]


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_rollups_agree_with_live(network, admin, live, view):
    for args in filter_args(network):
        rolled = result(view, args, admin)
        assert rolled == live(view, args, admin), args
    if view == "referrals":  # referral counts are small: always read live
        assert months_built(OCTOBER_1) == 0
        return
    # The normal run really read roll-ups: September to November are closed on both clocks.
    assert months_built(OCTOBER_1) == 2  # Mexico City and Tijuana
    assert months_built(date(2026, 12, 1)) == 0  # the current month is always live
    assert rollup_rows() > 0
    # All time read the closed months' totals, summed once per clock.
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER
    assert 0 < db.session.scalar(select(func.count()).select_from(StatsRollupTotal)) < rollup_rows()


def assert_rebuilt_like_live(view: str, args: dict[str, str], admin: User, live: Callable) -> dict:
    """After a change: October's roll-up and the totals are gone, the view matches live,
    and the read rolled October up and summed the totals again."""
    assert months_built(OCTOBER_1) == 0
    assert totals_marks() == set()
    found = result(view, args, admin)
    assert months_built(OCTOBER_1) == 2
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER
    assert found == live(view, args, admin)
    return found


def test_closed_case_status_shows_at_once(network, admin, live):
    before = table("cases", "by_status", ALL, admin)
    assert months_built(OCTOBER_1) == 2
    by_status = {row["label"]: row["count"] for row in before}
    assert by_status["recommendation issued"] == 9 and by_status["closed"] == 0

    network.cases["k2"].status = CaseStatus.CLOSED  # submitted 1 Oct
    db.session.commit()

    found = assert_rebuilt_like_live("cases", ALL, admin, live)
    by_status = {row["label"]: row["count"] for row in found["tables"]["by_status"]["rows"]}
    assert by_status["recommendation issued"] == 8 and by_status["closed"] == 1


def test_new_attendance_shows_at_once(network, admin, live):
    assert figures("sessions", ALL, admin)["attendance_average"] == 2.8  # 17 in 6 sessions
    db.session.add(Attendance(session_id=network.sessions["S1"].id, name="Asistente extra",
                              unit=network.centres["B"].name, role=AttendanceRole.MEMBER,
                              present=True))  # fmt: skip
    db.session.commit()

    found = assert_rebuilt_like_live("sessions", ALL, admin, live)
    assert found["figures"]["attendance_average"]["value"] == 3.0  # 18 in 6 sessions
    by_unit = {row["unit"]: row for row in found["tables"]["attendance_by_centre"]["rows"]}
    assert by_unit["HGZ No. 3 Guadalajara"] == {
        "unit": "HGZ No. 3 Guadalajara", "present": 4, "sessions": 3,  # S1 now too
    }  # fmt: skip
    assert figures("sessions", OCTOBER, admin)["attendance_average"] == 3.3  # 10 in 3


def test_recorded_adherence_shows_at_once(network, admin, live):
    before = {row["adherence"]: row["count"] for row in table("outcomes", "adherence", ALL, admin)}
    assert (before["Carried out"], before["Not carried out"]) == (5, 2)
    recommendation = db.session.scalar(
        select(Recommendation).where(Recommendation.case_id == network.cases["k13"].id)
    )  # decided in S1 (8 Oct)
    recommendation.adherence = Adherence.NO
    recommendation.adherence_reason = "El paciente no acudió"
    recommendation.adherence_at = utc(11, 2)
    db.session.commit()

    found = assert_rebuilt_like_live("outcomes", ALL, admin, live)
    after = {row["adherence"]: row["count"] for row in found["tables"]["adherence"]["rows"]}
    assert (after["Carried out"], after["Not carried out"]) == (4, 3)


def test_completed_referral_shows_at_once(network, admin, live):
    assert figures("turnaround", ALL, admin)["referral_median_days"] == 15.0  # 10 10 20 25
    referral = network.referrals["r3"]  # k13, first discussed in S1 on 9 Oct 00:00 UTC
    referral.status = ReferralStatus.COMPLETED
    referral.completed_at = utc(10, 29)  # 20 days later
    db.session.commit()

    found = assert_rebuilt_like_live("turnaround", ALL, admin, live)
    assert found["figures"]["referral_median_days"]["value"] == 20.0  # 10 10 20 20 25


def test_change_to_the_current_month_keeps_rollups(network, admin):
    before = result("overview", ALL, admin)
    rows, months = (
        rollup_rows(),
        db.session.scalar(select(func.count()).select_from(StatsRollupMonth)),
    )
    assert rows > 0 and months == 6  # September to November on two clocks

    network.sessions["S6"].capacity = 12  # planned for 18 December
    case = network.cases["k9"]
    db.session.add(Case(centre_id=case.centre_id, submitted_by_id=case.submitted_by_id,
                        status=CaseStatus.SUBMITTED, patient_reference="NSS-1111111111",
                        specialty=case.specialty, urgency=case.urgency,
                        request_kind=case.request_kind, high_complexity=False,
                        submitted_at=utc(12, 14)))  # fmt: skip
    db.session.commit()

    assert rollup_rows() == rows
    assert db.session.scalar(select(func.count()).select_from(StatsRollupMonth)) == months
    after = result("overview", ALL, admin)
    assert after["figures"]["submitted"]["value"] == before["figures"]["submitted"]["value"] + 1


def test_bulk_update_needs_forget_case_months(network, admin, live):
    def recommendation_issued() -> int:
        rows = table("cases", "by_status", ALL, admin)
        return {row["label"]: row["count"] for row in rows}["recommendation issued"]

    assert recommendation_issued() == 9
    case_id = network.cases["k2"].id
    db.session.execute(update(Case).where(Case.id == case_id).values(status=CaseStatus.CLOSED))
    db.session.commit()
    assert recommendation_issued() == 9  # the bulk UPDATE passed the flush listener: stale

    rollups.forget_case_months([case_id])
    db.session.commit()
    assert recommendation_issued() == 8
    assert result("cases", ALL, admin) == live("cases", ALL, admin)


def test_a_bulk_update_forgets_every_month_its_cases_can_fall_in(network, admin):
    """``forget_case_months`` reads only instants early enough to fall in a month that is
    ever rolled up (December is open on 15 December): 11:00 UTC on 1 December is still
    30 November twelve hours behind UTC, so November is forgotten; noon is not."""
    assert rollups.refresh() == 6
    november = date(2026, 11, 1)
    case_id = network.cases["k2"].id

    def bulk_moments(moment: datetime) -> None:
        db.session.execute(
            update(Case).where(Case.id == case_id)
            .values(submitted_at=moment, accepted_at=moment, first_discussed_at=moment)
        )  # fmt: skip
        rollups.forget_case_months([case_id])
        db.session.commit()

    bulk_moments(utc(12, 1, 12))
    assert months_built(november) == 2  # on both clocks
    bulk_moments(utc(12, 1, 11))
    assert months_built(november) == 0


def test_refresh_builds_each_closed_month_once(network, admin, app: Flask):
    assert rollups.refresh() == 6  # September, October, November on two clocks
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER  # and their totals, for the next reader
    assert rollups.refresh() == 0
    rows = rollup_rows()

    output = app.test_cli_runner().invoke(args=["stats", "refresh", "--rebuild"]).output
    assert output.startswith("6 month(s) rolled up")
    assert rollup_rows() == rows
    assert app.test_cli_runner().invoke(args=["stats", "refresh"]).output.startswith("0 month")
    assert figures("overview", ALL, admin)["submitted"] == 14


def test_board_timezone_change_forgets_everything(network, admin, live):
    result("overview", ALL, admin)
    assert rollup_rows() > 0
    network.boards["TJ"].timezone = "America/Mexico_City"
    db.session.commit()

    assert rollup_rows() == 0
    assert db.session.scalar(select(func.count()).select_from(StatsRollupMonth)) == 0
    for view in VIEW_NAMES:
        for args in (ALL, OCTOBER, MID_SEPTEMBER_TO_MID_NOVEMBER):
            assert result(view, args, admin) == live(view, args, admin), (view, args)
    assert months_built(OCTOBER_1) == 1  # one clock left


def test_moved_first_discussion_forgets_its_referrals_months(network, admin, live):
    referral = network.referrals["r3"]  # k13's referral; its wait may run from k13's discussion
    referral.status = ReferralStatus.COMPLETED
    referral.completed_at = utc(11, 29)
    db.session.commit()
    result("turnaround", ALL, admin)  # rolls November up with that wait
    assert months_built(date(2026, 11, 1)) > 0

    case = network.cases["k13"]
    case.first_discussed_at = utc(10, 20)
    db.session.commit()

    assert months_built(date(2026, 11, 1)) == 0  # the referral's month, not only the case's
    assert result("turnaround", ALL, admin) == live("turnaround", ALL, admin)


def test_totals_follow_the_month_that_closes(network, admin, live, clock):
    """When December closes, all time sums it too: the totals are summed again through
    December, and every view still agrees with live."""
    for view in VIEW_NAMES:
        result(view, ALL, admin)
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER

    clock.advance(timedelta(days=40))  # mid-January: December closed on both clocks
    for view in VIEW_NAMES:
        assert result(view, ALL, admin) == live(view, ALL, admin), view
    assert totals_marks() == {
        (zone, first, date(2027, 1, 1)) for zone, first, _ in SEPTEMBER_TO_NOVEMBER
    }


def waits_kept_for(centre_id: int) -> dict[int, int]:
    """Whole hours → cases of one centre's all-time waiting times in the totals."""
    t = StatsRollupTotal
    query = select(t.k3, func.sum(t.n)).where(
        t.family == "case.wait@centre", t.centre_id == centre_id
    )
    return {hours: int(n) for hours, n in db.session.execute(query.group_by(t.k3))}


def test_waits_by_centre_over_all_time_are_kept_in_the_totals(network, admin, live):
    """Waiting times are not rolled up per month by centre (too many groups), but their
    all-time totals are kept by centre, so "all time" under a centre or state filter reads
    them; a change to a closed month forgets them with the rest."""
    raza_id = network.centres["RAZA"].id
    raza = {**ALL, "centre": str(raza_id)}
    before = result("turnaround", raza, admin)
    assert before == live("turnaround", raza, admin)
    assert waits_kept_for(raza_id) == {60: 1, 78: 1, 175: 1, 202: 1, 642: 1}  # k1 k11 k2 k14 k13
    assert before["figures"]["discussion_median_days"]["value"] == 7.3  # 175 h

    # The filter really reads them: a doctored total shows in the figures.
    t = StatsRollupTotal
    doctored = update(t).where(t.family == "case.wait@centre", t.k3 == 642).values(n=3)
    db.session.execute(doctored)
    assert result("turnaround", raza, admin)["figures"]["discussion_median_days"]["value"] == 8.4
    rollups.forget_totals(db.session)
    db.session.commit()

    network.cases["k1"].first_discussed_at += timedelta(hours=200)  # still October: 260 h
    db.session.commit()
    assert totals_marks() == set()
    after = result("turnaround", raza, admin)
    assert waits_kept_for(raza_id) == {78: 1, 175: 1, 202: 1, 260: 1, 642: 1}
    assert after["figures"]["discussion_median_days"]["value"] == 8.4  # 202 h
    assert after == live("turnaround", raza, admin)
    state = {**ALL, "state": "Ciudad de México"}
    assert result("turnaround", state, admin) == live("turnaround", state, admin)


def test_totals_are_forgotten_with_everything(network, admin, app: Flask):
    result("overview", ALL, admin)
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER
    app.test_cli_runner().invoke(args=["stats", "refresh", "--rebuild"])
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER  # rebuilt from the fresh months
    rollups.forget_all()
    db.session.commit()
    assert totals_marks() == set()
    assert db.session.scalar(select(func.count()).select_from(StatsRollupTotal)) == 0


def totals_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(StatsRollupTotal)) or 0


@pytest.mark.skipif(
    not os.environ.get("TELEMED_TEST_DATABASE_URL"),
    reason="PostgreSQL: builders in separate connections (SQLite has one writer)",
)
def test_concurrent_first_readers_build_once(network, admin, app: Flask, live):
    """The first two readers after the months closed race to roll them up and sum the
    totals: one builder wins, the other's rows are rolled back, and both answer right."""
    state = {**ALL, "state": "Ciudad de México"}
    admin_id = admin.id

    def read(barrier: threading.Barrier) -> dict[str, Any]:
        actor = db.session.get(User, admin_id)
        barrier.wait()
        with unit_of_work():  # as each reader's request does
            return result("turnaround", state, actor)

    first, second = together(app, read, read)
    expected = live("turnaround", state, admin)
    assert first == expected and second == expected
    assert months_built(OCTOBER_1) == 2  # once per clock
    assert totals_marks() == SEPTEMBER_TO_NOVEMBER
    raced = totals_rows()
    rollups.forget_totals(db.session)
    db.session.commit()
    result("turnaround", state, admin)  # summed again by one reader alone
    assert totals_rows() == raced  # the race left no group twice


@pytest.fixture
def fresh_fingerprint() -> Iterator[None]:
    definitions_fingerprint.cache_clear()
    yield
    definitions_fingerprint.cache_clear()


def test_changed_family_definition_rebuilds_rollups(
    network, admin, live, monkeypatch, fresh_fingerprint
):
    """A deploy that changes what a family counts must not leave months counted the old
    way: the next read drops the roll-ups stamped with other definitions and rebuilds."""
    before = result("cases", ALL, admin)
    assert months_built(OCTOBER_1) > 0
    family = FAMILIES["case.urgency"]
    not_urgent = replace(family, source=lambda: case_source().where(Case.urgency != Urgency.URGENT))
    monkeypatch.setitem(FAMILIES, "case.urgency", not_urgent)
    definitions_fingerprint.cache_clear()

    after = result("cases", ALL, admin)
    assert after != before  # the urgent cases are no longer counted by urgency
    assert after == live("cases", ALL, admin)
    stamps = set(db.session.scalars(select(StatsRollupMonth.definitions)))
    assert stamps == {definitions_fingerprint(db.engine.dialect)}


def test_definitions_fingerprint_does_not_move_with_the_clock(network, clock, fresh_fingerprint):
    """The 72-hour share's "now" is a parameter, not a definition: time passing must not
    make every roll-up look stale."""
    stamp = definitions_fingerprint(db.engine.dialect)
    definitions_fingerprint.cache_clear()
    clock.advance(timedelta(days=40))
    assert definitions_fingerprint(db.engine.dialect) == stamp


def test_months_around_reads_each_instant_on_every_clock():
    """The months an instant falls in from 12 h behind to 14 h ahead of UTC, for every hour
    of the days around a month's end (the rewrite reads only the day and the hour)."""
    from datetime import UTC, datetime

    start = datetime(2026, 10, 30, 0, 0, tzinfo=UTC)
    for quarter_hour in range(4 * 24 * 4):
        moment = start + timedelta(minutes=15 * quarter_hour)
        expected = {(moment + timedelta(hours=shift)).date().replace(day=1) for shift in (-12, 14)}
        assert rollups.months_around([moment]) == expected, moment
