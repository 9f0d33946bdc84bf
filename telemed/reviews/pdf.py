"""PDF documents of the review package (minutes, certificates of attendance) with fpdf2.

fpdf2's core fonts are latin-1: Spanish accents and ñ fit, but dashes, bullets and curly
quotes do not, so every string goes through ``pdf_text`` first. Builders take values that
are already labelled in the reader's language and return bytes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
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


# --- minutes --------------------------------------------------------------------------


def joined(*parts: str) -> str:
    return " - ".join(p for p in parts if p)


def minutes_pdf(m: dict[str, Any], *, status: str, addenda: list[tuple[str, str, str]]) -> bytes:
    """The minutes (as ``minutes_display.display`` shaped them) with their status line and
    addenda (date, author, text)."""
    title = _("Minutes: %(board)s, session %(number)d", board=m["board"], number=m["number"])
    doc = Document(f"{title} - {m['date']}")
    doc.set_title(pdf_text(title))
    doc.add_page()
    doc.paragraph(title, size=16, style="B", height=8)
    doc.paragraph(joined(m["kind_label"], _("extraordinary") if m["extraordinary"] else ""))
    doc.paragraph(status, size=9, style="I")

    doc.heading(_("Session"))
    doc.item(_("Date: %(date)s", date=m["date"]))
    start = m["start"] + (" " + _("(scheduled)") if m["start_scheduled"] else "")
    end = m["end"] + (" " + _("(scheduled)") if m["end_scheduled"] else "")
    doc.item(_("Start: %(start)s · End: %(end)s (%(zone)s)", start=start, end=end,
               zone=m["timezone"]))  # fmt: skip
    if m["topic"]:
        doc.item(_("Topic: %(topic)s", topic=m["topic"]))
    if m["speaker"]:
        doc.item(_("Speaker: %(speaker)s", speaker=m["speaker"]))

    doc.heading(_("Attendance"))
    if not m["attendance"]:
        doc.item(_("No attendance was recorded."))
    for person in m["attendance"]:
        doc.item("* " + joined(person["name"], person["role"], person["unit"],
                               person["discipline"]))  # fmt: skip

    if m["kind"] == "case_review":
        doc.heading(_("Follow-up of previous agreements"))
        if not m["follow_up"]:
            doc.item(_("No open agreements from earlier sessions."))
        for entry in m["follow_up"]:
            state = {
                "done": _("done %(date)s", date=entry["done_at"]),
                "overdue": _("overdue"),
                "open": _("open"),
            }[entry["state"]]
            doc.item("* " + agreement_line(entry) + f" [{state}]")
        if m["open_referrals"]:
            doc.item(_("Open referrals"), style="B")
            for entry in m["open_referrals"]:
                doc.item("* " + joined(entry["case_code"], referral_line(entry)))

        doc.heading(_("Review of specific cases"))
        if not m["cases"]:
            doc.item(_("No cases on the agenda."))
        for case in m["cases"]:
            doc.item(
                joined(case["agenda_code"], case["case_code"], case["outcome_label"]),
                indent=0, style="B",
            )  # fmt: skip
            if case["presented_by"]:
                doc.item(_("Presented by: %(name)s", name=case["presented_by"]))
            if case["withheld"]:
                doc.item(_("The review of this case is shown to its centre and the board only."),
                         size=9, style="I")  # fmt: skip
            for rec in case["recommendations"]:
                doc.item("* " + f"{rec['category']}: {rec['text']}")
                agreement_kind = (
                    _("By consensus")
                    if rec["consensus"]
                    else _("Not by consensus; dissent: %(dissent)s", dissent=rec["dissent"] or "-")
                )
                responsible = _("Responsible: %(who)s", who=rec["responsible"])
                doc.item(joined(agreement_kind, responsible), indent=8, size=9)
            for entry in case["referrals"]:
                doc.item("* " + _("Referral: %(referral)s", referral=referral_line(entry)))
            doc.ln(1)
    else:
        doc.heading(_("Topic"))
        doc.item(m["topic"] or _("No topic recorded."))

    doc.heading(_("General matters"))
    doc.item(m["general_matters"] or _("None."))

    doc.heading(_("Reading of the agreements"))
    if not m["agreements"]:
        doc.item(_("No agreements were recorded."))
    for number, entry in enumerate(m["agreements"], start=1):
        doc.item(f"{number}. " + agreement_line(entry))

    if addenda:
        doc.heading(_("Addenda"))
        for when, author, text in addenda:
            doc.item(joined(when, author), style="B", size=9)
            doc.item(text, indent=8)
    return doc.render()


def agreement_line(entry: dict[str, Any]) -> str:
    text = entry["text"] if not entry["withheld"] else _("(shown to the case's centre only)")
    return joined(
        text,
        _("Owner: %(owner)s", owner=entry["owner"]) if entry["owner"] else "",
        _("Due: %(date)s", date=entry["due_date"]),
        entry["case_code"],
    )


def referral_line(entry: dict[str, Any]) -> str:
    return joined(entry["to_centre"], entry["transplant_type"], entry["status"])


# --- certificates ---------------------------------------------------------------------


@dataclass
class CertificateText:
    """What a certificate says, already in the reader's language."""

    holder_name: str
    kind: str
    topic: str | None
    speaker: str | None
    board: str
    when: str
    code: str
    url: str
    issued: str


def certificate_pdf(c: CertificateText) -> bytes:
    doc = Document(_("Certificate of attendance"), orientation="L")
    doc.set_title(pdf_text(_("Certificate of attendance")))
    doc.set_auto_page_break(auto=False)
    doc.add_page()
    doc.set_draw_color(30, 60, 120)
    doc.set_line_width(1.2)
    doc.rect(10, 10, doc.w - 20, doc.h - 20)
    doc.set_line_width(0.2)
    doc.set_y(32)

    def centred(text: str, size: float, style: str = "", height: float = 9) -> None:
        doc.set_font(FONT, style, size)
        doc.multi_cell(0, height, pdf_text(text), align="C", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)  # fmt: skip

    centred(c.board, 13)
    doc.ln(4)
    centred(_("Certificate of attendance").upper(), 24, "B", 12)
    doc.ln(6)
    centred(_("This certifies that"), 12)
    centred(c.holder_name, 22, "B", 12)
    centred(_("attended the %(kind)s session", kind=c.kind.lower()), 12)
    if c.topic:
        centred(f'"{c.topic}"', 16, "B")
    if c.speaker:
        centred(_("given by %(speaker)s", speaker=c.speaker), 12)
    centred(c.when, 12)

    doc.set_y(doc.h - 45)
    doc.set_font(FONT, "", 10)
    centred(_("Verification code: %(code)s", code=c.code), 12, "B", 7)
    centred(_("Anyone can check this certificate at %(url)s", url=c.url), 10, "", 6)
    centred(_("Issued %(date)s", date=c.issued), 9, "", 6)
    return doc.render()
