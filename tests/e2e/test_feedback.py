"""Feedback while requests run, what screen readers hear, and where error-summary links land."""

import re
import time

from playwright.sync_api import expect

from e2e.conftest import assert_no_axe_violations
from e2e.test_add_customer import fill_details

DELAY = 1.0  # seconds: every held request below answers at least this late


class Held:
    """Requests whose URL matches pattern wait (at least DELAY seconds) until release()."""

    def __init__(self, page, pattern: str):
        self.page = page
        self.waiting = []
        self.sent = []
        page.route(re.compile(pattern), self._hold)

    def _hold(self, route):
        self.sent.append(route.request.post_data or "")
        self.waiting.append((time.monotonic(), route))

    def release(self) -> None:
        while self.waiting:
            held_at, route = self.waiting.pop(0)
            self.page.wait_for_timeout(max(0.0, DELAY - (time.monotonic() - held_at)) * 1000)
            route.continue_()


def to_step_2(page) -> None:
    page.goto("/customers/new")
    fill_details(page, city="Austin", address="100 Congress Ave")
    page.select_option("#state", "TX")
    page.fill("#postal_code", "78701")
    page.click("button[value=continue]")
    expect(page).to_have_url(re.compile(r"/customers/new/users$"))


def test_a_slow_blur_check_says_checking_and_leaves_focus_where_the_partner_went(signed_in_page):
    page = signed_in_page
    page.goto("/customers/new")
    held = Held(page, r"/customers/new/check/")
    page.fill("#ein", "12")
    page.keyboard.press("Tab")  # on to Country; the check of the EIN starts
    checking = page.locator("#row-ein .field-checking")
    expect(checking).to_be_visible()
    expect(checking).to_have_text("Checking…")
    expect(page.locator("#country")).to_be_focused()
    expect(page.locator("#ein")).to_be_enabled()
    page.keyboard.press("Shift+Tab")  # back into the field being checked: nothing stops it
    expect(page.locator("#ein")).to_be_focused()
    held.release()
    expect(page.locator("#ein-error")).to_be_visible()
    expect(checking).to_be_hidden()
    expect(page.locator("#ein")).to_be_focused()


def test_checking_shows_in_the_row_while_the_partner_keeps_typing_in_it(signed_in_page):
    page = signed_in_page
    page.goto("/customers/new")
    page.fill("#postal_code", "1234")
    page.keyboard.press("Tab")
    expect(page.locator("#postal_code-error")).to_be_visible()
    held = Held(page, r"/customers/new/check/")
    page.click("#postal_code")
    page.keyboard.type("5")  # a field with a message re-checks as the partner types
    expect(page.locator("#row-postal_code .field-checking")).to_be_visible()
    expect(page.locator("#postal_code")).to_be_focused()
    page.keyboard.type("6")
    expect(page.locator("#postal_code")).to_have_value("123456")
    held.release()
    expect(page.locator("#row-postal_code .field-checking")).to_be_hidden()
    expect(page.locator("#postal_code")).to_be_focused()
    expect(page.locator("#postal_code")).to_have_value("123456")


def test_a_slow_add_another_user_relabels_and_blocks_its_button(signed_in_page):
    page = signed_in_page
    to_step_2(page)
    held = Held(page, r"/customers/new/users$")
    add = page.locator("button[value=add]")
    add.click()
    expect(add).to_have_text("Adding…")
    expect(add).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#user-rows")).to_have_attribute("aria-busy", "true")
    add.dispatch_event("click")  # impatience
    page.locator("#users-0-name").press("Enter")  # Enter in a field means Create Customer: not now
    held.release()
    expect(page.locator("#users-1-name")).to_be_focused()
    expect(page.locator(".user-row")).to_have_count(2)
    expect(add).to_have_text("Add another user")
    expect(add).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator("#user-rows")).not_to_have_attribute("aria-busy", "true")
    assert len(held.sent) == 1
    assert_no_axe_violations(page)


def test_a_full_page_submit_relabels_its_button_once_pressed(signed_in_page):
    page = signed_in_page
    to_step_2(page)
    page.fill("#users-0-name", "Ann Lee")
    page.fill("#users-0-email", "ann@example.com")
    # Stand in for a slow server: the posts are counted, and the page stays (the last listener
    # to see the submit cancels the navigation, after the page's own scripts saw it go).
    page.evaluate("""window.posts = 0;
        window.addEventListener("submit", (event) => { window.posts += 1; event.preventDefault(); });""")
    create = page.locator("button.button-primary[value=create]")
    create.click()
    expect(create).to_have_text("Creating customer…")
    expect(create).to_have_attribute("aria-disabled", "true")
    create.dispatch_event("click")  # impatience
    page.locator("#users-0-name").press("Enter")
    assert page.evaluate("window.posts") == 1


def test_the_live_region_announces_a_blur_message(signed_in_page):
    page = signed_in_page
    page.goto("/customers/new")
    announcer = page.locator("#announcer[aria-live=polite]")
    expect(announcer).to_have_count(1)
    page.fill("#postal_code", "1234")
    page.keyboard.press("Tab")
    expect(announcer).to_have_text(re.compile(r"Error: .*ZIP code"))
    assert announcer.text_content().strip() == page.locator("#postal_code-error").text_content().strip()


def test_a_swapped_in_element_marked_data_announce_is_announced(signed_in_page):
    """The hook other parts use (a removed row says which user went)."""
    page = signed_in_page
    to_step_2(page)
    page.route(re.compile(r"/customers/new/users$"), lambda route: route.fulfill(
        status=200, content_type="text/html",
        body='<div id="user-rows" data-announce="Removed User 2, Ann Lee"></div>'))
    page.click("button[value=add]")
    expect(page.locator("#announcer")).to_have_text("Removed User 2, Ann Lee")
    expect(page.locator("[data-announce]")).to_have_count(0)


def test_an_error_summary_link_shows_the_fields_label_and_message(signed_in_page):
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 500})
    page.goto("/customers/new")
    page.click("button[value=continue]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    link = summary.locator("a[href='#postal_code']")
    link.click()
    expect(page.locator("#postal_code")).to_be_focused()
    for part in ("label[for=postal_code]", "#postal_code-error", "#postal_code"):
        box = page.locator(part).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 500, f"{part} is out of view: {box}"
