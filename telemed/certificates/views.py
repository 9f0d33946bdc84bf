"""Attendance certificates and their public verification page (no login, rate limited)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.boards.labels import SESSION_KIND_LABELS
from telemed.certificates import service as certificates
from telemed.certificates.models import Certificate
from telemed.certificates.pdf import CertificateText, certificate_pdf
from telemed.core.formatting import when
from telemed.extensions import limiter
from telemed.sessions import service as session_service

bp = Blueprint("certificates", __name__)


def verify_limit() -> str:
    limit: str = current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute")
    return limit


def when_text(certificate: Certificate) -> str:
    """The session's date and times on the board's clock, in the reader's language, with the
    year (a certificate is a record)."""
    session = certificate.session
    start = session.started_at or session.starts_at
    end = session.ended_at or session.ends_at
    return _("on %(when)s", when=when(start, session.board.timezone, end, record=True))


def pdf_response(certificate: Certificate) -> Response:
    session = certificate.session
    body = certificate_pdf(
        CertificateText(
            holder_name=certificate.holder_name,
            kind=str(SESSION_KIND_LABELS[session.kind]),
            topic=session.topic,
            speaker=session.speaker,
            board=session.board.name,
            when=when_text(certificate),
            code=certificate.code,
            url=certificates.verification_url(certificate.code),
            issued=format_date(certificate.issued_at.date(), "long"),
        )
    )
    response = Response(body, mimetype="application/pdf")
    name = f"constancia-{certificate.code}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/sessions/<int:session_id>/certificate.pdf")
@login_required
def own_certificate(session_id: int) -> ResponseReturnValue:
    """The caller's certificate, if they were present at the (ended) session."""
    session = session_service.get_session(session_id)
    return pdf_response(certificates.certificate_for_self(current_user, session))


@bp.get("/certificates/attendance/<int:attendance_id>.pdf")
@login_required
def attendance_certificate(attendance_id: int) -> ResponseReturnValue:
    """Any attendee's certificate (guests too), for coordinators."""
    return pdf_response(certificates.certificate_for_attendance(current_user, attendance_id))


# --- public verification --------------------------------------------------------------


@bp.get("/verify")
@limiter.limit(verify_limit)
def verify_form() -> ResponseReturnValue:
    typed = request.args.get("code", "").strip()
    if typed:
        code = certificates.normalise_code(typed)
        if code is not None:
            return redirect(url_for("certificates.verify", code=code))
        return render_template("certificates/verify.html", typed=typed, unknown=True), 404
    return render_template("certificates/verify.html", typed="", unknown=False)


@bp.get("/verify/<code>")
@limiter.limit(verify_limit)
def verify(code: str) -> ResponseReturnValue:
    found = certificates.verify(code)
    if found is None:
        return render_template("certificates/verify.html", typed=code, unknown=True), 404
    zone = ZoneInfo(found.timezone)
    return render_template(
        "certificates/verify_result.html",
        found=found,
        kind=SESSION_KIND_LABELS[found.kind],
        date=format_date(found.starts_at.astimezone(zone).date(), "long"),
        issued=format_datetime(found.issued_at, "d MMM y"),
    )
