"""/settings/auto-pay in Chromium: a rule added through the form shows what it would charge, a bad
rule is refused by its field; axe-core finds nothing at a desktop's and a phone's width."""

import pytest

from e2e import pages
from e2e.axe import axe_violations, describe
from e2e.conftest import DESKTOP, PHONE, new_page
from e2e.test_dashboard import screenshot_dir


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_adding_a_rule_and_a_refused_one(browser, live_server, site, tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    context, page = new_page(browser, live_server, viewport=viewport)
    pages.signing_in("/login", "staff_email", pages.PASSWORD, "**/overview")(page, site)
    page.goto("/settings/auto-pay")
    assert "Off until you add a rule" in page.inner_text("main")
    page.check("input[name=scope][value=customer]")
    page.click("main form.form button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert "Choose the customer" in page.inner_text("#row-customer_id")
    assert not axe_violations(page), describe(axe_violations(page))
    page.screenshot(path=str(shots / f"auto-pay-errors-{size}.png"), full_page=True)
    page.check("input[name=scope][value=all]")
    page.fill("#offset_days", "-3")
    page.click("main form.form button[type=submit]")
    page.wait_for_selector("text=Auto-pay rule added")
    assert "3 days before the due date" in page.inner_text("main")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / f"auto-pay-{size}.png"), full_page=True)
    context.close()
