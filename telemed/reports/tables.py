"""What a dashboard view returns: headline figures, tables and charts, each with its
definition. The page, the CSV downloads and the API all read these same objects, so a
table downloads exactly as it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    key: str
    label: Any
    value: Any
    definition: Any
    unit: str = ""  # "%" or "days": how the page writes the value


@dataclass
class Table:
    name: str  # the CSV and API key
    title: Any
    columns: list[tuple[str, Any]]
    rows: list[dict[str, Any]]
    definition: Any = None
    # False when only the first rows were read (long lists on the page; the CSV has all).
    complete: bool = True


@dataclass
class Chart:
    name: str
    title: Any
    kind: str  # "bar" | "line" | "horizontalBar" (see static/reports.js)
    labels: list[str]
    datasets: list[dict[str, Any]]
    y_label: Any = ""
    stacked: bool = False
    table: str = ""  # the table holding the same numbers (shown beside the chart)
    # Per label: drawn in full colour as the chosen period (empty: every label is).
    highlight: list[bool] = field(default_factory=list)
    note: Any = ""  # says in words which bars are the chosen period (under the chart)

    def config(self) -> dict[str, Any]:
        return {
            "labels": [str(label) for label in self.labels],
            "datasets": [{"label": str(ds["label"]), "data": ds["data"]} for ds in self.datasets],
            "y_label": str(self.y_label),
            "stacked": self.stacked,
            "highlight": self.highlight,
        }


@dataclass
class Definition:
    """One definition of the page's glossary and the figures and tables it defines."""

    anchor: str  # the id its help links point to
    terms: list[str]
    text: str


@dataclass
class ViewResult:
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # Shown first, in the words the network's reports use (the overview only).
    headline: list[Figure] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return next((table for table in self.tables if table.name == name), None)

    def glossary(self) -> list[Definition]:
        """Each distinct definition once, with every figure and table it defines: four
        cards counting sessions of one kind or another share one paragraph."""
        entries: dict[str, Definition] = {}
        named = [(f"figure-{f.key}", f.label, f.definition) for f in self.headline + self.figures]
        named += [(f"table-{t.name}", t.title, t.definition) for t in self.tables]
        for key, term, definition in named:
            if not definition:
                continue
            entry = entries.setdefault(str(definition), Definition(f"definition-{key}", [], ""))
            entry.text = str(definition)
            if str(term) not in entry.terms:
                entry.terms.append(str(term))
        return list(entries.values())

    def anchors(self) -> dict[str, str]:
        """Each definition's text to the id of its glossary entry (for the help links)."""
        return {entry.text: entry.anchor for entry in self.glossary()}

    def as_json(self) -> dict[str, Any]:
        """Plain values for the API: figures by key (the headline's first; ``headline``
        names them), tables as rows keyed by column."""
        return {
            "headline": [f.key for f in self.headline],
            "figures": {
                f.key: {"value": f.value, "label": str(f.label), "definition": str(f.definition)}
                for f in self.headline + self.figures
            },
            "tables": {
                t.name: {
                    "title": str(t.title),
                    "definition": str(t.definition or ""),
                    "columns": [key for key, _ in t.columns],
                    "rows": t.rows,
                    "complete": t.complete,
                }
                for t in self.tables
            },
        }


def csv_header(table: Table) -> list[str]:
    """The headers the page shows (translated)."""
    return [str(label) for _, label in table.columns]


def csv_rows(table: Table) -> list[list[Any]]:
    """Every row, in the page's column order."""
    return [[row.get(key) for key, _ in table.columns] for row in table.rows]
