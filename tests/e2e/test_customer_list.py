"""All Customers in Chromium at a desktop's and a phone's width: 100 customers and 8 tags fit
without sideways scrolling, the phone shows cards, the count and Previous/Next say where the
partner is, the bulk-tag bar comes only with ticked rows, and axe-core finds nothing."""

import re

import pytest
from playwright.sync_api import expect
from test_customers import add_customers

from e2e.axe import assert_no_axe_violations
from e2e.conftest import DESKTOP, NARROW, PHONE, new_page, sign_in
from e2e.test_dashboard import screenshot_dir


def no_sideways_scroll(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport


def cards(page):
    return page.locator("#customer-results .customer-row")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE), ("narrow", NARROW)])
def test_a_hundred_customers_and_eight_tags_fit_the_width(app, browser, live_server, partner, hundred,
                                                          tmp_path_factory, size, viewport):
    context, page = new_page(browser, live_server, viewport=viewport)
    sign_in(page, partner.email)
    expect(cards(page)).to_have_count(25)
    expect(page.locator(".list-count")).to_have_text("100 customers")
    no_sideways_scroll(page, viewport)
    page.screenshot(path=str(screenshot_dir(tmp_path_factory) / f"list-{size}.png"))
    assert_no_axe_violations(page)
    page.goto("/customers?q=harb")
    expect(page.locator("h1")).to_have_text("Search results")
    no_sideways_scroll(page, viewport)
    context.close()
    assert page.problems == []


def test_on_a_phone_the_list_is_cards_each_a_link(app, browser, live_server, partner, hundred):
    context, page = new_page(browser, live_server, viewport=PHONE)
    sign_in(page, partner.email)
    first = cards(page).first
    assert first.evaluate("row => getComputedStyle(row).display") == "grid"
    expect(page.locator("#customer-results thead")).to_be_hidden()
    expect(first).to_contain_text("Blue Dental 002")  # the first by name
    expect(first).to_contain_text("San Francisco, CA, US")
    expect(first.locator(".col-secondary")).to_be_hidden()  # the legal name waits for the customer's page
    # The numbers say what they are: "1 user", "Added Nov 25, 2026".
    assert first.locator(".col-users").evaluate("td => getComputedStyle(td, '::after').content") == '" user"'
    assert first.locator(".col-date").evaluate("td => getComputedStyle(td, '::before').content") == '"Added "'

    # The card sits high on the screen: the list's own header, search and count stay compact.
    main_top = page.locator("main").bounding_box()["y"]
    card_top = first.bounding_box()["y"]
    assert card_top - main_top <= 260, f"the first card starts {card_top - main_top:.0f} px below the nav"
    # A tap anywhere on the card (here on its place, not its name) opens the customer.
    box = first.locator(".col-place").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(rf"/customers/{hundred[2]}$"))
    # The chips stay links of their own.
    page.go_back()
    cards(page).first.get_by_role("link", name="VIP").click()
    expect(page).to_have_url(re.compile(r"\?tag=VIP$"))
    context.close()
    assert page.problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_count_and_previous_next_say_where_the_partner_is(app, browser, live_server, partner, hundred,
                                                               javascript):
    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    sign_in(page, partner.email)
    summary = page.locator(".list-summary")
    expect(summary).to_contain_text("100 customers")
    expect(summary).to_contain_text("Showing 1–25")
    page.click("a[rel=next]")
    expect(summary).to_contain_text("Showing 26–50")
    page.click("a[rel=next]")
    expect(summary).to_contain_text("Showing 51–75")
    page.click("a[rel=prev]")
    expect(summary).to_contain_text("Showing 26–50")
    page.click("a[rel=prev]")
    expect(summary).to_contain_text("Showing 1–25")
    expect(page.locator("a[rel=prev]")).to_have_count(0)
    page.goto("/customers?archived=1")
    expect(page.locator("h1")).to_have_text("Archived customers")
    context.close()
    assert page.problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_bulk_bar_comes_with_the_first_ticked_row(app, browser, live_server, partner, hundred, javascript):
    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    sign_in(page, partner.email)
    bar = page.locator(".bulk-bar")
    expect(bar).to_be_hidden()
    page.get_by_label(re.compile(r"^Select Blue Dental 002$")).check()
    expect(bar).to_be_visible()
    page.get_by_label(re.compile(r"^Select Blue Dental 002$")).uncheck()
    expect(bar).to_be_hidden()
    context.close()
    assert page.problems == []


def test_tick_boxes_wait_for_the_first_tag(app, signed_in_page, partner):
    add_customers(app, partner.partner_id, [{"company": "Alpha Co"}])
    page = signed_in_page
    page.goto("/customers")
    expect(page.locator("input[name=customer_id]")).to_have_count(0)
    expect(page.locator(".bulk-bar")).to_have_count(0)


def test_the_heading_follows_an_active_search(app, signed_in_page, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}, {"company": "Cedar Co"}])
    page = signed_in_page
    page.goto("/customers")
    page.locator("#search-q").press_sequentially("harb", delay=30)
    expect(page.locator(".list-count")).to_have_text("1 customer matches “harb”")
    expect(page.locator("h1")).to_have_text("Search results")
    expect(page.locator("h1")).to_have_count(1)
    page.locator("#search-q").fill("")
    expect(page.locator("h1")).to_have_text("All Customers")
