"""A customer's user, from the invitation email to the portal, in Chromium.

Screenshots go to $SHOTS_DIR when it is set (e.g. SHOTS_DIR=/tmp/shots), else to the test's tmp_path.
"""

import os
import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from e2e.conftest import PHONE, assert_no_axe_violations, new_page
from extensions import db
from mailer import deliver_due
from models import CustomerUser
from models._time import utcnow
from services import portal_access

PASSWORD = "violet tractor umbrella"


@pytest.fixture
def shoot(tmp_path):
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"portal-{name}.png"), full_page=True)

    return take


@pytest.fixture(autouse=True)
def own_mail_folder(app, monkeypatch, tmp_path):
    """This test's emails only: the database reuses ids after the cleanup between tests."""
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "mail"))


def delivered_link(app, to: str) -> str:
    """Deliver the outbox (to .eml files: no MAIL_SERVER in tests) and read the newest
    email's set-password link from its plain-text part, as the user's mail client would."""
    with app.app_context():
        deliver_due(worker="e2e")
    base = app.config["BASE_URL"]
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))  # named by outbox id: oldest first
    messages = [BytesParser(policy=policy.default).parsebytes(path.read_bytes()) for path in files]
    (*_, newest) = [m for m in messages if m["To"] == to]
    text = newest.get_body(preferencelist=("plain",)).get_content()
    link = next(url for url in re.findall(r"https?://\S+", text) if url.startswith(base))
    return link[len(base):]


def create_customer(page, company: str, users: list[tuple[str, str]]) -> None:
    """As the partner does it: Add customer, both steps, Create Customer."""
    page.goto("/customers/new")
    page.fill("#company", company)
    page.fill("#address", "1 Main St")
    page.fill("#city", "Austin")
    page.select_option("#state", "TX")
    page.fill("#postal_code", "78701")
    page.click("button[value=continue]")
    for position, (name, email) in enumerate(users):
        if position:
            page.click("button[value=add]")
        page.fill(f"#users-{position}-name", name)
        page.fill(f"#users-{position}-email", email)
    page.click(".actions button[value=create]")
    expect(page.locator("#alerts")).to_contain_text("Customer created")


