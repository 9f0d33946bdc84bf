"""Computed dashboard views kept for the next reader: a repeated read of the figures costs
the version's row (and, in another process, one row of ``stats_answers``) instead of the
dozens of aggregates a view runs.

An answer is found by a key made of the view and the viewer's scope *after* the access rules
(the boards they may see, the filters as checked, the day), the language and time zone
it was written in, and the deployed code; it is served while the data's version
(``version.py``) is the one it was computed under and the clock has not reached
``valid_until`` — the next midnight on any board's clock (periods, "overdue") or the next
urgent case whose 72 hours run out. The ETag is a digest of the answer itself.

Stored in the database (every web server shares it) and remembered per process by version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale, get_timezone
from sqlalchemy import delete, func, select

from telemed.cases.models import Case, Urgency
from telemed.core.clock import local_day_start, now_utc
from telemed.core.conditional import digest
from telemed.core.memo import Memo
from telemed.core.sql import insert
from telemed.extensions import db
from telemed.reports import rollups, version
from telemed.reports.families import URGENT_WINDOW
from telemed.reports.models import StatsAnswer
from telemed.reports.rollups import zones
from telemed.reports.scope import Scope
from telemed.reports.service import run_view
from telemed.reports.tables import Chart, Figure, Table, ViewResult

MEMO_SIZE = 256  # answers remembered per process (a few KB each)
KEPT_AFTER_EXPIRY = timedelta(days=2)  # then ``forget_expired`` deletes the row


@dataclass(frozen=True)
class Answer:
    key: str
    version: int
    valid_until: datetime
    etag: str
    result: ViewResult


memo: Memo[Answer] = Memo(MEMO_SIZE)  # the answers this process served last, by key


def view_answers(views: Iterable[str], scope: Scope) -> tuple[int, list[Answer]]:
    """The data's version and each view's answer for ``scope``: remembered, stored or,
    failing both, computed and stored."""
    current = version.FIGURES.current()  # first: data changed after this has a later version
    now = now_utc()
    if version.FIGURES.pending(db.session):  # this transaction's own, uncommitted changes
        return current, [uncached(view, scope, current, now) for view in views]
    keys = {view: answer_key(view, scope) for view in views}
    found: dict[str, Answer] = {}
    for view, key in keys.items():
        remembered = memo.get(key)
        if remembered is not None and fresh(remembered, current, now):
            found[view] = remembered
    missing = {key: view for view, key in keys.items() if view not in found}
    if missing:
        for answer in stored(list(missing)):
            if fresh(answer, current, now):
                memo.put(answer.key, answer)
                found[missing[answer.key]] = answer
    for view, key in keys.items():
        if view not in found:
            found[view] = store(key, current, run_view(view, scope), now)
    return current, [found[view] for view in keys]


def uncached(view: str, scope: Scope, current: int, now: datetime) -> Answer:
    payload = dump(run_view(view, scope))
    return Answer(answer_key(view, scope), current, now, digest(payload), load(payload))


def fresh(answer: Answer, current: int, now: datetime) -> bool:
    return answer.version == current and now < answer.valid_until


def stored(keys: list[str]) -> list[Answer]:
    rows = db.session.scalars(select(StatsAnswer).where(StatsAnswer.key.in_(keys)))
    return [
        Answer(row.key, row.version, row.valid_until, row.etag, load(row.payload)) for row in rows
    ]


def store(key: str, current: int, result: ViewResult, now: datetime) -> Answer:
    """Keep ``result`` for the next reader; an answer of a later version already stored
    (a concurrent reader who saw newer data) is left as it is."""
    payload = dump(result)
    answer = Answer(key, current, valid_until(now), digest(payload), load(payload))
    values = {"key": key, "version": current, "valid_until": answer.valid_until,
              "etag": answer.etag, "payload": payload}  # fmt: skip
    statement = insert(StatsAnswer).values(**values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[StatsAnswer.key],
            set_={name: statement.excluded[name] for name in values if name != "key"},
            where=StatsAnswer.version <= statement.excluded.version,
        )
    )
    memo.put(answer.key, answer)
    return answer


def forget_expired() -> int:
    """Delete answers nobody can be served any more (the refresh job)."""
    gone = db.session.execute(
        delete(StatsAnswer).where(StatsAnswer.valid_until < now_utc() - KEPT_AFTER_EXPIRY)
    )
    return int(getattr(gone, "rowcount", 0) or 0)


# --- when an answer stops being true without any change to the data ----------------------


def valid_until(now: datetime) -> datetime:
    """The first instant the same data could give another answer: the next midnight on
    any clock (a new day moves "this month", charts and overdue agreements), or the
    moment the 72 hours of an urgent case not yet discussed run out (it starts to count)."""
    limits = [next_midnight(now, group.zone) for group in zones()]
    limits.append(next_midnight(now, current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    oldest_waiting = db.session.scalar(
        select(func.min(Case.submitted_at)).where(
            Case.urgency == Urgency.URGENT,
            Case.first_discussed_at.is_(None),
            Case.submitted_at > now - URGENT_WINDOW,
        )
    )
    if oldest_waiting is not None:
        limits.append(oldest_waiting + URGENT_WINDOW)
    return min(limits)


def next_midnight(now: datetime, zone: str) -> datetime:
    tz = ZoneInfo(zone)
    return local_day_start(now.astimezone(tz).date() + timedelta(days=1), tz)


# --- keys and payloads --------------------------------------------------------------------


def answer_key(view: str, scope: Scope) -> str:
    """Everything an answer depends on besides the data: the view, the scope the access
    rules left (boards, whole network or not), the checked filters, the day, the language
    and time zone it is written in, and the code that wrote it."""
    parts = {
        "view": view,
        "code": code_stamp(),
        "period": [scope.period.kind, scope.period.first, scope.period.last],
        "boards": scope.board_ids,
        "board": scope.board_filter,
        "network": scope.whole_network,
        "centre": scope.centre,
        "state": scope.state,
        "centres": scope.centre_ids,
        "full": scope.full,
        "today": scope.today,
        "zone": scope.default_zone,
        "locale": str(get_locale()),
        "timezone": str(get_timezone()),
    }
    return digest(json.dumps(parts, default=str, sort_keys=True))


@cache
def code_stamp() -> str:
    """A digest of the deployed code, templates and translations: a deploy that changes
    what a view shows (or how it is worded) never serves answers the old code computed."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(
        [*package.rglob("*.py"), *package.rglob("*.mo"),
         *Path(current_app.root_path, current_app.template_folder or "templates").rglob("*.html")]
    )  # fmt: skip
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(package.parent)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def dump(result: ViewResult) -> str:
    """The view as it reads in this request's language (labels translated now)."""
    data = {
        "headline": [plain(f) for f in result.headline],
        "figures": [plain(f) for f in result.figures],
        "tables": [
            [t.name, str(t.title), [[k, str(label)] for k, label in t.columns], t.rows,
             None if t.definition is None else str(t.definition), t.complete]
            for t in result.tables
        ],
        "charts": [
            [c.name, str(c.title), c.kind, [str(label) for label in c.labels],
             [{**ds, "label": str(ds["label"])} for ds in c.datasets], str(c.y_label),
             c.stacked, c.table, c.highlight, str(c.note)]
            for c in result.charts
        ],
    }  # fmt: skip
    return json.dumps(data, default=str, ensure_ascii=False)


def plain(figure: Figure) -> list[Any]:
    return [figure.key, str(figure.label), figure.value, str(figure.definition), figure.unit]


def load(payload: str) -> ViewResult:
    data: dict[str, Any] = json.loads(payload)
    return ViewResult(
        headline=[Figure(*row) for row in data["headline"]],
        figures=[Figure(*row) for row in data["figures"]],
        tables=[
            Table(name, title, [(key, label) for key, label in columns], rows, definition, complete)
            for name, title, columns, rows, definition, complete in data["tables"]
        ],
        charts=[Chart(*row) for row in data["charts"]],
    )


def refresh() -> int:
    """The ``refresh_figures`` job: roll up the months that closed, drop expired answers."""
    forget_expired()
    return rollups.refresh()
