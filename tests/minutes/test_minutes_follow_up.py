"""The minutes of a board with a backlog (issue 17, finding 1): they record the agreements
followed up at the session in full and count the others, listed one short line each in an
annex, so sixty open agreements cost the PDF about a page, not three."""

from __future__ import annotations

import re
from datetime import date

from telemed.minutes import content as minutes_content
from tests.agreements.backlog import backlog
from tests.conftest import client_for
from tests.scenes.minutes import flat, pdf_text

FIRST_SESSION_DAY = date(2026, 3, 5)


def pages(body: bytes) -> int:
    return len(re.findall(r"^Page \d+ of", pdf_text(body), flags=re.M))


def test_the_minutes_record_what_was_followed_up_and_count_the_rest(
    app, board, in_session, chair, coordinator
):
    agreements = backlog(board, chair, FIRST_SESSION_DAY)
    due_now = [a for a in agreements if a.due_date > date(2026, 2, 12)]

    content = minutes_content.build_minutes(in_session)
    assert [e["id"] for e in content["follow_up"]] == [a.id for a in due_now]
    assert content["still_open"]["count"] == 58 and content["still_open"]["overdue"] == 58
    assert len(content["still_open"]["annex"]) == 58
    assert all("text" not in line for line in content["still_open"]["annex"])

    client = client_for(app, coordinator)
    html = client.get(f"/sessions/{in_session.id}/minutes").get_data(as_text=True)
    follow_up = html.split('id="minutes-follow-up"', 1)[1].split("</section>", 1)[0]
    assert follow_up.count('class="follow-up ') == 2
    assert "58 more agreements from earlier sessions are still open (58 overdue)" in follow_up
    assert html.count('class="annex-entry annex-overdue"') == 58
    assert agreements[0].text not in html  # the backlog's text is not repeated

    response = client.get(f"/sessions/{in_session.id}/minutes.pdf")
    assert response.status_code == 200
    text = flat(pdf_text(response.data))
    assert due_now[0].text in text and agreements[0].text not in text
    assert "Annex: agreements still open" in text
    assert pages(response.data) <= 2


def test_minutes_frozen_before_the_annex_still_read(app, board, in_session, chair, coordinator):
    """Final minutes keep the content they were frozen with: those of version 1 listed every
    open agreement in the follow-up and had no annex."""
    from telemed.extensions import db
    from telemed.minutes.models import Minutes, MinutesStatus

    backlog(board, chair, FIRST_SESSION_DAY, count=3)
    content = minutes_content.build_minutes(in_session)
    content["version"] = 1
    content.pop("still_open")
    db.session.add(Minutes(session_id=in_session.id, status=MinutesStatus.FINAL,
                           content=content, finalised_at=in_session.ends_at,
                           finalised_by_id=coordinator.id))  # fmt: skip
    in_session.minutes_final_at = in_session.ends_at
    db.session.commit()
    client = client_for(app, coordinator)
    assert client.get(f"/sessions/{in_session.id}/minutes").status_code == 200
    assert client.get(f"/sessions/{in_session.id}/minutes.pdf").status_code == 200
