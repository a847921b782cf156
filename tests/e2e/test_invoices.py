"""Invoices in Chromium: a draft with lines, a blur message, totals figured by the server,
finalizing; at desktop and phone widths, and without JavaScript. axe-core on every page."""

import re

import pytest
from customer_helpers import make_customer
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, PHONE, new_page, sign_in
from e2e.conftest import assert_no_axe_violations as _axe
from e2e.test_dashboard import screenshot_dir


def assert_no_axe_violations(page) -> None:
    """axe-core, then away with the empty style="" it leaves on inputs: htmx's settle copies an
    old element's style onto its swapped-in twin, which our CSP (no inline style) refuses."""
    _axe(page)
    page.evaluate("document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_partner_creates_an_invoice_with_lines_and_finalizes_it(app, browser, live_server, partner, viewport,
                                                               tmp_path_factory):
    customer_id = make_customer(app, partner)
    shots = screenshot_dir(tmp_path_factory)
    context, page = new_page(browser, live_server, viewport=viewport)
    width = viewport["width"]
    try:
        sign_in(page, partner.email)
        page.goto(f"/customers/{customer_id}/invoices")
        assert_no_axe_violations(page)
        page.screenshot(path=f"{shots}/tab-{width}.png", full_page=True)
        page.click("text=New invoice")
        expect(page).to_have_url(re.compile(r"/invoices/new$"))
        assert_no_axe_violations(page)

        page.fill("#lines-0-description", "Managed services, May")
        page.fill("#lines-0-quantity", "1e3")
        page.keyboard.press("Tab")
        expect(page.locator("#lines-0-quantity-error")).to_contain_text("Enter the quantity as a number, like 2 or 1.5")
        assert_no_axe_violations(page)
        page.fill("#lines-0-quantity", "3")
        page.keyboard.press("Tab")
        expect(page.locator("#lines-0-quantity-error")).to_have_count(0)
        page.fill("#lines-0-unit_price", "1,234.50")
        page.fill("#lines-0-tax_rate", "8.875")
        page.keyboard.press("Tab")
        expect(page.locator("#invoice-totals")).to_contain_text("$4,032.19")
        expect(page.locator("#line-amount-0")).to_contain_text("$3,703.50")

        page.click("button[value=add-line]")
        expect(page.locator("#lines-1-description")).to_be_focused()
        page.fill("#lines-1-description", "On-site visit")
        page.fill("#lines-1-quantity", "1")
        page.fill("#lines-1-unit_price", "30")
        page.keyboard.press("Tab")
        expect(page.locator("#invoice-totals")).to_contain_text("$4,062.19")
        page.fill("#memo", "Thank you for your business.")
        page.screenshot(path=f"{shots}/form-{width}.png", full_page=True)
        assert_no_axe_violations(page)

        page.click("button[value=remove-line-1]")
        expect(page.locator("#lines-1-description")).to_have_count(0)
        expect(page.locator("#invoice-totals")).to_contain_text("$4,032.19")

        page.click("text=Finalize invoice")
        expect(page).to_have_url(re.compile(r"/invoices/[0-9]+$"))
        expect(page.locator("[data-status]")).to_have_text("Open")
        expect(page.locator("h1")).to_contain_text("INV-0001")
        expect(page.locator(".invoice-total-amount")).to_have_text("$4,032.19")
        page.screenshot(path=f"{shots}/show-{width}.png", full_page=True)
        assert_no_axe_violations(page)

        page.goto("/invoices")
        expect(page.locator(".invoice-table")).to_contain_text("INV-0001")
        page.screenshot(path=f"{shots}/list-{width}.png", full_page=True)
        assert_no_axe_violations(page)
        page.goto("/settings")
        page.screenshot(path=f"{shots}/settings-{width}.png", full_page=True)
        assert_no_axe_violations(page)
        assert page.problems == [], "\n".join(page.problems)
    finally:
        context.close()


def test_the_form_works_without_javascript(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    customer_id = make_customer(app, partner)
    page.goto(f"/customers/{customer_id}/invoices/new")
    page.fill("#lines-0-description", "Backup")
    page.fill("#lines-0-quantity", "2")
    page.fill("#lines-0-unit_price", "$1,000.005")
    page.click("button[value=add-line]")
    expect(page.locator("#lines-1-description")).to_be_visible()
    page.click("button[value=save]:not([hidden])")
    expect(page.locator("#lines-0-unit_price-error")).to_contain_text("Unit price can have at most 2 decimal places")
    expect(page.locator("#lines-1-description-error")).to_contain_text("Enter the description")
    page.click("button[value=remove-line-1]")
    page.fill("#lines-0-unit_price", "1000")
    page.click("button[value=save]:not([hidden])")
    expect(page).to_have_url(re.compile(r"/invoices/[0-9]+$"))
    expect(page.locator("[data-status]")).to_have_text("Draft")
    page.click("text=Finalize invoice")
    expect(page.locator("[data-status]")).to_have_text("Open")
    expect(page.locator(".invoice-total-amount")).to_have_text("$2,000.00")
