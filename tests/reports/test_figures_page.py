"""The figures page as an administrator reads it (issue 17, finding 7): a headline row in
the network's own words, counted by hand from dataset.py and equal to the API's numbers;
a one-month period charted among the eleven months before it, its month highlighted; and
each definition written once, in a glossary every card and table links to."""

from __future__ import annotations

import json
import re
from html import unescape

from telemed.reports.service import VIEW_NAMES, compute_view
from tests.conftest import client_for, english
from tests.reports.conftest import page_table
from tests.reports.dataset import ALL, OCTOBER

QUERY_OCTOBER = "period=custom&from=2026-10-01&to=2026-10-31"

# The report's words (DOMAIN.md: "192 sesiones de telemedicina, 170 casos de alta
# complejidad examinados", 10 capacitaciones, 10 conferencias magistrales, 9 pacientes
# referidos a HITO), and October 2026 in dataset.py:
HEADLINE_OCTOBER = [
    ("case_review_sessions", "Sesiones de telemedicina", "2"),  # S1 (8 Oct), T1 (7 Oct)
    ("examined_high_complexity", "Casos de alta complejidad examinados", "3"),  # k1 k2 k13
    ("training_sessions", "Capacitaciones", "1"),  # S3 (22 Oct)
    ("keynote_lectures", "Conferencias magistrales", "0"),  # S4 is 12 Nov
    # r1 k1, r2 k2, r3 k13, r6 k3 (9 Oct); r11 only proposed; r12 r13 not to HITO
    ("patients_referred_to_hito", "Pacientes referidos a HITO", "4"),
]


def spanish_page(app, admin, path: str) -> str:
    """The page as a doctor in the network reads it (its HTML as sent)."""
    browser = client_for(app, admin)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def headline_cards(html: str) -> list[tuple[str, str, str]]:
    row = html.split('id="report-headline"')[1].split("</section>")[0]
    found = re.findall(
        r'id="figure-(\w+)".*?data-value="([^"]*)".*?class="report-headline-label">([^<]*)<',
        row,
        re.S,
    )
    return [(key, label, value) for key, value, label in found]


def test_headline_row_reads_the_reports_words_and_counts_by_hand(network, admin, app):
    html = unescape(spanish_page(app, admin, f"/reports/overview?{QUERY_OCTOBER}"))
    assert headline_cards(html) == HEADLINE_OCTOBER
    # Shown once: the cards under it no longer repeat these numbers under other names.
    cards = html.split('id="report-figures"')[1]
    assert 'id="figure-training_sessions"' not in cards
    assert "Sesiones de capacitación" not in cards

    # All time: the report's table of HITO (5 from La Raza, 4 from Siglo XXI) gives its 9.
    html = unescape(spanish_page(app, admin, "/reports/overview?period=all"))
    assert [value for _, _, value in headline_cards(html)] == ["3", "6", "2", "1", "9"]


def test_the_api_gives_the_headline_numbers(network, admin, app):
    browser = client_for(app, admin)
    for args in (OCTOBER, ALL):
        query = "&".join(f"{key}={value}" for key, value in args.items())
        html = unescape(browser.get(f"/reports/overview?{query}").get_data(as_text=True))
        body = browser.get(f"/api/v1/stats?view=overview&{query}").get_json()
        overview = body["views"]["overview"]
        shown = [(key, value) for key, _, value in headline_cards(html)]
        assert [key for key, _ in shown] == overview["headline"]
        assert shown == [(k, str(overview["figures"][k]["value"])) for k in overview["headline"]]
    assert overview["figures"]["patients_referred_to_hito"]["label"] == "Patients referred to HITO"


def test_the_headline_is_documented_in_openapi(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    view = spec["components"]["schemas"]["ViewOut"]["properties"]
    assert "telemedicine sessions" in view["headline"]["description"]


def chart_data(html: str, name: str) -> dict:
    figure = html.split(f'id="chart-{name}"')[1]
    raw = re.search(r'data-chart="([^"]*)"', figure).group(1)
    return json.loads(unescape(raw))


def test_a_month_is_charted_among_the_eleven_before_it(network, admin, app):
    html = spanish_page(app, admin, f"/reports/overview?{QUERY_OCTOBER}")
    chart = chart_data(html, "sessions_per_month")
    assert len(chart["labels"]) == 12
    assert chart["labels"][0].lower().startswith("nov") and "2025" in chart["labels"][0]
    assert chart["highlight"] == [False] * 11 + [True]  # October 2026 alone
    # Held per month by kind: Oct S1 T1 review, S3 training (the months before: none).
    assert [sum(ds["data"][-1] for ds in chart["datasets"])] == [3]
    assert all(sum(ds["data"][i] for ds in chart["datasets"]) == 0 for i in range(11))
    # The colours in words, tied to the canvas, and the same mark in its table.
    note = unescape(html.split('id="chart-sessions_per_month-note">')[1].split("</p>")[0])
    assert note.startswith("El periodo elegido (octubre de 2026) se dibuja a todo color")
    assert 'aria-describedby="chart-sessions_per_month-note"' in html
    rows = page_table(html, "sessions_by_month")
    assert [row[0] for row in rows][::11] == ["2025-11", "2026-10"]
    assert [row[-1] for row in rows] == [""] * 11 + ["Sí"]

    # The turnaround chart too: October's first discussions (k1 k2 k3 k13, k5) in full colour.
    html = spanish_page(app, admin, f"/reports/turnaround?{QUERY_OCTOBER}")
    chart = chart_data(html, "turnaround_over_time")
    assert len(chart["labels"]) == 12
    assert chart["highlight"] == [False] * 11 + [True]


def test_a_year_or_all_time_is_charted_as_it_is(network, admin, app):
    with english():
        year = compute_view("overview", {"period": "year"}, admin).charts[0]
        whole = compute_view("overview", ALL, admin).charts[0]
    assert len(year.labels) == 12 and year.highlight == [] and year.note == ""
    assert len(whole.labels) == 3 and whole.highlight == []  # October to December 2026


def glossary(html: str) -> dict[str, str]:
    """The definitions section: each entry's anchor and its text."""
    section = html.split('id="report-definitions"')[1]
    entries = re.findall(r'id="(definition-[\w-]+)">.*?<dd>(.*?)</dd>', section, re.S)
    return {anchor: " ".join(text.split()) for anchor, text in entries}


def test_each_definition_is_written_once_and_every_card_links_to_it(network, admin, app):
    browser = client_for(app, admin)
    for view in VIEW_NAMES:
        html = unescape(browser.get(f"/reports/{view}?period=all").get_data(as_text=True))
        with english():
            result = compute_view(view, {"period": "all"}, admin)
        definitions = glossary(html)
        for figure in result.headline + result.figures:
            card = html.split(f'id="figure-{figure.key}"')[1].split("</a>")[0]
            anchor = re.search(r'href="#(definition-[\w-]+)"', card).group(1)
            assert definitions[anchor] == str(figure.definition), (view, figure.key)
        for table in result.tables:
            section = html.split(f'id="table-{table.name}"')[1].split("<table")[0]
            anchor = re.search(r'href="#(definition-[\w-]+)"', section).group(1)
            assert definitions[anchor] == str(table.definition), (view, table.name)
        texts = {str(f.definition) for f in result.headline + result.figures}
        texts |= {str(t.definition) for t in result.tables}
        assert sorted(texts) == sorted(definitions.values()), view
        for text in texts:
            assert html.count(text) == 1, (view, text)
