"""A customer's user, from the invitation email to the portal, in Chromium."""

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from playwright.sync_api import expect

from e2e.conftest import assert_no_axe_violations
from mailer import deliver_due


def delivered_link(app, to: str) -> str:
    """Deliver the outbox (to .eml files: no MAIL_SERVER in tests) and read the
    set-password link from the plain-text part, as the user's mail client would."""
    with app.app_context():
        deliver_due(worker="e2e")
    base = app.config["BASE_URL"]
    for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            link = next(url for url in re.findall(r"https?://\S+", text) if url.startswith(base))
    return link[len(base):]


def test_invited_user_sets_a_password_and_signs_in_to_the_portal(app, signed_in_page, browser, live_server, tmp_path):
    page = signed_in_page
    page.goto("/customers/new")
    page.fill("#company", "Harbor Vets")
    page.fill("#address", "1 Main St")
    page.fill("#city", "Austin")
    page.select_option("#state", "TX")
    page.fill("#postal_code", "78701")
    page.click("button[value=continue]")
    page.fill("#users-0-name", "Ann Lee")
    page.fill("#users-0-email", "ann.portal@example.com")
    page.click("button[value=add]")
    page.fill("#users-1-name", "Bob Ray")
    page.fill("#users-1-email", "bob.portal@example.com")
    page.click(".actions button[value=create]")
    expect(page.locator("#alerts")).to_contain_text("Customer created")

    link = delivered_link(app, "ann.portal@example.com")
    context = browser.new_context(base_url=live_server)
    ann = context.new_page()
    ann.goto(link)
    expect(ann.locator("h1")).to_have_text("Set your password")
    assert_no_axe_violations(ann)
    ann.fill("#password", "qwerty123456")
    ann.fill("#confirm", "qwerty123456")
    ann.click("button[type=submit]")
    expect(ann.locator("#password-error")).to_contain_text("too common")
    assert_no_axe_violations(ann)
    ann.screenshot(path=str(tmp_path / "portal-set-password.png"))
    ann.fill("#password", "violet tractor umbrella")
    ann.fill("#confirm", "violet tractor umbrella")
    ann.click("button[type=submit]")
    expect(ann).to_have_url(re.compile(r"/portal/login$"))
    assert_no_axe_violations(ann)
    ann.fill("#email", "ann.portal@example.com")
    ann.fill("#password", "violet tractor umbrella")
    ann.click("button[type=submit]")
    expect(ann.locator("h1")).to_have_text("Harbor Vets")
    expect(ann.locator("main")).to_contain_text("No invoices yet")
    expect(ann.locator("main")).to_contain_text("bob.portal@example.com")
    assert_no_axe_violations(ann)
    ann.screenshot(path=str(tmp_path / "portal-home.png"), full_page=True)

    # The portal login is not a partner login.
    ann.goto("/customers")
    expect(ann).to_have_url(re.compile(r"/login\?next="))
    # The link worked once.
    ann.goto(link)
    expect(ann.locator("h1")).to_have_text("This link was already used")
    assert_no_axe_violations(ann)
    context.close()


def test_forgot_password_page_is_accessible(page):
    page.goto("/portal/login")
    page.click("text=Forgot your password?")
    expect(page.locator("h1")).to_have_text("Forgot your password?")
    assert_no_axe_violations(page)
    page.fill("#email", "nobody@example.com")
    page.click("button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("If that email address has a portal login")
