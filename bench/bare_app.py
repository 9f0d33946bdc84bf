"""The framework's floor for ``bench/http_bench.py``: a bare Flask app that answers a list
from memory, under the same gunicorn settings as the service.

``GET /bare`` returns the rows of ``BENCH_ROWS_FILE`` (a JSON list; the bench writes there
the 50 rows the service's ``GET /api/v1/cases?per_page=50`` answered, about 25 KB) in the
service's envelope, serialised by ``jsonify`` on every request as the service does; no
database, no login, no hooks. Without the file it makes 50 rows of the same shape.
``GET /healthz`` answers ``ok`` (the bench waits for it).

    BENCH_ROWS_FILE=rows.json gunicorn --workers 2 --bind 127.0.0.1:8001 bench.bare_app:app
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify


def sample_rows(count: int = 50) -> list[dict[str, Any]]:
    """Rows shaped like the case list's items (about 500 bytes each)."""
    return [
        {
            "id": 100_000 - n, "code": f"CE-{100_000 - n:04d}", "status": "closed",
            "patient_reference_masked": "•••123",
            "diagnosis_text": "Leucemia linfoblástica aguda de precursores B, riesgo alto",
            "icd10_code": "C91.0", "urgency": "routine", "specialty": "leukaemia_lymphoma",
            "request_kind": "treatment_plan", "high_complexity": True,
            "clinical_deadline": None,
            "centre": {"id": 2, "code": "OC-BC-TIJ", "name": "HGR No. 1 Tijuana",
                       "state": "Baja California"},
            "created_at": "2026-11-30T17:04:11.123456+00:00",
            "submitted_at": "2026-11-30T17:04:11.123456+00:00",
        }
        for n in range(count)
    ]  # fmt: skip


def load_rows() -> list[dict[str, Any]]:
    path = os.environ.get("BENCH_ROWS_FILE")
    if path and Path(path).is_file():
        rows: list[dict[str, Any]] = json.loads(Path(path).read_text())
        return rows
    return sample_rows()


app = Flask(__name__)
ROWS = load_rows()


@app.get("/bare")
def bare() -> Response:
    return jsonify(
        {"items": ROWS, "per_page": len(ROWS), "page": 1, "next": "/bare?after=x",
         "total": 1000, "total_exact": False}
    )  # fmt: skip


@app.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})
