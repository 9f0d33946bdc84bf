"""A certificate of attendance as a one-page PDF (fpdf2)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from fpdf.enums import XPos, YPos

from telemed.core.pdf import FONT, Document, pdf_text


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