def sign_in_to_portal(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/portal/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_invited_user_sets_a_password_and_signs_in_to_the_portal(app, signed_in_page, user_page, shoot):
    create_customer(signed_in_page, "Harbor Vets", [("Ann Lee", "ann.portal@example.com"),
                                                    ("Bob Ray", "bob.portal@example.com")])
    link = delivered_link(app, "ann.portal@example.com")
    assert delivered_link(app, "bob.portal@example.com") != link

    ann = user_page
    ann.goto(link)
    # The token leaves the address bar (and the history) at once; the form posts without it.
    expect(ann).to_have_url(re.compile(r"/portal/set-password$"))
    expect(ann.locator("h1")).to_have_text("Set your password")
    assert_no_axe_violations(ann)
    shoot(ann, "set-password")
    ann.fill("#password", "qwerty123456")
    ann.fill("#confirm", "qwerty123456")
    ann.click("button[type=submit]")
    expect(ann.locator("#password-error")).to_contain_text("too common")
    expect(ann.locator("#password")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(ann)
    shoot(ann, "set-password-error")
    ann.fill("#password", PASSWORD)
    ann.fill("#confirm", PASSWORD)
    ann.click("button[type=submit]")
    expect(ann).to_have_url(re.compile(r"/portal/login$"))
    expect(ann.locator("#alerts")).to_contain_text("Your password is set")
    assert_no_axe_violations(ann)
    shoot(ann, "login")

    sign_in_to_portal(ann, "ann.portal@example.com")
    expect(ann.locator("h1")).to_have_text("Harbor Vets")
    expect(ann.locator("main")).to_contain_text("Nothing to pay now")
    expect(ann.locator("main")).to_contain_text("bob.portal@example.com")
    assert_no_axe_violations(ann)
    shoot(ann, "home")

    # The portal login is not a partner login.
    ann.goto("/customers")
    expect(ann).to_have_url(re.compile(r"/login\?next="))
    expect(ann.locator("h1")).not_to_have_text("Customers")
    # The link worked once.
    ann.goto(link)
    expect(ann.locator("h1")).to_have_text("This link was already used")
    expect(ann.locator("main")).to_contain_text("Forgot your password")
    assert_no_axe_violations(ann)
    shoot(ann, "link-used")


def test_an_expired_link_says_so_and_how_to_get_a_new_one(app, signed_in_page, user_page, shoot):
    page = user_page
    create_customer(signed_in_page, "Late Bakery", [("Cy Old", "cy.portal@example.com")])
    with app.test_request_context():
        cy = db.session.scalar(select(CustomerUser).where(CustomerUser.email == "cy.portal@example.com"))
        portal_access.resend_invitation(cy, now=utcnow() - timedelta(days=8))  # sent 8 days ago
        db.session.commit()
    page.goto(delivered_link(app, "cy.portal@example.com"))
    expect(page.locator("h1")).to_have_text("This link has expired")
    expect(page.locator("main")).to_contain_text("ask the company that invited you")
    assert_no_axe_violations(page)
    shoot(page, "link-expired")
    page.click("text=Forgot your password")
    expect(page.locator("h1")).to_have_text("Forgot your password?")


def test_forgot_password_sends_a_link_that_sets_a_new_password(app, signed_in_page, user_page, shoot):
    page = user_page
    create_customer(signed_in_page, "Reset Dental", [("Dee Fox", "dee.portal@example.com")])
    page.goto("/portal/login")
    page.click("text=Forgot your password?")
    expect(page.locator("h1")).to_have_text("Forgot your password?")
    assert_no_axe_violations(page)
    shoot(page, "forgot-password")
    page.click("button[type=submit]")
    expect(page.locator("#email-error")).to_be_visible()
    assert_no_axe_violations(page)
    page.fill("#email", "dee.portal@example.com")
    page.click("button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("If that email address has a portal login")

    page.goto(delivered_link(app, "dee.portal@example.com"))
    expect(page).to_have_url(re.compile(r"/portal/reset$"))
    expect(page.locator("h1")).to_have_text("Choose a new password")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("button[type=submit]")
    sign_in_to_portal(page, "dee.portal@example.com")
    expect(page.locator("h1")).to_have_text("Reset Dental")


def test_a_wrong_password_is_refused_accessibly(page, shoot):
    sign_in_to_portal(page, "nobody.portal@example.com", "not the password at all")
    expect(page.locator(".error-summary")).to_contain_text("The email address or password is not right")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_no_axe_violations(page)
    shoot(page, "login-error")


def test_a_user_of_two_customers_chooses_the_company(app, signed_in_page, browser, live_server, shoot):
    create_customer(signed_in_page, "North Clinic", [("Eve Kim", "eve.portal@example.com")])
    create_customer(signed_in_page, "South Clinic", [("Eve Kim", "eve.portal@example.com")])
    context, eve = new_page(browser, live_server, viewport=PHONE)
    eve.goto(delivered_link(app, "eve.portal@example.com"))  # the newer invitation replaced the older
    eve.fill("#password", PASSWORD)
    eve.fill("#confirm", PASSWORD)
    eve.click("button[type=submit]")
    sign_in_to_portal(eve, "eve.portal@example.com")
    expect(eve.locator("h1")).to_have_text("Choose a company")
    assert_no_axe_violations(eve)
    shoot(eve, "choose-phone")
    eve.click("button:has-text('South Clinic')")
    expect(eve.locator("h1")).to_have_text("South Clinic")
    assert_no_axe_violations(eve)
    shoot(eve, "home-phone")
    eve.click("text=Switch company")
    eve.click("button:has-text('North Clinic')")
    expect(eve.locator("h1")).to_have_text("North Clinic")
    eve.click("button:has-text('Sign out')")
    expect(eve).to_have_url(re.compile(r"/portal/login$"))
    context.close()
    assert eve.problems == [], "\n".join(eve.problems)
