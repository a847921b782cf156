"""Adding a US bank account with PAYMENT_GATEWAY=stripe (blueprints/stripe_elements.py, kind
"bank"): localstripe has no bank accounts, so the app's gateway answers recorded responses
(tests/stripe_fakes.py), and what Stripe.js does in the browser is what the recorded
SetupIntent says it did."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import test_stripe_elements
from sqlalchemy import select
from stripe_fakes import (
    Exchange,
    customer,
    setup_intent,
    setup_intents_with_mandate,
    us_bank_method,
)

from conftest import csrf_token
from extensions import db
from models import PaymentMethod
from payments.sandbox import ACH_AUTHORIZATION

PAGE = "/payment-methods/stripe/bank"
SECRET = "seti_1Bank_secret_recorded"


# Ann, signed in to the portal of the app on the stripe gateway.
ann = test_stripe_elements.ann


def new_setup(seti_id="seti_1Bank") -> list[Exchange]:
    return [Exchange("POST", "/v1/customers", 200, customer()),
            Exchange("POST", "/v1/setup_intents", 200, setup_intent(seti_id))]


def the_method_with_its_mandate() -> list[Exchange]:
    return [Exchange("GET", "/v1/payment_methods/pm_1Bank", 200, us_bank_method()),
            Exchange("GET", "/v1/setup_intents", 200, setup_intents_with_mandate())]


def open_bank_page(ann, stripe_answers):
    methods = ann.get("/portal/payment-methods")
    link = re.search(r'<a[^>]*href="([^"]+)"[^>]*>Add a bank account</a>', methods.text).group(1).replace("&amp;", "&")
    assert urlsplit(link).path == PAGE
    stripe_answers.exchanges += new_setup()
    page = ann.get(link)
    assert page.status_code == 200
    return page, parse_qs(urlsplit(link).query)["return_to"][0]


def saved(app) -> list[PaymentMethod]:
    with app.app_context():
        return list(db.session.scalars(select(PaymentMethod)))


def test_the_portal_links_both_kinds_and_the_bank_page_asks_stripe_for_an_instantly_verified_account(
        ann, stripe_answers):
    methods = ann.get("/portal/payment-methods").text
    assert ">Add a card</a>" in methods
    page, _ = open_bank_page(ann, stripe_answers)
    assert 'data-kind="us_bank_account"' in page.text
    assert f'data-client-secret="{SECRET}"' in page.text
    assert ACH_AUTHORIZATION in page.text  # the authorization the button accepts
    assert "Accept and add the bank account</button>" in page.text
    assert "<title>Add a bank account" in page.text
    made = stripe_answers.sent[1].form
    assert (made["payment_method_types[0]"], made["payment_method_options[us_bank_account][verification_method]"],
            made["usage"]) == ("us_bank_account", "instant", "off_session")


def test_the_account_stripe_saved_for_this_visit_is_added_with_its_routing_number_and_last_four(
        app, ann, stripe_answers):
    page, return_to = open_bank_page(ann, stripe_answers)
    stripe_answers.exchanges += [
        Exchange("GET", "/v1/setup_intents/seti_1Bank", 200, setup_intent(status="succeeded", pm="pm_1Bank")),
        *the_method_with_its_mandate(),  # finish_setup: what Stripe saved
        *the_method_with_its_mandate(),  # add_from_token, back on the app
    ]
    back = ann.post(PAGE, data={"csrf_token": csrf_token(page.text), "return_to": return_to,
                                "payment_method": "pm_1Bank"})
    assert back.status_code == 303
    assert back.headers["Location"] == f"{return_to}&token=pm_1Bank"
    listed = ann.get(back.headers["Location"], follow_redirects=True)
    assert "It is the default." in listed.text
    (method,) = saved(app)
    assert (method.customer_id, method.token, method.kind, method.country, method.routing_number, method.last4,
            method.holder_name, method.is_default) == (
        ann.customer_id, "pm_1Bank", "bank_account", "US", "110000000", "6789", "Northwind Dental", True)


@pytest.mark.parametrize("unfinished", [
    # The payer closed Stripe's bank window: no account attached.
    setup_intent(),
    # Microdeposits (never asked for: start_setup wants instant verification) would wait for days.
    setup_intent(status="requires_action", pm="pm_1Bank",
                 next_action={"type": "verify_with_microdeposits",
                              "verify_with_microdeposits": {"arrival_date": 1764300000,
                                                            "microdeposit_type": "descriptor_code"}}),
    # Stripe is still confirming it.
    setup_intent(status="processing", pm="pm_1Bank"),
    # Confirmed with another method than the one posted.
    setup_intent(status="succeeded", pm="pm_1Other"),
])
def test_an_account_this_visits_setup_intent_did_not_save_is_refused_and_nothing_is_added(
        app, ann, stripe_answers, unfinished):
    page, return_to = open_bank_page(ann, stripe_answers)
    stripe_answers.exchanges += [Exchange("GET", "/v1/setup_intents/seti_1Bank", 200, unfinished),
                                 *new_setup("seti_2Bank")]  # the page again, with a new SetupIntent
    refused = ann.post(PAGE, data={"csrf_token": csrf_token(page.text), "return_to": return_to,
                                   "payment_method": "pm_1Bank"})
    assert refused.status_code == 422
    assert "The payment method was not saved with the processor. Add it again." in refused.text
    assert "<title>Error: Add a bank account" in refused.text
    assert 'data-client-secret="seti_2Bank_secret_recorded"' in refused.text
    assert saved(app) == []


def test_a_post_with_no_setup_of_its_own_never_reaches_back_to_the_app(app, stripe_app, ann, stripe_answers):
    # A bank page never opened in this session: no SetupIntent to check the method against.
    stripe_answers.exchanges += [Exchange("GET", "/v1/setup_intents/", 404, {"error": {
        "type": "invalid_request_error", "code": "resource_missing", "message": "No such setupintent: ''"}}),
        *new_setup()]
    page = ann.get("/portal/payment-methods")
    refused = ann.post(f"{PAGE}?return_to=/portal/payment-methods", data={
        "csrf_token": csrf_token(page.text), "payment_method": "pm_1Bank"})
    assert refused.status_code == 422
    assert saved(app) == []
