"""Does a page fit its screen? (issue 17, findings 3 and 8.)

A page fits when nothing makes the reader scroll sideways and no control they may need is
cut off: the document is no wider than the viewport, no box scrolls sideways inside it (a
``.table-responsive`` hiding the urgency and status columns on a phone), and every visible
link, button, field and ``<summary>`` lies wholly inside the viewport and inside each
ancestor that clips its overflow. Measured in the browser, so it judges what the reader sees
at the viewport size the test set.
"""

from __future__ import annotations

from playwright.sync_api import Page

# The two screens every layout test looks at: a hospital desktop and a phone.
SCREEN = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Runs in the page; returns one sentence per problem. Kept in one place so every layout
# test measures the same way.
MEASURE = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const problems = [];
  const px = (value) => Math.round(value);
  const describe = (el) => {
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    const text = (el.getAttribute('aria-label') || label || el.innerText || el.value
                  || el.getAttribute('name') || el.getAttribute('title') || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 60);
    const id = el.id ? '#' + el.id : '';
    return `<${el.tagName.toLowerCase()}${id}> "${text}"`;
  };
  const box = (el) => {
    const table = ['TD', 'TH'].includes(el.tagName) ? el.closest('table') : null;
    const within = table ? `table${table.id ? '#' + table.id : ''} ` : '';
    return within + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + [...el.classList].map((name) => '.' + name).join('');
  };
  const shown = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  // Bootstrap's .visually-hidden text is meant to be clipped.
  const tiny = (rect) => rect.width <= 1 || rect.height <= 1;

  if (root.scrollWidth > width) {
    // Name the innermost boxes that stick out, where a fix would start.
    const out = (el) => shown(el) && el.getBoundingClientRect().right > width + 0.5;
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((el) => out(el) && ![...el.children].some(out)).slice(0, 5).map(box);
    problems.push(`the page is ${root.scrollWidth} px wide in a ${width} px viewport `
                  + `(sticking out: ${culprits.join(', ')})`);
  }
  for (const scroller of document.body.querySelectorAll('*')) {
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(scroller.tagName) || !shown(scroller)) continue;
    const overflow = getComputedStyle(scroller).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll')
        && scroller.scrollWidth > scroller.clientWidth + 1) {
      problems.push(`<${box(scroller)}> scrolls sideways: `
                    + `${scroller.scrollWidth} px of content in ${scroller.clientWidth} px`);
    }
  }
  const controls = document.body.querySelectorAll('a, button, input, select, textarea, summary');
  for (const el of controls) {
    if (!shown(el)) continue;
    const rect = el.getBoundingClientRect();
    if (tiny(rect)) continue;
    if (rect.left < -0.5 || rect.right > width + 0.5) {
      problems.push(`${describe(el)} lies outside the viewport `
                    + `(${px(rect.left)}–${px(rect.right)} px of ${width})`);
      continue;
    }
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === 'visible') continue;
      const outer = up.getBoundingClientRect();
      if (tiny(outer)) break;
      const left = outer.left + parseFloat(style.borderLeftWidth);
      const right = outer.right - parseFloat(style.borderRightWidth);
      if (rect.left < left - 0.5 || rect.right > right + 0.5) {
        problems.push(`${describe(el)} is cut off by <${box(up)}> `
                      + `(${px(rect.left)}–${px(rect.right)} px, box ${px(left)}–${px(right)})`);
        break;
      }
    }
  }
  return problems;
}
"""


def layout_problems(page: Page) -> list[str]:
    """What does not fit on the page as it is now (an empty list when all fits)."""
    problems: list[str] = page.evaluate(MEASURE)
    return problems


def assert_fits(page: Page) -> None:
    """Fail, naming the controls, when the page overflows sideways or cuts a control off."""
    problems = layout_problems(page)
    size = page.viewport_size or {"width": 0, "height": 0}
    where = f"{page.url} at {size['width']}×{size['height']}"
    assert not problems, f"{where} does not fit:\n  " + "\n  ".join(problems)


# How much wider than its box each select's chosen text, and the widest of its choices,
# would be (0 when it fits). A select draws its text in clientWidth less its padding
# (Bootstrap's arrow sits in the right padding); its scrollWidth stays equal to its
# clientWidth even when the text is cut, so the text is measured with the select's own font.
CUT_SELECTS = """
(selector) => {
  const pen = document.createElement("canvas").getContext("2d");
  const cut = {};
  for (const select of document.querySelectorAll(selector)) {
    const style = getComputedStyle(select);
    pen.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight);
    const over = (text) => Math.max(0, Math.ceil(pen.measureText(text).width - room));
    const texts = Array.from(select.options, (option) => option.text);
    cut[select.id] = {
      chosen: over(select.options[select.selectedIndex].text),
      widest: Math.max(...texts.map(over)),
    };
  }
  return cut;
}
"""


def cut_selects(page: Page, selector: str) -> dict[str, dict[str, int]]:
    """For each ``<select>`` matching ``selector`` (by id): pixels of its chosen text and
    of its widest choice that the box cuts off."""
    found: dict[str, dict[str, int]] = page.evaluate(CUT_SELECTS, selector)
    return found
