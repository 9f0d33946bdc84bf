"""axe-core in the browser tests: the accessibility rules a screen-reader user or a doctor with
low vision depends on, checked on the page as the browser shows it.

axe comes from the npm registry (package.json, installed by ``make install`` with ``npm ci``),
never a CDN. It is injected with ``page.evaluate`` of the file's text: the DevTools protocol
evaluates outside the page's Content-Security-Policy, which refuses an added <script> tag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import browser_required

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # what a page must never have

Audit = Callable[[Page, str], list[str]]


def describe(page_name: str, violation: dict[str, Any]) -> str:
    """Page, rule id, impact, the offending elements and axe's summary of the first one."""
    nodes = violation["nodes"]
    targets = ", ".join(" ".join(node["target"]) for node in nodes)
    summary = " ".join(nodes[0].get("failureSummary", "").split()) if nodes else ""
    return (
        f"{page_name}: {violation['id']} ({violation['impact']}), {len(nodes)} element(s): "
        f"{targets} -- {violation['help']}. {summary}"
    )


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The text of axe.min.js; skipped (failed under CI) when ``npm ci`` has not run."""
    if not AXE_SCRIPT.exists():
        message = f"{AXE_SCRIPT} is missing (make install runs npm ci when npm is installed)"
        if browser_required():
            pytest.fail(f"TELEMED_REQUIRE_BROWSER=1 but {message}.", pytrace=False)
        pytest.skip(message)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def audit(axe_source: str) -> Audit:
    """Run axe on the page as it is now; the serious and critical findings, described."""

    def run(page: Page, page_name: str) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        results = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations'], "
            "runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
            "'wcag22aa', 'best-practice']}})"
        )
        return [
            describe(page_name, violation)
            for violation in results["violations"]
            if violation["impact"] in BLOCKING
        ]

    return run
