"""Add customer's two steps at a desktop's and a phone's width: one card layout, the primary
button first (on a phone full width, on top), numbered user rows whose Remove comes only with a
second row, a removed row said in the live region, nothing spilling sideways, axe-core clean.
SCREENSHOT_DIR keeps the pictures (the README's docs/screenshot-step*.png)."""

import pytest
from playwright.sync_api import expect

from e2e.axe import assert_no_axe_violations
from e2e.conftest import DESKTOP, PHONE, new_page, sign_in
from e2e.test_add_customer import to_users_step
from e2e.test_dashboard import screenshot_dir

SIZES = [("desktop", DESKTOP), ("phone", PHONE)]


def no_sideways_scroll(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport


def boxes(page, selector: str) -> list[dict]:
    return [button.bounding_box() for button in page.locator(selector).all()]


def assert_primary_first(page, viewport, primary: str) -> None:
    """The primary button comes first, the others after it; on a phone each spans the width."""
    buttons = page.locator(".step-actions .button")
    expect(buttons.first).to_have_text(primary)
    placed = boxes(page, ".step-actions .button")
    if viewport is PHONE:
        assert len({round(box["width"]) for box in placed}) == 1, placed  # one width: stacked
        assert [box["y"] for box in placed] == sorted(box["y"] for box in placed), placed
    else:
        assert len({round(box["y"]) for box in placed}) == 1, placed  # one line
        assert [box["x"] for box in placed] == sorted(box["x"] for box in placed), placed


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_both_steps_fit_the_width_and_say_where_the_partner_is(browser, live_server, partner,
                                                                tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    suffix = "-phone" if size == "phone" else ""
    context, page = new_page(browser, live_server, viewport=viewport)
    sign_in(page, partner.email)
    page.goto("/customers/new")
    expect(page.locator(".steps [aria-current=step]")).to_contain_text("Company details")
    assert_primary_first(page, viewport, "Continue")
    no_sideways_scroll(page, viewport)
    assert_no_axe_violations(page)
    page.screenshot(path=str(shots / f"screenshot-step1{suffix}.png"), full_page=True)

    to_users_step(page)
    expect(page.locator(".steps .step-done")).to_contain_text("Company details — done")
    expect(page.locator(".steps [aria-current=step]")).to_contain_text("Users")
    expect(page.locator(".row-title")).to_have_text(["User 1"])
    expect(page.locator(".row-remove")).to_have_count(0)
    page.fill("#users-0-name", "Bob Ray")
    page.fill("#users-0-email", "bob@example.com")
    page.click("button[value=add]")
    expect(page.locator("#users-1-name")).to_be_focused()
    page.fill("#users-1-name", "Ann Lee")
    page.fill("#users-1-email", "ann@example.com")
    expect(page.locator(".row-title")).to_have_text(["User 1", "User 2"])

    # Tab from User 1's Email goes to User 2's row (its Remove heads it), never to User 1's Remove.
    page.focus("#users-0-email")
    page.keyboard.press("Tab")
    expect(page.locator("button[value=remove-1]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#users-1-name")).to_be_focused()

    page.click("button[value=remove-1]")
    expect(page.locator("#announcer")).to_have_text("Removed User 2, Ann Lee")
    expect(page.locator(".row-title")).to_have_text(["User 1"])
    expect(page.locator(".row-remove")).to_have_count(0)

    # axe-core leaves style="" on what it looked at, which an htmx swap would then copy
    # (refused by our CSP): the swaps come first, axe and the pictures last.
    page.click("button[value=add]")
    page.fill("#users-1-name", "Ann Lee")
    page.fill("#users-1-email", "ann@example.com")
    expect(page.locator(".row-remove")).to_have_count(2)
    assert_primary_first(page, viewport, "Create Customer")
    no_sideways_scroll(page, viewport)
    page.screenshot(path=str(shots / f"screenshot-step2{suffix}.png"), full_page=True)
    assert_no_axe_violations(page)
    context.close()
    assert page.problems == []


def test_enter_in_a_user_field_creates_the_customer(signed_in_page):
    page = signed_in_page
    to_users_step(page)
    page.fill("#users-0-name", "Ann Lee")
    page.fill("#users-0-email", "ann@example.com")
    page.press("#users-0-email", "Enter")
    expect(page.locator("#alerts")).to_contain_text("Customer created")
