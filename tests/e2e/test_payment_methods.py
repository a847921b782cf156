"""A customer's user adds a card and a bank account in the portal, through the sandbox processor's
forms, in Chromium at desktop and phone widths, with axe-core on each page; and without JavaScript.
Screenshots (portal-methods-*.png) go where test_portal's do: $SHOTS_DIR, else the test's tmp_path.
"""

import pytest
from customer_helpers import make_customer
from invoice_helpers import give_portal_password
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, PHONE, assert_no_axe_violations, new_page
from e2e.test_portal import PASSWORD, shoot  # noqa: F401 - a fixture
from e2e.test_portal import sign_in_to_portal as portal_sign_in


@pytest.fixture
def portal_user(app, partner):
    make_customer(app, partner, users=(("Ann Lee", "ann@example.com"),))
    give_portal_password(app, "ann@example.com", PASSWORD)
    return "ann@example.com"


def sign_in_to_portal(page, email: str) -> None:
    portal_sign_in(page, email)
    page.wait_for_url("**/portal")


def checked(page, shoot, name: str) -> None:  # noqa: F811 - the fixture's function, passed in
    assert_no_axe_violations(page)
    shoot(page, f"methods-{name}")


@pytest.mark.parametrize(("viewport", "width"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_user_adds_a_card_and_a_bank_account_in_the_portal(browser, live_server, portal_user, shoot,  # noqa: F811
                                                             viewport, width):
    context, page = new_page(browser, live_server, viewport=viewport)
    try:
        sign_in_to_portal(page, portal_user)
        page.get_by_role("link", name="Payment methods").click()
        expect(page.get_by_text("No payment methods yet.")).to_be_visible()
        checked(page, shoot, f"empty-{width}")

        # A card: a wrong digit is refused on leaving the field, then the card goes through.
        page.get_by_role("link", name="Add a card", exact=True).click()
        expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
        page.get_by_label("Card number").fill("4242 4242 4242 4241")
        page.get_by_label("Month").focus()
        expect(page.locator("#row-number .field-error")).to_contain_text("a digit is wrong or two are swapped")
        expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4241")  # what was typed stays
        checked(page, shoot, f"card-blur-{width}")
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_label("Month").fill("12")
        page.get_by_label("Year").fill("2030")
        page.get_by_label("Security code").fill("123")
        page.get_by_label("Name on the card").fill("Ann Lee")
        expect(page.locator("#row-number .field-error")).to_have_count(0)
        page.get_by_role("button", name="Add the card").click()
        page.wait_for_url("**/portal/payment-methods")
        expect(page.locator("#alerts")).to_contain_text("Added Visa •••• 4242. It is the default.")
        expect(page.locator(".method").first).to_contain_text("Default")

        # A Canadian bank account: the PAD agreement must be ticked.
        page.get_by_role("link", name="Add a bank account", exact=True).click()
        expect(page.get_by_role("heading", name="ACH debit authorization")).to_be_visible()
        checked(page, shoot, f"bank-us-{width}")
        page.get_by_role("link", name="Canada").click()
        expect(page.get_by_role("heading", name="Pre-authorized debit (PAD) agreement")).to_be_visible()
        page.get_by_label("Institution number").fill("000")
        page.get_by_label("Transit number").fill("11000")
        page.get_by_label("Account number").fill("000123456789")
        page.get_by_label("Account holder").fill("Northwind Dental")
        page.get_by_role("button", name="Add the bank account").click()
        expect(page.locator(".error-summary")).to_contain_text("Tick the box to accept the pre-authorized debit")
        expect(page.get_by_label("Account number")).to_have_value("")  # never drawn back
        checked(page, shoot, f"bank-ca-refused-{width}")
        page.get_by_label("Account number").fill("000123456789")
        page.get_by_label("I agree to the pre-authorized debit agreement above").check()
        page.get_by_role("button", name="Add the bank account").click()
        page.wait_for_url("**/portal/payment-methods")
        expect(page.locator("#alerts")).to_contain_text("Added Bank account •••• 6789.")
        expect(page.locator(".method")).to_have_count(2)
        checked(page, shoot, f"list-{width}")
        html = page.content()
        assert "4242424242424242" not in html.replace(" ", "") and "000123456789" not in html

        # The bank account becomes the default; the card is removed.
        page.locator(".method", has_text="6789").get_by_role("button", name="Make default").click()
        expect(page.locator("#alerts")).to_contain_text("Bank account •••• 6789 is now the default.")
        page.locator(".method", has_text="Visa").get_by_role("button", name="Remove").click()
        expect(page.locator(".method")).to_have_count(1)
        expect(page.locator(".method")).to_contain_text("Default")
    finally:
        context.close()
    assert page.problems == [], "\n".join(page.problems)


def test_adding_a_us_bank_account_works_without_javascript(browser, live_server, portal_user):
    context, page = new_page(browser, live_server, java_script_enabled=False)
    try:
        sign_in_to_portal(page, portal_user)
        page.goto("/portal/payment-methods")
        page.get_by_role("link", name="Add a bank account", exact=True).click()
        page.get_by_label("Routing number").fill("110000000")
        page.get_by_label("Account number").fill("000123456789")
        page.get_by_label("Account holder").fill("Northwind Dental")
        page.get_by_role("button", name="Add the bank account").click()
        page.wait_for_url("**/portal/payment-methods")
        expect(page.locator(".method")).to_contain_text("Bank account •••• 6789")
        expect(page.locator(".method")).to_contain_text("routing 110000000")
    finally:
        context.close()


def add_a_card(page, number: str, month: str, year: str, cvc: str) -> None:
    """Fill the sandbox processor's card form and add the card, once its blur checks have answered
    (none redraws a row after the post)."""
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    page.get_by_label("Security code").fill(cvc)
    page.get_by_label("Name on the card").fill("Ann Lee")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Add the card").click()


def test_staff_add_a_card_on_the_customer_page(signed_in_page, app, partner, shoot):  # noqa: F811
    customer = make_customer(app, partner, company="Harbor Vets", ein=None)
    page = signed_in_page
    page.goto(f"/customers/{customer}/payment-methods")
    page.get_by_role("link", name="Add a card", exact=True).click()
    add_a_card(page, "3782 822463 10005", "1", "31", "1234")
    page.wait_for_url(f"**/customers/{customer}/payment-methods")
    expect(page.locator(".method")).to_contain_text("American Express •••• 0005")
    expect(page.locator(".method")).to_contain_text("expires 01/2031")
    checked(page, shoot, "customer-tab-desktop")
