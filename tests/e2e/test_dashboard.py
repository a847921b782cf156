"""Signing in, searching and paging All Customers in Chromium, with and without JavaScript."""

import re
from pathlib import Path

from playwright.sync_api import expect
from test_customers import add_customers

from e2e.conftest import assert_no_axe_violations, sign_in

SHOTS = Path(__file__).parent.parent.parent / "docs"


def test_partner_signs_in_and_sees_the_empty_state(page, partner):
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert_no_axe_violations(page)
    page.fill("#email", partner.email)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("The email address or password is not right")
    expect(page.locator(".error-summary")).to_be_focused()
    sign_in(page, partner.email)
    expect(page.locator(".empty-state")).to_contain_text("No customers yet")
    assert_no_axe_violations(page)
    page.click(".empty-state >> text=Add customer")
    expect(page).to_have_url(re.compile(r"/customers/new$"))


def test_active_search_updates_results_and_url_as_the_partner_types(app, signed_in_page, partner):
    page = signed_in_page
    add_customers(app, partner.partner_id, [
        {"company": "Blue Harbor Dental"}, {"company": "Cedar Logistics", "city": "Seattle"},
        {"company": "Harbor Freight Partners"},
    ])
    page.goto("/customers")
    assert_no_axe_violations(page)
    page.locator("#search-q").press_sequentially("harbor", delay=30)
    expect(page.locator("#customer-results tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/customers\?q=harbor$"))
    expect(page.locator("#search-q")).to_be_focused()
    page.locator("#search-q").fill("zzz")
    expect(page.locator("#customer-results")).to_contain_text("No customers match")
    assert_no_axe_violations(page)
    # The URL is a bookmark: opening it shows the same search.
    page.goto("/customers?q=seattle")
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    expect(page.locator("#search-q")).to_have_value("seattle")


def test_search_and_paging_work_without_javascript(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    add_customers(app, partner.partner_id, [{"company": f"Dental {n:02d}"} for n in range(30)]
                  + [{"company": "Zebra Co"}])
    page.goto("/customers")
    page.fill("#search-q", "dental")
    page.click("button:has-text(\"Search\")")
    expect(page).to_have_url(re.compile(r"q=dental"))
    expect(page.locator("tbody tr")).to_have_count(25)
    page.click("a[rel=next]")
    expect(page.locator("tbody tr")).to_have_count(5)
    page.click("a[rel=prev]")
    expect(page.locator("tbody tr").first).to_contain_text("Dental 00")


def test_paging_with_javascript_and_signing_out(app, signed_in_page, partner):
    page = signed_in_page
    add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(40)])
    page.goto("/customers")
    page.click("a[rel=next]")
    expect(page.locator("tbody tr").first).to_contain_text("Company 025")
    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#alerts")).to_contain_text("You have signed out.")
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login"))


def test_error_page_is_accessible(signed_in_page):
    page = signed_in_page
    response = page.goto("/customers/999999")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    assert_no_axe_violations(page)


def test_screenshots_of_the_dashboard(app, runner, browser, live_server):
    """The README's screenshot, and a phone-width look at the list."""
    result = runner.invoke(args=["seed-demo", "--customers", "30", "--email", "shots@example.com",
                                 "--password", "screenshot password"])
    assert result.exit_code == 0
    for name, viewport in (("screenshot-customers.png", {"width": 1280, "height": 800}),
                           ("screenshot-customers-phone.png", {"width": 390, "height": 844})):
        context = browser.new_context(base_url=live_server, viewport=viewport)
        page = context.new_page()
        sign_in(page, "shots@example.com", "screenshot password")
        assert_no_axe_violations(page)
        page.screenshot(path=str(SHOTS / name))
        context.close()
