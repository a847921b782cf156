"""The customer's page in Chromium: its header ("+ Tag", More, archive after asking) at a desktop's
and a phone's width, tabs, editing the profile (with a mistake, a fix, a conflict), adding and
removing users; with and without JavaScript. axe-core checks each state."""

import re

import pytest
from customer_helpers import load_customer, make_customer, make_tag, tag_customers, user_emails
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, PHONE, assert_no_axe_violations, new_page, sign_in
from e2e.test_customer_list import no_sideways_scroll
from e2e.test_dashboard import screenshot_dir
from extensions import db
from models import Customer
from services import customer_profile
from unit_of_work import unit_of_work

TABS_WITHIN = 0.5  # the tabs' top edge lies in the top half of the window, at either width


def test_partner_edits_the_profile_in_place_with_a_mistake_and_its_fix(app, signed_in_page, partner):
    page = signed_in_page
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    tag_customers(app, partner, make_tag(app, partner, "VIP", "purple"), [customer_id])
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("h1")).to_have_text("Northwind Dental")
    expect(page.locator("#customer-tags")).to_contain_text("VIP")
    assert_no_axe_violations(page)

    page.click("#edit-profile")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/edit$"))
    expect(page.locator("#company")).to_have_value("Northwind Dental")
    expect(page.locator("#profile-title")).to_be_focused()
    assert_no_axe_violations(page)
    # The browser's Back button returns to the profile; Forward to the form.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator("#edit-profile")).to_be_visible()
    page.go_forward()
    expect(page.locator("#company")).to_be_visible()

    # A ZIP code of another state: the blur check says so beside the field.
    page.fill("#company", "Northwind Dental Group")
    page.fill("#postal_code", "10001")
    page.keyboard.press("Tab")
    expect(page.locator("#postal_code-error")).to_be_visible()
    expect(page.locator("#postal_code")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    # The fix: the message goes as the partner types; the caret stays.
    page.click("#postal_code")
    page.fill("#postal_code", "")
    page.locator("#postal_code").press_sequentially("78702", delay=40)
    expect(page.locator("#postal_code-error")).to_have_count(0)
    expect(page.locator("#postal_code")).to_be_focused()

    page.click("button:has-text('Save')")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator("h1")).to_have_text("Northwind Dental Group")
    expect(page.locator("#alerts")).to_contain_text("Profile saved")
    expect(page.locator("#edit-profile")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Northwind Dental Group · "))
    saved = load_customer(app, customer_id)
    assert (saved.company, saved.postal_code) == ("Northwind Dental Group", "78702")

    # Cancel restores the read-only view, untouched.
    page.click("#edit-profile")
    page.fill("#city", "Nowhere")
    page.click("a:has-text('Cancel')")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator(".details")).to_contain_text("Austin")

    # The History tab tells who changed what.
    page.click("#tab-history")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/history$"))
    expect(page.locator(".history")).to_contain_text("Edited the profile")
    expect(page.locator(".history")).to_contain_text("78702")
    assert_no_axe_violations(page)


def test_a_second_save_of_a_stale_form_shows_what_changed(app, signed_in_page, partner):
    page = signed_in_page
    customer_id = make_customer(app, partner)
    page.goto(f"/customers/{customer_id}/edit")
    with app.app_context(), unit_of_work():  # another staff user saves meanwhile
        customer_profile.update_profile(db.session.get(Customer, customer_id), {"legal_name": "NW Holdings"},
                                        expected_version=1, staff_id=partner.id)
    page.fill("#city", "Round Rock")
    page.fill("#postal_code", "78664")
    page.click("button:has-text('Save')")
    conflict = page.locator(".conflict")
    expect(conflict).to_contain_text("Someone else changed this customer")
    expect(conflict).to_contain_text("NW Holdings")
    expect(conflict).to_be_focused()
    expect(page.locator("#city")).to_have_value("Round Rock")
    assert_no_axe_violations(page)
    page.click("button:has-text('Save')")
    expect(page.locator("#alerts")).to_contain_text("Profile saved")
    assert load_customer(app, customer_id).city == "Round Rock"


