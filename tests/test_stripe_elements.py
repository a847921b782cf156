"""Adding a card with PAYMENT_GATEWAY=stripe: the page hosting Stripe's card element, against
localstripe (the browser's side is tests/e2e/test_stripe_elements.py)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from stripe_fakes import confirm_card_setup, portal_user
from test_portal import GOOD_PASSWORD, portal_login

from conftest import Auth, csrf_token
from extensions import db
from models import PaymentMethod

PAGE = "/payment-methods/stripe/card"


@pytest.fixture
def ann(app, stripe_app, partner):
    """Ann, signed in to the portal of the app on the stripe gateway."""
    client = stripe_app.test_client()
    client.customer_id = portal_user(app, partner, password=GOOD_PASSWORD)
    assert portal_login(client, "ann@example.com").status_code == 303
    return client


def add_card_link(client, methods_page="/portal/payment-methods") -> str:
    """The portal's payment methods page's "Add a card" link (blueprints.PROCESSOR_PAGES)."""
    methods = client.get(methods_page)
    assert methods.status_code == 200
    href = re.search(r'<a[^>]*href="([^"]+)"[^>]*>Add a card</a>', methods.text).group(1)
    return href.replace("&amp;", "&")


def saved_methods(app) -> list[PaymentMethod]:
    with app.app_context():
        return list(db.session.scalars(select(PaymentMethod)))


def test_with_the_sandbox_there_is_no_stripe_page(client):
    assert client.get(f"{PAGE}?return_to=/portal/payment-methods").status_code == 404


def test_only_someone_signed_in_and_coming_from_the_app_opens_it(stripe_app, ann):
    assert stripe_app.test_client().get(f"{PAGE}?return_to=/portal/payment-methods").status_code == 403
    assert ann.get(PAGE).status_code == 400
    assert ann.get(f"{PAGE}?return_to=https://evil.example.com/").status_code == 400


def test_the_page_mounts_stripe_with_the_publishable_key_and_only_it_allows_stripe_js(ann, api_base):
    link = add_card_link(ann)
    assert urlsplit(link).path == PAGE
    page = ann.get(link)
    assert page.status_code == 200
    assert 'data-publishable-key="pk_test_localstripe"' in page.text
    assert f'<script src="{api_base}/js.stripe.com/v3/"></script>' in page.text
    assert re.search(r'data-client-secret="seti_\w+_secret_\w+"', page.text)
    assert "Payments go to Stripe: no real money moves" in page.text  # test keys: the TEST MODE banner
    policy = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {api_base};" in policy
    assert f"connect-src 'self' {api_base}" in policy
    # Every other page keeps the app's own policy.
    assert api_base not in ann.get("/portal/payment-methods").headers["Content-Security-Policy"]


def test_the_card_stripe_saved_for_this_visit_goes_back_to_the_app_and_is_added(app, ann, api_base):
    link = add_card_link(ann)
    page = ann.get(link)
    confirmed = confirm_card_setup(api_base, re.search(r'data-client-secret="([^"]+)"', page.text).group(1),
                                   "4242424242424242", name="Ann Lee")
    return_to = parse_qs(urlsplit(link).query)["return_to"][0]
    back = ann.post(PAGE, data={"csrf_token": csrf_token(page.text), "return_to": return_to,
                                "payment_method": confirmed["payment_method"]})
    assert back.status_code == 303
    assert back.headers["Location"] == f"{return_to}&token={confirmed['payment_method']}"
    listed = ann.get(back.headers["Location"], follow_redirects=True)
    assert "Added Visa •••• 4242. It is the default." in listed.text
    (method,) = saved_methods(app)
    assert (method.customer_id, method.token, method.kind, method.brand, method.last4, method.holder_name,
            method.exp_month, method.exp_year, method.is_default) == (
        ann.customer_id, confirmed["payment_method"], "credit_card", "visa", "4242", "Ann Lee", 12, 2030, True)


def test_a_card_added_on_the_way_to_paying_goes_back_to_the_pay_page_chosen(app, ann, api_base):
    link = add_card_link(ann, "/portal/payment-methods?next=/portal/pay%3Finvoice%3D7")
    page = ann.get(link)
    confirmed = confirm_card_setup(api_base, re.search(r'data-client-secret="([^"]+)"', page.text).group(1),
                                   "4242424242424242", name="Ann Lee")
    back = ann.post(PAGE, data={"csrf_token": csrf_token(page.text), "payment_method": confirmed["payment_method"],
                                "return_to": parse_qs(urlsplit(link).query)["return_to"][0]})
    landed = ann.get(back.headers["Location"])
    (method,) = saved_methods(app)
    assert landed.status_code == 303
    assert landed.headers["Location"] == f"/portal/pay?invoice=7&payment_method={method.id}"
    assert "Added Visa •••• 4242. It is the default." in ann.get(landed.headers["Location"]).text


def test_a_payment_method_this_visit_did_not_set_up_is_refused(app, stripe_app, ann, api_base):
    with stripe_app.app_context():
        from payments import gateway_for

        elsewhere = gateway_for(stripe_app).start_setup("card", "someone else")
    other = confirm_card_setup(api_base, elsewhere.client_secret, "4242424242424242")["payment_method"]
    link = add_card_link(ann)
    page = ann.get(link)
    return_to = parse_qs(urlsplit(link).query)["return_to"][0]
    for token in (other, ""):
        refused = ann.post(PAGE, data={"csrf_token": csrf_token(page.text), "return_to": return_to,
                                       "payment_method": token})
        assert refused.status_code == 422
        assert "The payment method was not saved with the processor. Add it again." in refused.text
        assert "<title>Error: " in refused.text
    assert saved_methods(app) == []


def test_a_partner_adds_a_card_from_the_customer_pages_link(app, stripe_app, partner, api_base):
    customer_id = portal_user(app, partner, password=GOOD_PASSWORD)
    staff = stripe_app.test_client()
    assert Auth(staff).login(partner.email).status_code == 303
    tab = staff.get(f"/customers/{customer_id}/payment-methods")
    assert tab.status_code == 200
    link = re.search(r'<a[^>]*href="([^"]+)"[^>]*>Add a card</a>', tab.text).group(1).replace("&amp;", "&")
    page = staff.get(link)
    assert page.status_code == 200
    confirmed = confirm_card_setup(api_base, re.search(r'data-client-secret="([^"]+)"', page.text).group(1),
                                   "5555555555554444", name="Northwind Dental AP")
    back = staff.post(PAGE, data={"csrf_token": csrf_token(page.text),
                                  "return_to": parse_qs(urlsplit(link).query)["return_to"][0],
                                  "payment_method": confirmed["payment_method"]})
    assert back.status_code == 303
    staff.get(back.headers["Location"])
    (method,) = saved_methods(app)
    assert (method.customer_id, method.last4, method.holder_name, method.created_by_staff_id) == (
        customer_id, "4444", "Northwind Dental AP", partner.id)
