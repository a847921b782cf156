"""Sending an invoice and viewing it in the portal, and the Overview, in Chromium (desktop and
phone), axe-core clean. The Overview's desktop screenshot is the README's
(docs/screenshot-overview.png) when README_SHOTS=1."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from customer_helpers import make_customer
from invoice_helpers import give_portal_password, make_invoice
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, PHONE, assert_no_axe_violations
from extensions import db
from models import Partner
from services.invoices import partner_today

PORTAL_PASSWORD = "violet tractor umbrella"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def shoot(page, name: str, viewport) -> None:
    """A screenshot to look at, in $SHOTS_DIR when it is set."""
    if os.environ.get("SHOTS_DIR"):
        width = "desktop" if viewport is DESKTOP else "phone"
        page.screenshot(path=str(Path(os.environ["SHOTS_DIR"]) / f"{name}-{width}.png"), full_page=True)


def no_sideways_scroll(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport


@pytest.fixture
def today(app, partner):
    with app.app_context():
        return partner_today(db.session.get(Partner, partner.partner_id))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_partner_sends_an_invoice_and_the_user_views_it_in_the_portal(app, signed_in_page, user_page, partner,
                                                                        today, viewport):
    page = signed_in_page
    page.set_viewport_size(viewport)
    user_page.set_viewport_size(viewport)
    customer = make_customer(app, partner)
    made = make_invoice(app, customer, issue=today, due=today + timedelta(days=30))
    page.goto(f"/invoices/{made.id}")
    page.get_by_role("button", name="Send invoice").click()
    expect(page.locator(".alert, [role=status]").first).to_contain_text("INV-0001 sent to 1 user of Northwind Dental")
    expect(page.locator(".invoice-sends")).to_contain_text("Sent")
    expect(page.get_by_role("button", name="Send again")).to_be_visible()
    shoot(page, "invoice-sent", viewport)
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)

    give_portal_password(app, "ann@example.com", PORTAL_PASSWORD)
    user_page.goto(f"/portal/invoices/{made.id}")  # the emailed link: sign in first, then back to it
    user_page.fill("#email", "ann@example.com")
    user_page.fill("#password", PORTAL_PASSWORD)
    user_page.click("button[type=submit]")
    expect(user_page).to_have_url(re.compile(rf"/portal/invoices/{made.id}$"))
    expect(user_page.locator("[data-status]")).to_have_text("Open")
    expect(user_page.locator("h1")).to_contain_text("INV-0001")
    expect(user_page.locator(".invoice-total-amount")).to_have_text("$4,032.19")
    pdf_link = user_page.get_by_role("link", name="Download PDF")
    expect(pdf_link).to_have_attribute("href", f"/portal/invoices/{made.id}.pdf")
    assert_no_axe_violations(user_page)
    no_sideways_scroll(user_page, viewport)
    shoot(user_page, "portal-invoice", viewport)
    user_page.get_by_role("link", name="Invoices").first.click()
    expect(user_page.locator("h1")).to_have_text("Invoices")
    expect(user_page.locator("tbody tr")).to_have_count(1)
    assert_no_axe_violations(user_page)
    no_sideways_scroll(user_page, viewport)

    page.reload()
    expect(page.locator(".summary-facts")).to_contain_text("Viewed")


def _overview_data(app, partner, today):
    """Customers owing in every bucket, in both currencies."""
    plan = [("Northwind Dental", "US", (-10, 5, 45, 75, 120)), ("Harbor Architects", "US", (-20, 12, 33)),
            ("Cedar Logistics", "US", (-3, 95)), ("Maple Dental", "CA", (-15, 25, 64))]
    for index, (company, country, days_past_due) in enumerate(plan):
        place = {"country": "CA", "state": "ON", "city": "Toronto", "postal_code": "M5V 2T6"} if country == "CA" else {}
        customer = make_customer(app, partner, company=company, ein=f"91-11444{40 + index}",
                                 users=((f"User {index}", f"user{index}@example.com"),), **place)
        for n, days in enumerate(days_past_due):
            due = today - timedelta(days=days)
            make_invoice(app, customer, issue=due - timedelta(days=30), due=due,
                         lines=(("Managed IT services", "1", 149900 + 37500 * n, None),
                                ("Help desk hours", "4.5", 9500, "8.25")))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_overview_shows_aging_as_a_table_and_a_chart_of_links(app, signed_in_page, partner, today, viewport):
    page = signed_in_page
    _overview_data(app, partner, today)
    page.set_viewport_size(viewport)
    page.goto("/overview")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator(".aging-table tbody tr")).to_have_count(4)
    expect(page.locator(".aging-chart svg a")).to_have_count(10)
    expect(page.locator(".aging-chart svg a").nth(9)).to_have_attribute("aria-label", "Over 90 days: CA$0.00")
    expect(page.locator(".sidenav a", has_text="All Customers")).to_have_count(1)  # still in the nav
    assert_no_axe_violations(page)
    no_sideways_scroll(page, viewport)
    shoot(page, "overview", viewport)
    if viewport is DESKTOP and os.environ.get("README_SHOTS") == "1":
        page.screenshot(path=str(DOCS / "screenshot-overview.png"), full_page=True)
    page.locator(".aging-chart svg a").nth(4).click()  # USD (most owed, first), over 90 days
    expect(page).to_have_url(re.compile(r"/invoices\?status=overdue&currency=USD&due_to="))
    expect(page.locator("tbody tr")).to_have_count(2)
