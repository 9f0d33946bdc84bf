"""The dashboard pages and their CSV downloads (administrators; coordinators for their
boards). Filters travel in the query string, so a view can be bookmarked and shared."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal
from flask_login import current_user

from telemed.audit import service as audit
from telemed.auth.decorators import roles_required
from telemed.auth.models import Role
from telemed.centres.service import list_centres
from telemed.core.conditional import client_has, etag_of, not_modified, revalidated
from telemed.core.csv_export import csv_download
from telemed.core.errors import InputError
from telemed.core.memo import Memo
from telemed.reports import answers, service
from telemed.reports.period import PERIOD_LABELS
from telemed.reports.scope import build_scope, visible_boards
from telemed.reports.tables import csv_header, csv_rows

bp = Blueprint("reports", __name__, url_prefix="/reports")
staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)


@bp.context_processor
def number_formatting() -> dict[str, Any]:
    return {"format_decimal": format_decimal, "format_date": format_date}


@bp.get("/")
@staff_required
def index() -> ResponseReturnValue:
    """The overview, with the address's filters (one value each, as the views read them).
    ``view`` names the redirect's target and ``_anchor``, ``_external`` and the like are
    ``url_for``'s own options: passed on, they made a 500 (``view`` twice, an unknown method)."""
    filters: dict[str, Any] = {
        key: value
        for key, value in request.args.items()
        if key != "view" and not key.startswith("_")
    }
    return redirect(url_for("reports.view", view="overview", **filters))


# The page text this process sent last, by ETag: one ETag is one page (``page_etag``: the
# answer, the version, the reader and their form token, the address), so a repeated read
# whose browser has no copy skips rendering (4 of the page's 10 ms; bench/README.md).
pages: Memo[str] = Memo(64)


@bp.get("/<view>")
@staff_required
def view(view: str) -> ResponseReturnValue:
    if view not in service.VIEWS:
        abort(404)
    try:
        scope = build_scope(current_user, request.args)
    except InputError as err:
        return render_template("reports/dashboard.html", view=view, result=None, scope=None,
                               errors=err.errors, **filter_choices()), 422  # fmt: skip
    current, (answer,) = answers.view_answers([view], scope)
    etag = page_etag(answer, current)
    flashes = "_flashes" in session  # shown once, in this page: neither 304 nor remembered
    if not flashes and client_has(etag):
        return not_modified(etag)

    def rendered() -> str:
        # After the view: it commits (keeping roll-ups it built), which expires loaded rows.
        return render_template("reports/dashboard.html", view=view, result=answer.result,
                               scope=scope, errors={}, **filter_choices())  # fmt: skip

    # A page rendered before the session had a form token makes one: not what its ETag says.
    remember = not flashes and form_token() is not None
    page = pages.get_or_make(etag, rendered) if remember else rendered()
    return revalidated(make_response(page), etag)


def page_etag(answer: answers.Answer, current: int) -> str:
    """The page is the answer (its key: view, scope, day, language) plus what the layout
    shows of the reader — name, role, the form token of their session — and the filter
    lists, which change only with the data's version."""
    user = current_user
    return etag_of("reports.view", answer.key, answer.etag, current, user.id, user.name,
                   user.role, form_token(), request.full_path)  # fmt: skip


def form_token() -> str | None:
    """The login session's form token: the page's signed copies stay valid while it does."""
    token = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return str(token) if token is not None else None


@bp.get("/<view>/<table>.csv")
@staff_required
def table_download(view: str, table: str) -> ResponseReturnValue:
    if view not in service.VIEWS:
        abort(404)
    scope = build_scope(current_user, request.args, full=True)
    found = service.table_of(view, table, scope)
    period = "-".join(scope.period.query_args().values())
    audit.record(current_user, "report.export", "report", None, view=view, table=table,
                 period=period, rows=len(found.rows))  # fmt: skip
    return csv_download(f"{view}-{table}-{period}.csv", csv_header(found), csv_rows(found))


def filter_choices() -> dict[str, Any]:
    centres = sorted(list_centres(), key=lambda centre: centre.name)
    return {
        "views": [(name, label) for name, (_, label) in service.VIEWS.items()],
        "periods": PERIOD_LABELS,
        "boards": visible_boards(current_user),
        "centres": centres,
        "states": sorted({centre.state for centre in centres}),
        "args": request.args,
    }
