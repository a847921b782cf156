"""Add customer in Chromium, as a partner does it: typing, tabbing out, fixing, creating."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import assert_no_axe_violations
from extensions import db
from models import Customer


def fill_details(page, **values):
    defaults = {
        "company": "Blue Harbor Dental", "ein": "", "address": "1 Wellington St",
        "city": "Ottawa",
    }
    for name, value in {**defaults, **values}.items():
        page.fill(f"#{name}", value)


def to_users_step(page, **values) -> None:
    """Step 1 filled with an Austin customer and continued: the page is step 2."""
    page.goto("/customers/new")
    fill_details(page, **{"city": "Austin", "address": "100 Congress Ave", **values})
    page.select_option("#state", "TX")
    page.fill("#postal_code", "78701")
    page.click("button[value=continue]")


def created_customer(app) -> Customer:
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        customer.users  # noqa: B018 - load them before the session closes
        return customer


def test_partner_adds_a_canadian_customer_with_two_users(app, signed_in_page):
    page = signed_in_page
    page.click("text=Add customer")
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    assert_no_axe_violations(page)

    page.fill("#company", "Blue Harbor Dental")
    page.fill("#ein", "911144442")
    page.keyboard.press("Tab")
    expect(page.locator("#ein")).to_have_value("91-1144442")
    expect(page.locator("#country")).to_be_focused()

    page.select_option("#country", "CA")
    expect(page.locator("label[for=postal_code]")).to_contain_text("Postal code")
    expect(page.locator("#state option[value=ON]")).to_have_count(1)
    expect(page.locator("#state option[value=TX]")).to_have_count(0)

    page.fill("#address", "1 Wellington St")
    page.fill("#city", "Ottawa")
    page.select_option("#state", "ON")
    page.fill("#postal_code", "10001")
    page.keyboard.press("Tab")
    error = page.locator("#postal_code-error")
    expect(error).to_contain_text("That looks like a US ZIP code")
    expect(page.locator("#postal_code")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    # Fixing it: the message goes as the partner types, focus and caret stay.
    page.click("#postal_code")
    page.fill("#postal_code", "")
    page.locator("#postal_code").press_sequentially("k1a0b1", delay=40)
    expect(error).to_have_count(0)
    expect(page.locator("#postal_code")).to_be_focused()
    expect(page.locator("#postal_code")).to_have_value("k1a0b1")
    page.keyboard.press("Tab")
    expect(page.locator("#postal_code")).to_have_value("K1A 0B1")

    page.click("button[value=continue]")
    expect(page).to_have_url(re.compile(r"/customers/new/users$"))
    assert_no_axe_violations(page)

    page.fill("#users-0-name", "Ann Lee")
    page.fill("#users-0-email", "Ann@EXAMPLE.com")
    page.click("button[value=add]")
    expect(page.locator("#users-1-name")).to_be_focused()
    page.fill("#users-1-name", "Bob Ray")
    page.fill("#users-1-email", "ann@example.com")
    page.keyboard.press("Tab")
    expect(page.locator("#users-1-email-error")).to_contain_text("already a user of this customer")
    page.fill("#users-1-email", "bob@example.com")
    page.keyboard.press("Tab")
    expect(page.locator("#users-1-email-error")).to_have_count(0)

    # Back and forth keeps everything.
    page.click("button[value=back]")
    expect(page.locator("#postal_code")).to_have_value("K1A 0B1")
    page.click("button[value=continue]")
    expect(page.locator("#users-1-email")).to_have_value("bob@example.com")

    page.click(".actions button[value=create]")
    expect(page.locator("#alerts")).to_contain_text("Customer created")
    customer = created_customer(app)
    assert page.url.endswith(f"/customers/{customer.id}")
    assert (customer.state, customer.postal_code, customer.ein) == ("ON", "K1A 0B1", "91-1144442")
    assert sorted(u.email for u in customer.users) == ["Ann@example.com", "bob@example.com"]


def test_continue_with_mistakes_moves_focus_to_the_summary(signed_in_page):
    page = signed_in_page
    page.goto("/customers/new")
    page.fill("#ein", "12-345")
    page.click("button[value=continue]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    assert page.title().startswith("Error: ")
    summary.locator("a[href='#company']").click()
    expect(page.locator("#company")).to_be_focused()
    expect(page.locator("#ein")).to_have_value("12-345")
    assert_no_axe_violations(page)


def test_leaving_an_untouched_empty_field_shows_nothing(signed_in_page):
    page = signed_in_page
    page.goto("/customers/new")
    page.click("#company")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    expect(page.locator(".field-error")).to_have_count(0)


def test_removing_a_user_row_with_htmx(signed_in_page):
    page = signed_in_page
    to_users_step(page)
    page.fill("#users-0-name", "Ann")
    page.click("button[value=add]")
    page.fill("#users-1-name", "Bob")
    page.click("button[value=remove-0]")
    expect(page.locator(".user-row")).to_have_count(1)
    expect(page.locator("#users-0-name")).to_have_value("Bob")
    assert page.url.endswith("/customers/new/users")


def test_whole_flow_works_without_javascript(app, signed_in_page_no_js):
    page = signed_in_page_no_js
    page.goto("/customers/new")
    fill_details(page, company="Prairie Law Group", city="Madison", address="1 State St")
    page.select_option("#state", "WI")
    page.fill("#postal_code", "53703")
    page.fill("#ein", "98-7654321x")
    page.click("button[value=continue]")
    expect(page.locator(".error-summary")).to_contain_text("Enter the EIN as 9 digits")
    page.fill("#ein", "")
    page.click("button[value=continue]")
    expect(page).to_have_url(re.compile(r"/customers/new/users$"))
    page.fill("#users-0-name", "Ann")
    page.fill("#users-0-email", "ann@example.com")
    page.click("button[value=add]")
    page.fill("#users-1-name", "Bob")
    page.fill("#users-1-email", "bob@example.com")
    page.click("button[value=add]")
    page.click("button[value=remove-2]")
    expect(page.locator(".user-row")).to_have_count(2)
    page.click("button[value=back]")
    expect(page.locator("#company")).to_have_value("Prairie Law Group")
    page.click("button[value=continue]")
    page.click(".actions button[value=create]")
    expect(page.locator("#alerts")).to_contain_text("Customer created")
    assert len(created_customer(app).users) == 2


def test_double_click_on_create_makes_one_customer(app, signed_in_page):
    page = signed_in_page
    to_users_step(page)
    page.fill("#users-0-name", "Ann")
    page.fill("#users-0-email", "ann@example.com")
    page.dblclick(".actions button[value=create]")
    expect(page.locator("#alerts")).to_contain_text("Customer created")
    page.go_back()
    page.go_back()
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Customer.id))) == 1
