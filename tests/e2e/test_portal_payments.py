"""Paying two invoices in the portal, one in part, with a saved card, in Chromium at desktop and
phone widths, axe-core clean; and a decline keeping the choices."""

from datetime import timedelta

import pytest
from customer_helpers import make_customer
from invoice_helpers import give_portal_password, make_invoice
from payment_helpers import card
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, PHONE, assert_no_axe_violations
from e2e.test_invoice_documents import no_sideways_scroll, shoot
from e2e.test_payment_methods import add_a_card
from extensions import db
from models import Partner
from services.invoices import partner_today

PASSWORD = "violet tractor umbrella"
LINES = (("Managed services", "1", 15000, None),)  # $150.00


@pytest.fixture
def paying(app, partner, user_page):
    with app.app_context():
        db.session.get(Partner, partner.partner_id).surcharge_percent = 2
        db.session.commit()
        today = partner_today(db.session.get(Partner, partner.partner_id))
    customer = make_customer(app, partner)
    invoices = [make_invoice(app, customer, issue=today, due=today + timedelta(days=days), lines=LINES)
                for days in (10, 20)]
    card(app, customer)
    card(app, customer, "4000 0000 0000 0002")
    give_portal_password(app, "ann@example.com", PASSWORD)
    user_page.goto("/portal/login")
    user_page.fill("#email", "ann@example.com")
    user_page.fill("#password", PASSWORD)
    user_page.click("button[type=submit]")
    user_page.wait_for_url("**/portal")
    return invoices


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_user_pays_two_invoices_one_in_part_with_a_saved_card(user_page, paying, viewport):
    page = user_page
    page.set_viewport_size(viewport)
    first, second = paying
    page.get_by_role("link", name="Pay invoices").click()
    expect(page.get_by_role("heading", name="Pay invoices")).to_be_visible()
    expect(page.get_by_label("Visa •••• 4242")).to_be_checked()
    expect(page.locator(".pay-surcharge").first).to_contain_text("adds a 2% card surcharge")
    page.get_by_label(f"{first.number}, due").check()
    page.get_by_label(f"{second.number}, due").check()
    page.get_by_label(f"Amount for {second.number}").fill("40.50")
    shoot(page, "portal-pay", viewport)
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    receipt = page.locator(".receipt-table")
    expect(receipt).to_contain_text("$150.00")
    expect(receipt).to_contain_text("$40.50")
    expect(receipt).to_contain_text("Card surcharge")
    expect(receipt).to_contain_text("$3.81")
    expect(receipt).to_contain_text("$194.31")
    shoot(page, "portal-receipt", viewport)
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)
    page.get_by_role("link", name=second.number).click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "partially_paid")
    expect(page.locator(".invoice-balance")).to_have_text("$109.50")


def test_a_declined_card_says_why_and_keeps_the_choices(user_page, paying):
    page = user_page
    first, _second = paying
    page.goto("/portal/pay")
    page.get_by_label(f"{first.number}, due").check()
    page.get_by_label(f"Amount for {first.number}").fill("25")
    page.get_by_label("Visa •••• 0002").check()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("The card was declined.")
    expect(page.locator(".error-summary")).to_contain_text("Nothing was charged.")
    expect(page.get_by_label(f"{first.number}, due")).to_be_checked()
    expect(page.get_by_label(f"Amount for {first.number}")).to_have_value("25")
    expect(page.get_by_label("Visa •••• 0002")).to_be_checked()
    shoot(page, "portal-pay-declined", DESKTOP)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_user_adds_a_card_from_pay_and_lands_back_on_pay_with_it_chosen(user_page, paying, viewport):
    page = user_page
    page.set_viewport_size(viewport)
    _first, second = paying
    page.goto("/portal/pay")
    page.get_by_label(f"{second.number}, due").check()
    page.get_by_label(f"Amount for {second.number}").fill("40.50")
    page.get_by_role("button", name="Add a payment method").click()
    expect(page.get_by_role("heading", name="Payment methods", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Go back without adding one")).to_be_visible()
    shoot(page, "portal-pay-add-methods", viewport)
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)
    page.get_by_role("link", name="Add a card", exact=True).click()
    add_a_card(page, "5555 5555 5555 4444", "12", "2031", "123")
    expect(page.get_by_role("heading", name="Pay invoices")).to_be_visible()
    expect(page.locator("#alerts")).to_contain_text("Added Mastercard •••• 4444.")
    expect(page.get_by_label("Mastercard •••• 4444")).to_be_checked()
    expect(page.get_by_label(f"{second.number}, due")).to_be_checked()
    expect(page.get_by_label(f"Amount for {second.number}")).to_have_value("40.50")
    shoot(page, "portal-pay-added-card", viewport)
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Mastercard •••• 4444")
