"""The minutes as a PDF (fpdf2), from the display the HTML pages render too."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from fpdf.enums import XPos, YPos

from telemed.core.pdf import FONT, Document, joined, pdf_text


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
               zone=m["zone"]))  # fmt: skip
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
        still_open = m.get("still_open")
        if not m["follow_up"]:
            if still_open and still_open["count"]:
                doc.item(_("No agreement came due since the previous session."))
            else:
                doc.item(_("No open agreements from earlier sessions."))
        for entry in m["follow_up"]:
            state = {
                "done": _("done %(date)s", date=entry["done_at"]),
                "overdue": _("overdue"),
                "open": _("open"),
            }[entry["state"]]
            doc.item("* " + agreement_line(entry) + f" [{state}]")
        if still_open and still_open["count"]:
            doc.item(ngettext(
                "%(num)d more agreement from earlier sessions is still open (%(overdue)d "
                "overdue); see the annex.",
                "%(num)d more agreements from earlier sessions are still open (%(overdue)d "
                "overdue); see the annex.",
                still_open["count"], overdue=still_open["overdue"],
            ))  # fmt: skip
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

    if m.get("still_open") and m["still_open"]["annex"]:
        annex(doc, m["still_open"]["annex"])

    if addenda:
        doc.heading(_("Addenda"))
        for when, author, text in addenda:
            doc.item(joined(when, author), style="B", size=9)
            doc.item(text, indent=8)
    return doc.render()


def annex(doc: Document, entries: list[dict[str, Any]]) -> None:
    """The open agreements not followed up, one short line each in small type (no text:
    it is in the minutes that agreed them), so a board's backlog costs lines, not pages."""
    doc.heading(_("Annex: agreements still open"))
    doc.item(_("Open agreements from earlier sessions that this session did not follow up; "
               "their text is in the minutes of the session that agreed them."),
             indent=0, size=8, style="I")  # fmt: skip
    doc.set_font(FONT, "", 7.5)
    for entry in entries:
        line = joined(
            _("session %(number)d", number=entry["session_number"]),
            entry["owner"],
            _("Due: %(date)s", date=entry["due_date"]),
            entry["case_code"],
            _("overdue") if entry["overdue"] else "",
        )
        doc.multi_cell(0, 3.6, pdf_text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


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
