"""Time ``flag_missing_material()`` on N agenda entries that each lack required material.

Run from the project root::

    .venv/bin/python bench/flag_material_bench.py                  # temporary SQLite file
    .venv/bin/python bench/flag_material_bench.py --sizes 10000
    .venv/bin/python bench/flag_material_bench.py --database-url postgresql+psycopg://.../bench_db

The data is ``assign_bench.py``'s (three boards, N accepted treatment-plan cases, placed on
their sessions by ``assign_cases()``; point ``--database-url`` at a scratch database only),
and every board requires a pathology report for a treatment plan, so every entry is
flagged. Only the ``flag_missing_material()`` call and its commit are timed; afterwards each
entry must have exactly one email, one timeline event and one audit entry, and a second run
must flag nothing. It prints the time and the number of SQL statements sent.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select, update

from bench.assign_bench import fill, make_app
from telemed.audit.models import AuditEntry
from telemed.boards.models import Board
from telemed.cases.models import CaseEvent
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.preparation.material import flag_missing_material
from telemed.sessions.assignment import assign_cases


def count(query: object) -> int:
    return int(db.session.scalar(query) or 0)  # type: ignore[call-overload]


def run(n: int, url: str) -> None:
    app = make_app(url)
    with app.app_context():
        fill(n, random.Random(15), notify=False)
        assign_cases()
        db.session.execute(
            update(Board).values(required_material={"treatment_plan": ["pathology_report"]})
        )
        db.session.commit()
        statements = [0]

        def counting(*_args: object) -> None:
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", counting)
        began = time.perf_counter()
        flagged = flag_missing_material()
        db.session.commit()
        seconds = time.perf_counter() - began
        event.remove(db.engine, "before_cursor_execute", counting)
        emails = count(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "material_missing")
        )
        events = count(select(func.count(CaseEvent.id)).where(CaseEvent.kind == "material_missing"))
        audits = count(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "case.material_missing")
        )
        assert flagged == emails == events == audits == n, (flagged, emails, events, audits)
        again = time.perf_counter()
        assert flag_missing_material() == 0
        db.session.commit()
        second = time.perf_counter() - again
        print(f"N={n:>7,}  flagged {flagged:,} in {seconds:6.2f} s "
              f"({seconds / n * 1000:.2f} ms per entry, {statements[0]:,} SQL statements); "
              f"second run {second:.2f} s")  # fmt: skip
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        print(f"database: {url.split('@')[-1]}")
        for n in args.sizes:
            run(n, url)


if __name__ == "__main__":
    main()
