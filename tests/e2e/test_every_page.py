"""Every page of pages.py, with 100 customers and 8 tags, in Chromium at a desktop's, a
phone's and the narrowest phone's width: nothing scrolls sideways, neither the page nor a
box inside it (a table, a tab strip), and axe-core finds no WCAG 2.2 AA problem (at the
desktop's and the phone's width). Every page is checked before the test fails, and the
failure names each page and what is wrong there. SCREENSHOT_DIR keeps a picture of each.
"""

import re

import pytest

from e2e import pages
from e2e.axe import axe_violations, describe
from e2e.conftest import DESKTOP, NARROW, PHONE, new_page
from e2e.test_dashboard import screenshot_dir

# What scrolls sideways: the page, or any box in it that scrolls (overflow-x auto or scroll).
SIDEWAYS = """() => {
  const out = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) out.push(`the page is ${page.scrollWidth}px wide`);
  for (const box of document.querySelectorAll("body *")) {
    const overflow = getComputedStyle(box).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth + 1) {
      const classes = typeof box.className === "string" ? box.className.trim().split(/\\s+/) : [];
      const name = box.tagName.toLowerCase() + (box.id ? "#" + box.id : "") + classes.map(c => c && "." + c).join("");
      out.push(`${name} scrolls: ${box.scrollWidth}px of content in ${box.clientWidth}px`);
    }
  }
  return out;
}"""


def file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.mark.parametrize(("size", "viewport", "axe"), [("desktop", DESKTOP, True), ("phone", PHONE, True),
                                                       ("320", NARROW, False)])
def test_every_page_fits_the_width_and_passes_axe(browser, live_server, site, tmp_path_factory, size, viewport, axe):
    shots = screenshot_dir(tmp_path_factory)
    problems = {}
    for _who, sign_in, entries, _fragments in pages.VISITORS:
        context, page = new_page(browser, live_server, viewport=viewport)
        if sign_in:
            sign_in(page, site)
        for name, where in entries:
            pages.go(page, site, where)
            found = [f"  {line}" for line in page.evaluate(SIDEWAYS)]
            if axe and (violations := axe_violations(page)):
                found.append(describe(violations))
            if found:
                problems[name] = found
            page.screenshot(path=str(shots / f"every-{file_name(name)}-{size}.png"), full_page=True)
        context.close()
        assert page.problems == [], "\n".join(page.problems)
    if problems:
        pytest.fail(f"At {viewport['width']}x{viewport['height']}:\n\n" + "\n\n".join(
            f"{name}:\n" + "\n".join(found) for name, found in problems.items()), pytrace=False)
