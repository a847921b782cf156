"""A partner's staff member resets a forgotten password in Chromium, at a desktop's and a
phone's width: "Forgot password?" on /login, the email, the link, the new password; the
session signed in before the reset ends."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from e2e.axe import assert_no_axe_violations
from e2e.conftest import DESKTOP, PHONE, new_page, sign_in
from e2e.test_portal import delivered_link, own_mail_folder  # noqa: F401 - an autouse fixture

NEW_PASSWORD = "violet tractor umbrella"


def fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_member_resets_a_forgotten_password(app, browser, live_server, partner, signed_in_page, viewport):
    before = signed_in_page  # signed in elsewhere before the reset
    context, page = new_page(browser, live_server, viewport=viewport)
    page.goto("/login")
    page.click("text=Forgot password?")
    expect(page).to_have_url(re.compile(r"/forgot-password$"))
    expect(page.locator("h1")).to_have_text("Forgot your password?")
    fits(page, viewport)
    page.click("button[type=submit]")
    expect(page.locator("#email-error")).to_contain_text("Enter your email address")
    fits(page, viewport)
    page.fill("#email", partner.email)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#alerts")).to_contain_text("If that email address has a login to this dashboard")

    link = delivered_link(app, partner.email)
    assert link.startswith("/reset/")
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/reset$"))  # the token has left the address bar
    expect(page.locator("h1")).to_have_text("Choose a new password")
    fits(page, viewport)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD + "!")
    page.click("button[type=submit]")
    expect(page.locator("#confirm-error")).to_contain_text("The passwords do not match")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("Your password is set")

    page.goto(link)
    expect(page.locator("h1")).to_have_text("This link was already used")
    fits(page, viewport)

    before.goto("/customers")
    expect(before).to_have_url(re.compile(r"/login"))
    page.goto("/login")
    page.fill("#email", partner.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("The email address or password is not right")
    sign_in(page, partner.email, NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text("All Customers")
    context.close()
    assert page.problems == []
