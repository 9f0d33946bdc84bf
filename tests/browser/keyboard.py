"""Driving a page as someone without a mouse does: Tab and Shift+Tab to move, the arrow keys in
a list of choices, Space and Enter to act -- and at every stop, a focus ring one can see.

Nothing here clicks or fills an element: each key goes to whatever has the focus, so a control
that the keyboard cannot reach, or that hides where the focus is, fails the journey.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

MAX_STOPS = 60  # more Tab presses than that to reach a control is itself a failure

# The focused element's ring, judged as WCAG's non-text contrast: an outline at least 2 px
# wide whose colour stands 3:1 against the background behind the element.
FOCUS_RING = """
() => {
  const el = document.activeElement;
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let behind = el.parentElement;
  while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] === 0 ||
                    getComputedStyle(behind).backgroundColor === 'transparent')) {
    behind = behind.parentElement;
  }
  const background = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  const style = getComputedStyle(el);
  const ring = rgb(style.outlineColor);
  const [hi, lo] = [luminance(ring), luminance(background)].sort((a, b) => b - a);
  return {
    element: el.outerHTML.slice(0, 120),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth) || 0,
    contrast: (hi + 0.05) / (lo + 0.05),
  };
}
"""


def focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def check_focus_ring(page: Page) -> None:
    """The element with the focus shows it: a solid outline of 2 px or more, 3:1 or better."""
    ring = page.evaluate(FOCUS_RING)
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, (
        f"no visible focus ring on {ring['element']}: {ring}"
    )
    assert ring["contrast"] >= 3, f"faint focus ring on {ring['element']}: {ring}"


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> int:
    """Press Tab (Shift+Tab) until ``target`` has the focus, checking the ring at each stop;
    the number of presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, MAX_STOPS + 1):
        page.keyboard.press(key)
        check_focus_ring(page)
        if focused(target):
            return presses
    raise AssertionError(f"{MAX_STOPS} presses of {key} never reached {target}")


def type_into(page: Page, target: Locator, text: str) -> None:
    """Tab to a text box and type into it."""
    tab_to(page, target)
    page.keyboard.type(text)


def attach_by_keyboard(page: Page, target: Locator, file: Path) -> None:
    """Tab to a file input and open its dialog with Space (Enter if the first dialog never
    shows: under a loaded CI machine Chromium once let the first key's dialog go unseen),
    then answer the dialog with ``file`` as a person would pick it."""
    tab_to(page, target)
    for key in ("Space", "Enter"):
        try:
            with page.expect_file_chooser(timeout=5_000) as dialog:
                page.keyboard.press(key)
        except PlaywrightTimeout:
            assert focused(target), f"the focus left {target} while opening its dialog"
            continue
        dialog.value.set_files(file)
        return
    raise AssertionError(f"neither Space nor Enter opened the file dialog of {target}")


def choose(page: Page, target: Locator, value: str) -> None:
    """Tab to a closed <select> and move through its choices with the arrow keys to ``value``."""
    tab_to(page, target)
    count = target.locator("option").count()
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(count):
            if target.input_value() == value:
                return
            page.keyboard.press(key)
    assert target.input_value() == value, f"the arrow keys never chose {value!r} in {target}"
