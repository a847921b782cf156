"""Adding a card (and the bank account page) in the portal with PAYMENT_GATEWAY=stripe, in Chromium, against localstripe
(which serves its stand-in for Stripe.js and its card element), from the portal's payment methods page."""

import json
import re
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from stripe_fakes import portal_user
from test_portal import GOOD_PASSWORD
from test_stripe_bank import new_setup

from e2e.axe import WCAG_22_AA, _axe, describe
from e2e.conftest import DESKTOP, NARROW, PHONE, new_page, serving
from e2e.test_dashboard import screenshot_dir
from e2e.test_html_valid import HTMX_ATTRIBUTE, vnu_command
from extensions import db
from models import PaymentMethod

PAGE = "/payment-methods/stripe/card"
BANK = "/payment-methods/stripe/bank"
SAVE = "#stripe-card-form button[type=submit]"
METHODS = "/portal/payment-methods"



@pytest.fixture(scope="module")
def stripe_server(stripe_app):
    """The app on the stripe gateway, served on 127.0.0.1 for these tests."""
    with serving(stripe_app) as base:
        yield base


@pytest.fixture
def ann(app, partner, browser, stripe_server):
    """Ann's browser, signed in to the portal and on Add a card (or `link`) from the payment methods page."""
    portal_user(app, partner, password=GOOD_PASSWORD)
    contexts = []

    def open_page(viewport=DESKTOP, link="Add a card", path=PAGE):
        context, page = new_page(browser, stripe_server, viewport=viewport)
        contexts.append((context, page))
        page.goto("/portal/login")
        page.fill("#email", "ann@example.com")
        page.fill("#password", GOOD_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/portal")
        page.goto(METHODS)
        page.get_by_role("link", name=link).click()
        page.wait_for_url(re.compile(re.escape(path) + r"\?return_to="))
        return page

    yield open_page
    for context, page in contexts:
        context.close()
        assert page.problems == [], "\n".join(page.problems)


def assert_accessible(page):
    """axe-core on our page; Stripe's element is Stripe's own (localstripe's stand-in has bare inputs)."""
    results = _axe.run(page, context={"exclude": [["#card-element"]]},
                       options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, describe(violations)


def type_card(page, number: str) -> None:
    # localstripe's card element: number, exp_month, exp_year (two digits), cvc, postal_code.
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "30"), ("cvc", "123"),
                         ("postal_code", "10001")):
        page.fill(f"#card-element input[placeholder={field}]", value)


def methods(app) -> list[PaymentMethod]:
    with app.app_context():
        return list(db.session.scalars(select(PaymentMethod)))


def test_a_user_adds_a_card_in_stripes_element_and_the_app_gets_only_its_token(app, ann, tmp_path_factory):
    page = ann()
    expect(page.locator("h1")).to_have_text("Add a card")
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()  # Stripe.js mounted it
    assert_accessible(page)
    shots = screenshot_dir(tmp_path_factory)
    page.screenshot(path=str(shots / "portal-stripe-card-desktop.png"), full_page=True)
    posted = []
    page.on("request", lambda request: posted.append(request.post_data or "") if request.method == "POST"
            and PAGE in request.url else None)
    page.fill("#holder", "Ann Lee")
    type_card(page, "4242424242424242")
    page.click(SAVE)
    page.wait_for_url(f"**{METHODS}")
    expect(page.locator("#alerts")).to_contain_text("Added Visa •••• 4242. It is the default.")
    (method,) = methods(app)
    assert (method.kind, method.brand, method.last4, method.holder_name, method.exp_month, method.exp_year) == (
        "credit_card", "visa", "4242", "Ann Lee", 12, 2030)
    (body,) = posted
    assert "4242424242424242" not in body and "payment_method=pm_" in body
    assert sorted(field.split("=")[0] for field in body.split("&")) == ["csrf_token", "payment_method", "return_to"]


def test_a_card_stripe_declines_shows_stripes_reason_and_saves_nothing(app, ann):
    page = ann()
    page.fill("#holder", "Ann Lee")
    type_card(page, "4000000000000002")
    page.click(SAVE)
    expect(page.locator("#stripe-error")).to_have_text("Your card was declined.")
    expect(page.locator(SAVE)).to_be_enabled()
    assert_accessible(page)
    assert methods(app) == []


def test_the_name_on_the_card_is_asked_for_before_stripe_is(app, ann):
    page = ann()
    type_card(page, "4242424242424242")
    page.click(SAVE)
    expect(page.locator("#holder-error")).to_have_text("Enter the name on the card")
    expect(page.locator("#holder")).to_be_focused()
    assert methods(app) == []


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("narrow", NARROW)])
def test_the_add_card_page_fits_a_phone(ann, tmp_path_factory, size, viewport):
    page = ann(viewport)
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir(tmp_path_factory) / f"portal-stripe-card-{size}.png"), full_page=True)


def test_the_add_card_page_and_its_refusal_are_valid_html(ann, tmp_path):
    page = ann()
    shown = page.request.get(page.url).text()  # the server's HTML, as the checker reads every page
    token = page.locator("#stripe-card-form input[name=csrf_token]").get_attribute("value")
    return_to = page.locator("#stripe-card-form input[name=return_to]").get_attribute("value")
    refused = page.request.post(PAGE, form={"csrf_token": token, "return_to": return_to,
                                            "payment_method": "pm_not_this_one"})
    assert refused.status == 422
    (tmp_path / "page.html").write_text(shown, encoding="utf-8")
    (tmp_path / "refused.html").write_text(refused.text(), encoding="utf-8")
    checked = subprocess.run([*vnu_command(), str(tmp_path)], capture_output=True, text=True, timeout=300,  # noqa: S603
                             check=False)
    messages = json.loads(checked.stdout)["messages"]
    errors = [m for m in messages if not HTMX_ATTRIBUTE.match(m["message"])]
    assert not errors, errors


# -- a bank account: localstripe's Stripe.js has confirmCardSetup only (no collectBankAccountForSetup
# nor confirmUsBankAccountSetup), so the browser checks the page itself; the app's gateway answers
# recorded responses (tests/test_stripe_bank.py holds the server's side).

@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE), ("narrow", NARROW)])
def test_the_add_bank_account_page_shows_the_ach_authorization_and_fits(
        app, ann, stripe_answers, tmp_path_factory, size, viewport):
    stripe_answers.exchanges += new_setup()  # the page's SetupIntent
    page = ann(viewport, link="Add a bank account", path=BANK)
    expect(page.locator("h1")).to_have_text("Add a bank account")
    expect(page.locator("#mandate-title")).to_have_text("ACH debit authorization")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir(tmp_path_factory) / f"portal-stripe-bank-{size}.png"), full_page=True)
    if size == "desktop":  # the server's HTML, as the checker reads every page
        stripe_answers.exchanges += new_setup()
        shown = tmp_path_factory.mktemp("bank-html")
        (shown / "bank.html").write_text(page.request.get(page.url).text(), encoding="utf-8")
        checked = subprocess.run([*vnu_command(), str(shown)], capture_output=True, text=True, timeout=300,  # noqa: S603
                                 check=False)
        errors = [m for m in json.loads(checked.stdout)["messages"] if not HTMX_ATTRIBUTE.match(m["message"])]
        assert not errors, errors
    page.click("#stripe-us_bank_account-form button[type=submit]")  # no name: asked before Stripe is
    expect(page.locator("#holder-error")).to_have_text("Enter the account holder's name")
    expect(page.locator("#holder")).to_be_focused()
    assert methods(app) == []
