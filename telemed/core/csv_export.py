"""CSV downloads: one writer for every export, so no cell can run as a spreadsheet formula.

A text cell starting with ``= + - @``, a tab or a carriage return is a formula to Excel and
LibreOffice (``=HYPERLINK(...)`` typed as an adherence reason would become a link in an
administrator's spreadsheet); such cells get a leading apostrophe, which the spreadsheet
shows as text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel read the accents


def cell(value: Any) -> Any:
    """The value as a CSV cell: numbers as they are, text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([cell(value) for value in values])
    return out.getvalue()


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """The whole file (without BOM): a header row, then one line per row."""
    return "".join(csv_line(row) for row in (header, *rows))


def csv_download(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> Response:
    """A CSV attachment, streamed row by row (the rows may be a generator reading the
    database in chunks); never cached, as every answer (telemed/core/headers.py)."""

    def lines() -> Iterator[str]:
        yield BOM + csv_line(header)
        for row in rows:
            yield csv_line(row)

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
