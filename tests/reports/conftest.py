"""Fixtures for the dashboard: the hand-counted network (see dataset.py) and helpers that
read figures and tables from compute_view, pages and CSV downloads."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from telemed.auth.models import User
from telemed.core.clock import Clock
from telemed.reports.service import compute_view
from tests.conftest import english
from tests.reports.dataset import NOW, Network, build_network
from tests.scenes.boards import make_board  # noqa: F401  (fixture, shared)


@pytest.fixture
def network(clock: Clock, make_centre: Callable, make_user: Callable, make_board: Callable,  # noqa: F811
            coordinator: User) -> Network:  # fmt: skip
    clock.set(NOW)
    return build_network(make_centre, make_user, make_board, coordinator)


def figures(view: str, args: dict[str, str], actor: User) -> dict[str, Any]:
    """Every figure of a view by key, the headline's (overview) with the cards'."""
    with english():
        result = compute_view(view, args, actor)
    return {figure.key: figure.value for figure in result.headline + result.figures}


def table(view: str, name: str, args: dict[str, str], actor: User, full: bool = False) -> list:
    with english():
        found = compute_view(view, args, actor, full=full).table(name)
    assert found is not None, name
    return found.rows


class TableParser(HTMLParser):
    """Rows of ``<section id="table-NAME">``'s body, as the text of each cell."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.inside, self.in_body = name, False, False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "section" and dict(attrs).get("id") == f"table-{self.name}":
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.in_body and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.in_body and tag == "tbody":
            self.in_body = self.inside = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def page_table(html: str, name: str) -> list[list[str]]:
    parser = TableParser(name)
    parser.feed(html)
    # The page writes "—" for an empty value and 1,234 for thousands; the CSV "" and 1234.
    return [["" if cell == "—" else cell.replace(",", "") for cell in row] for row in parser.rows]


def csv_rows(body: bytes) -> tuple[list[str], list[list[str]]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text[1:])))
    return header, rows


def figure_value(html: str, key: str) -> str:
    match = re.search(rf'id="figure-{key}".*?data-value="([^"]*)"', html, re.S)
    assert match, key
    return match.group(1)