def test_partner_adds_users_then_removes_one(app, signed_in_page, partner):
    page = signed_in_page
    customer_id = make_customer(app, partner)
    page.goto(f"/customers/{customer_id}")
    page.click("#tab-users")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/users$"))
    expect(page.locator(".users-table")).to_contain_text("ann@example.com")
    expect(page.locator(".users-note")).to_contain_text("A customer needs at least one user")
    assert_no_axe_violations(page)

    page.click("#add-users")
    expect(page.locator("#users-0-name")).to_be_focused()
    page.fill("#users-0-name", "Cy Díaz")
    page.fill("#users-0-email", "ANN@example.com")
    page.keyboard.press("Tab")
    expect(page.locator("#users-0-email-error")).to_contain_text("already a user of this customer")
    assert_no_axe_violations(page)
    page.fill("#users-0-email", "cy@example.com")
    page.keyboard.press("Tab")
    expect(page.locator("#users-0-email-error")).to_have_count(0)
    page.click("button[value=add]")
    expect(page.locator("#users-1-name")).to_be_focused()
    page.fill("#users-1-name", "Di Wu")
    page.fill("#users-1-email", "di@example.com")
    page.locator("#users-1-email").press("Enter")  # Enter means Save users
    expect(page.locator("#alerts")).to_contain_text("Added 2 users")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/users$"))
    expect(page.locator(".users-table tbody tr")).to_have_count(3)
    assert user_emails(app, customer_id) == ["ann@example.com", "cy@example.com", "di@example.com"]

    page.click("a:has-text('Remove Cy Díaz')")
    expect(page.locator(".row-confirm")).to_contain_text("Remove Cy Díaz (cy@example.com)?")
    assert_no_axe_violations(page)
    page.click("button:has-text('Remove user')")
    expect(page.locator("#alerts")).to_contain_text("Removed Cy Díaz")
    expect(page.locator(".users-table tbody tr")).to_have_count(2)

    page.click("a:has-text('Edit Di Wu')")
    expect(page.locator("#user-name")).to_be_focused()
    assert_no_axe_violations(page)
    page.fill("#user-email", "diwu@example.com")
    page.click(".user-edit button:has-text('Save')")
    expect(page.locator(".users-table")).to_contain_text("diwu@example.com")
    assert user_emails(app, customer_id) == ["ann@example.com", "diwu@example.com"]


