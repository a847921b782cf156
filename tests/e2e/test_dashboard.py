"""Signing in, searching and paging All Customers in Chromium, with and without JavaScript."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_customers import add_customers

from e2e.axe import assert_no_axe_violations
from e2e.conftest import DESKTOP, PHONE, new_page, sign_in

WRONG = "The email address or password is not right"


def rows(page):
    return page.locator("#customer-results tbody tr")


def first_company(page):
    return rows(page).first.locator("a").first  # the company (a tick box comes first once tags exist)


# -- signing in and out ----------------------------------------------------------

def test_partner_signs_in_after_a_wrong_password_with_javascript(page, partner):
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("h1")).to_have_text("Sign in to your partner dashboard")
    assert_no_axe_violations(page)
    page.fill("#email", partner.email)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text(WRONG)
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator("#email")).to_have_value(partner.email)  # kept; the password is not
    expect(page.locator("#password")).to_have_value("")
    assert_no_axe_violations(page)
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/customers$"))  # back where they were going
    expect(page.locator("h1")).to_have_text("All Customers")
    expect(page.locator(".topbar")).to_contain_text("Acme IT")


def test_partner_signs_in_after_a_wrong_password_without_javascript(page_no_js, partner):
    page = page_no_js
    page.goto("/login")
    page.fill("#email", "nobody@example.com")
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text(WRONG)
    page.fill("#email", partner.email)
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/overview$"))
    expect(page.locator("h1")).to_have_text("Overview")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_partner_signs_out(browser, live_server, partner, javascript):
    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    sign_in(page, partner.email)
    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#alerts")).to_contain_text("You have signed out.")
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    context.close()
    assert page.problems == []


def test_a_partner_whose_session_ended_lands_on_sign_in_when_searching(app, signed_in_page, partner):
    page = signed_in_page
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}])
    page.goto("/customers")
    page.context.clear_cookies()  # the session ends (expired, or signed out in another tab)
    page.locator("#search-q").press_sequentially("harbor", delay=30)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("h1")).to_have_text("Sign in to your partner dashboard")
    expect(page.locator("#customer-results")).to_have_count(0)  # not a sign-in form inside the list


# -- the list --------------------------------------------------------------------

def test_empty_state_leads_to_add_customer(signed_in_page):
    page = signed_in_page
    expect(page.locator(".empty-state")).to_contain_text("No customers yet")
    assert_no_axe_violations(page)
    page.locator(".empty-state").get_by_role("link", name="Add customer").click()
    expect(page).to_have_url(re.compile(r"/customers/new$"))


def test_active_search_updates_results_and_url_as_the_partner_types(app, signed_in_page, partner):
    page = signed_in_page
    add_customers(app, partner.partner_id, [
        {"company": "Blue Harbor Dental", "ein": "91-1144442"},
        {"company": "Cedar Logistics", "city": "Seattle", "state": "WA", "postal_code": "98101"},
        {"company": "Harbor Freight Partners"},
    ])
    page.goto("/customers")
    expect(rows(page)).to_have_count(3)
    assert_no_axe_violations(page)
    page.locator("#search-q").press_sequentially("harbor", delay=40)
    expect(rows(page)).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/customers\?q=harbor$"))
    expect(page.locator("#search-q")).to_be_focused()  # typing goes on where it was
    expect(page.locator("#search-q")).to_have_value("harbor")
    page.locator("#search-q").fill("911144442")  # the EIN without its hyphen
    expect(rows(page)).to_have_count(1)
    expect(first_company(page)).to_have_text("Blue Harbor Dental")
    expect(page).to_have_url(re.compile(r"q=911144442$"))
    page.locator("#search-q").fill("zzz")
    expect(page.locator("#customer-results")).to_contain_text("No customers match")
    assert_no_axe_violations(page)
    page.locator("#search-q").fill("")
    expect(rows(page)).to_have_count(3)
    # The address is a bookmark: opening it shows the same search.
    page.goto("/customers?q=seattle")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#search-q")).to_have_value("seattle")


def test_search_works_without_javascript_through_the_search_button(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}, {"company": "Cedar Logistics"}])
    page.goto("/customers")
    page.fill("#search-q", "harbor")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/customers\?q=harbor$"))
    expect(rows(page)).to_have_count(1)
    expect(first_company(page)).to_have_text("Blue Harbor Dental")
    page.fill("#search-q", "nothing like it")
    page.press("#search-q", "Enter")
    expect(page.locator("#customer-results")).to_contain_text("No customers match")
    page.click("text=Clear the search")
    expect(rows(page)).to_have_count(2)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_paging_next_and_previous(app, browser, live_server, partner, javascript):
    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(60)])
    sign_in(page, partner.email)
    expect(rows(page)).to_have_count(25)
    expect(page.locator("a[rel=prev]")).to_have_count(0)
    page.click("a[rel=next]")
    expect(first_company(page)).to_have_text("Company 025")
    page.click("a[rel=next]")
    expect(rows(page)).to_have_count(10)
    expect(first_company(page)).to_have_text("Company 050")
    expect(page.locator("a[rel=next]")).to_have_count(0)
    page.click("a[rel=prev]")
    expect(first_company(page)).to_have_text("Company 025")
    page.click("a[rel=prev]")
    expect(first_company(page)).to_have_text("Company 000")
    expect(page.locator("a[rel=prev]")).to_have_count(0)
    context.close()
    assert page.problems == []


def test_paging_through_a_search_with_javascript(app, signed_in_page, partner):
    page = signed_in_page
    add_customers(app, partner.partner_id, [{"company": f"Dental {n:02d}"} for n in range(30)]
                  + [{"company": "Zebra Co"}])
    page.goto("/customers")
    page.locator("#search-q").press_sequentially("dental", delay=30)
    expect(page).to_have_url(re.compile(r"q=dental$"))
    page.click("a[rel=next]")
    expect(rows(page)).to_have_count(5)
    expect(first_company(page)).to_have_text("Dental 25")
    expect(page.locator("#search-q")).to_have_value("dental")


# -- errors ----------------------------------------------------------------------

def test_error_page_is_accessible_and_leads_back(signed_in_page):
    page = signed_in_page
    response = page.goto("/customers/999999")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page).to_have_title(re.compile(r"^Error: Page not found"))
    assert_no_axe_violations(page)
    page.click("text=Go to All Customers")
    expect(page.locator("h1")).to_have_text("All Customers")


# -- how it looks ----------------------------------------------------------------

def screenshot_dir(tmp_path_factory) -> Path:
    """SCREENSHOT_DIR keeps the pictures (to look at, or for the README); by default they are thrown away."""
    wanted = os.environ.get("SCREENSHOT_DIR")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("shots")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_login_and_customers_fit_desktop_and_phone(app, runner, browser, live_server, tmp_path_factory,
                                                    size, viewport):
    """Screenshots of /login and /customers with demo data; at each width nothing spills sideways."""
    shots = screenshot_dir(tmp_path_factory)
    result = runner.invoke(args=["seed-demo", "--customers", "30", "--email", "shots@example.com",
                                 "--password", "screenshot password"])
    assert result.exit_code == 0, result.output
    context, page = new_page(browser, live_server, viewport=viewport)
    page.goto("/login")
    page.screenshot(path=str(shots / f"login-{size}.png"), full_page=True)
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    sign_in(page, "shots@example.com", "screenshot password")
    expect(rows(page)).to_have_count(25)
    page.screenshot(path=str(shots / f"customers-{size}.png"))
    page.screenshot(path=str(shots / f"customers-{size}-full.png"), full_page=True)
    assert_no_axe_violations(page)
    # The page itself never scrolls sideways (a wide table scrolls inside its own box).
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
    assert page.problems == []
