"""The PDF page every document shares (minutes, certificates of attendance), with fpdf2.

fpdf2's core fonts are latin-1: Spanish accents and ñ fit, but dashes, bullets and curly
quotes do not, so every string goes through ``pdf_text`` first. Builders take values that
are already labelled in the reader's language and return bytes.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from telemed.core.clock import now_utc

# Characters outside latin-1 that minutes and names commonly contain.
REPLACEMENTS = {
    "\u2014": "-", "\u2013": "-", "\u2012": "-", "\u2011": "-", "\u2010": "-", "\u2212": "-",
    "\u2022": "*", "\u25cf": "*", "\u2026": "...", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u2192": "->", "\u2190": "<-",
    "\u2265": ">=", "\u2264": "<=", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u2060": "",
    "\u20ac": "EUR", "\u2122": "(TM)", "\u2713": "v", "\u2717": "x",
}  # fmt: skip


FONT = "Helvetica"


def pdf_text(text: Any) -> str:
    """``text`` in latin-1: known symbols mapped, other letters without their accent
    (``ő`` → ``o``), anything else as ``?``. Spanish text passes unchanged."""
    out = []
    for char in str(text):
        if ord(char) < 256:
            out.append(char)
        elif char in REPLACEMENTS:
            out.append(REPLACEMENTS[char])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and c.isprintable()
            )
            out.append(base or "?")
    return "".join(out)


class Document(FPDF):
    """A4 with a running header (after the first page) and "page x of y" footers."""

    def __init__(self, running_title: str, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.running_title = pdf_text(running_title)
        self.set_creation_date(now_utc())
        self.set_creator("telemed")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, "", 8)
            self.set_text_color(110)
            self.cell(0, 5, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        label = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, pdf_text(label), align="C")
        self.set_text_color(0)

    # --- writing helpers ------------------------------------------------------------

    def paragraph(self, text: str, size: float = 10, style: str = "", height: float = 5) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, height, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        # Keep a heading with at least a few lines of its section.
        if self.get_y() > self.h - self.b_margin - 25:
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.cell(0, 7, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def item(self, text: str, indent: float = 4, size: float = 10, style: str = "") -> None:
        self.set_x(self.l_margin + indent)
        self.set_font(FONT, style, size)
        self.multi_cell(0, 5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def render(self) -> bytes:
        return bytes(self.output())


def joined(*parts: str) -> str:
    return " - ".join(p for p in parts if p)