def test_the_profile_edit_and_users_work_without_javascript(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    page.goto(f"/customers/{customer_id}")
    page.click("#edit-profile")
    page.fill("#postal_code", "1234")
    page.click("button:has-text('Save')")
    expect(page.locator(".error-summary")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.fill("#postal_code", "78702")
    page.click("button:has-text('Save')")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator("#alerts")).to_contain_text("Profile saved")

    page.click("#tab-users")
    page.click("a:has-text('Remove Bob Ray')")
    page.click("button:has-text('Remove user')")
    expect(page.locator("#alerts")).to_contain_text("Removed Bob Ray")
    assert user_emails(app, customer_id) == ["ann@example.com"]

    page.click("#add-users")
    page.click("button[value=add]")
    expect(page.locator("#users-1-name")).to_be_visible()
    page.fill("#users-0-name", "Cy")
    page.fill("#users-0-email", "cy@example.com")
    page.fill("#users-1-name", "Di")
    page.fill("#users-1-email", "di@example.com")
    page.click(".actions button[value=save]")
    expect(page.locator("#alerts")).to_contain_text("Added 2 users")

    # Tags by typing ("+ Tag" opens by HTML alone), then from the chip.
    page.click("#add-tag")
    page.fill("#tag-name", "Net 30")
    page.click("button:has-text('Add tag')")
    expect(page.locator("#customer-tags .chip")).to_have_text(re.compile("Net 30"))
    page.click("button:has-text('Remove tag Net 30')")
    expect(page.locator("#customer-tags .chip")).to_have_count(0)


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_header_adds_a_tag_and_archives_after_asking(app, browser, live_server, partner, tmp_path_factory,
                                                         size, viewport):
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    for name, color in (("Managed", "blue"), ("Net 30", "green"), ("VIP", "purple")):
        tag_customers(app, partner, make_tag(app, partner, name, color), [customer_id])
    make_tag(app, partner, "Quarterly billing", "teal")
    context, page = new_page(browser, live_server, viewport=viewport)
    sign_in(page, partner.email)
    page.goto(f"/customers/{customer_id}")
    expect(page.locator(".customer-title")).to_contain_text("Northwind Dental Active")
    expect(page.locator(".customer-meta")).to_contain_text("2 users")
    # The tabs start high on the page: no form stands between them and the header.
    # (Measured from the app's top bar: the TEST MODE banner above it is the sandbox's, not the page's.)
    shell_top = page.locator(".topbar").bounding_box()["y"]
    assert page.locator(".tabs").bounding_box()["y"] - shell_top < viewport["height"] * TABS_WITHIN, size
    no_sideways_scroll(page, viewport)
    # caret="initial": hiding the caret leaves style="" on every input, which htmx's settle then copies (a CSP error).
    page.screenshot(path=str(screenshot_dir(tmp_path_factory) / f"customer-page-{size}.png"), caret="initial")
    assert_no_axe_violations(page)

    # "+ Tag" opens the typeahead with focus in it; a suggestion adds the tag and the field stays for another.
    expect(page.locator("#tag-name")).to_be_hidden()
    page.click("#add-tag")
    expect(page.locator("#tag-name")).to_be_focused()
    page.locator("#tag-name").press_sequentially("quar", delay=30)
    suggestion = page.locator("#tag-suggestions button", has_text="Quarterly billing")
    expect(suggestion).to_be_visible()
    no_sideways_scroll(page, viewport)
    assert_no_axe_violations(page)
    suggestion.click()
    expect(page.locator("#customer-tags .chip-link")).to_have_text(["Managed", "Net 30", "Quarterly billing", "VIP"])
    expect(page.locator("#alerts")).to_contain_text("Added the tag Quarterly billing")
    expect(page.locator("#tag-name")).to_be_focused()
    # Escape closes it and gives focus back to "+ Tag".
    page.keyboard.press("Escape")
    expect(page.locator("#tag-name")).to_be_hidden()
    expect(page.locator("#add-tag")).to_be_focused()

    # More holds Archive; Escape closes the menu.
    more = page.locator(".menu > summary")
    more.click()
    expect(page.locator("#archive-customer")).to_be_visible()
    no_sideways_scroll(page, viewport)
    page.keyboard.press("Escape")
    expect(page.locator("#archive-customer")).to_be_hidden()
    expect(more).to_be_focused()
    # By keyboard: Enter opens it, Tab reaches Archive, Enter asks.
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#archive-customer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/archive$"))
    confirm = page.locator(".confirm-panel")
    expect(confirm).to_contain_text("It leaves All Customers")
    expect(confirm).to_contain_text("Its 2 users can no longer open it in the customer portal")
    expect(page.locator("#archive-title")).to_be_focused()
    no_sideways_scroll(page, viewport)
    assert_no_axe_violations(page)
    assert load_customer(app, customer_id).archived_at is None
    confirm.locator("button:has-text('Archive customer')").click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator("#alerts")).to_contain_text("Northwind Dental is archived")
    expect(page.locator(".customer-title .badge")).to_have_text("Archived")
    expect(page.locator(".notice")).to_contain_text("its users cannot open it in the customer portal")
    assert load_customer(app, customer_id).archived_at is not None
    no_sideways_scroll(page, viewport)
    assert_no_axe_violations(page)
    more.click()
    page.click("button:has-text('Restore customer')")
    expect(page.locator("#alerts")).to_contain_text("Northwind Dental is restored")
    expect(page.locator(".customer-title .badge")).to_have_text("Active")
    assert load_customer(app, customer_id).archived_at is None
    context.close()
    assert page.problems == []


def test_archive_and_restore_without_javascript(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    customer_id = make_customer(app, partner)
    page.goto(f"/customers/{customer_id}")
    page.click(".menu > summary")
    page.click("#archive-customer")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/archive$"))
    page.click("a:has-text('Cancel')")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    assert load_customer(app, customer_id).archived_at is None
    page.click(".menu > summary")
    page.click("#archive-customer")
    page.click(".confirm-panel button:has-text('Archive customer')")
    expect(page.locator(".badge-archived")).to_be_visible()
    page.goto("/customers")
    expect(page.locator("#customer-results")).not_to_contain_text("Northwind Dental")
    page.click("a:has-text('Show archived customers')")
    expect(page.locator("#customer-results")).to_contain_text("Northwind Dental")
    page.click("a:has-text('Northwind Dental')")
    page.click(".menu > summary")
    page.click("button:has-text('Restore customer')")
    expect(page.locator("#alerts")).to_contain_text("restored")
    assert load_customer(app, customer_id).archived_at is None
