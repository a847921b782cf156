"""/settings/auto-pay in Chromium: a rule added through the form shows what it would charge, a bad
rule is refused by its field, a rule edited with its customer picked by typing; the Invoices
filter's customer picked by typing and the keyboard; axe-core finds nothing at a desktop's and a
phone's width."""

import re

import pytest
from playwright.sync_api import expect

from e2e import pages
from e2e.axe import axe_violations, describe
from e2e.conftest import DESKTOP, PHONE, new_page
from e2e.test_dashboard import screenshot_dir


def staff_page(browser, live_server, site, viewport):
    context, page = new_page(browser, live_server, viewport=viewport)
    pages.signing_in("/login", "staff_email", pages.PASSWORD, "**/overview")(page, site)
    return context, page


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_adding_a_rule_and_a_refused_one(browser, live_server, site, tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    context, page = staff_page(browser, live_server, site, viewport)
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


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_editing_a_rule_picks_its_customer_by_typing(browser, live_server, site, tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    context, page = staff_page(browser, live_server, site, viewport)
    pages.auto_pay_edit(page, site)
    page.check("input[name=scope][value=customer]")
    page.locator("#customer_id").press_sequentially("northw", delay=30)
    choice = page.get_by_role("radio", name=re.compile(r"^Northwind Dental")).first
    expect(choice).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(re.compile(r"[0-9]+ customers? match(es)? “northw”"))
    page.fill("#max_retries", "9")
    page.locator("#offset_days").focus()  # leaving retries checks it on the server
    expect(page.locator("#row-max_retries .field-error")).to_contain_text("from 0 to 5")
    page.fill("#max_retries", "1")
    expect(page.locator("#row-max_retries .field-error")).to_have_count(0)
    choice.check()
    page.fill("#offset_days", "4")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / f"auto-pay-edit-{size}.png"), full_page=True)
    page.click("main form.form button[type=submit]")
    page.wait_for_selector("text=Auto-pay rule saved")
    main = page.inner_text("main")
    assert "Northwind Dental" in main and "4 days after the due date; 1 retry after a decline" in main
    assert page.problems == [], page.problems
    context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_invoices_filter_picks_a_customer_by_typing(browser, live_server, site, tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    context, page = staff_page(browser, live_server, site, viewport)
    page.goto("/invoices")
    page.locator("#filter-customer").press_sequentially("north", delay=30)
    choice = page.locator("#filter-customer-choices input[type=radio]").nth(1)  # the first match
    expect(page.get_by_role("radio", name="Northwind Dental").first).to_be_visible()
    page.keyboard.press("Tab")  # the keyboard reaches the choices: Any customer first, then the arrows
    page.keyboard.press("ArrowDown")
    expect(choice).to_be_checked()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / f"invoices-picker-{size}.png"), full_page=True)
    chosen = choice.get_attribute("value")
    page.click(".invoice-filter-actions button[type=submit]")
    page.wait_for_url(f"**customer={chosen}**")
    expect(page.locator(f"#filter-customer-choices input[value='{chosen}']")).to_be_checked()
    assert page.problems == [], page.problems
    context.close()
