"""Saved payment methods: the model and services.payment_methods (default rules, archive,
tenancy, history), and the pages that list and change them."""

import logging
import re
from html import unescape

import pytest
from customer_helpers import make_customer
from invoice_helpers import give_portal_password
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from test_portal import portal_login

from conftest import csrf_token
from extensions import db
from models import Customer, HistoryEntry, PaymentMethod, StaffUser
from payments import gateway_for
from payments.gateway import Declined
from payments.rules import BRAND_NAMES
from payments.sandbox import ACH_AUTHORIZATION, PAD_AGREEMENT
from services import payment_methods as methods
from unit_of_work import unit_of_work

PORTAL_PASSWORD = "violet tractor umbrella"


def card_token(app, number="4242424242424242", cvc="123"):
    with app.app_context():
        return gateway_for(app).tokenize_card(number=number, exp_month="12", exp_year="2030", cvc=cvc,
                                              name="Ann Lee").token


def bank_token(app, country="US"):
    branch = ({"routing_number": "110000000"} if country == "US"
              else {"institution_number": "000", "transit_number": "11000"})
    with app.app_context():
        return gateway_for(app).tokenize_bank(country=country, account_number="000123456789",
                                              account_holder="Northwind Dental", mandate_accepted=True,
                                              **branch).token


def add(app, partner, customer_id, token, **who):
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        method = methods.add_from_token(customer, token, gateway_for(app), **(who or {"staff_id": partner.id}))
        return method.id


def method_row(app, method_id) -> PaymentMethod:
    with app.app_context():
        row = db.session.get(PaymentMethod, method_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner)


# -- the service -------------------------------------------------------------------------------

def test_a_card_is_saved_with_what_the_processor_says_and_the_first_becomes_default(app, partner, customer_id):
    first = method_row(app, add(app, partner, customer_id, card_token(app)))
    assert (first.kind, first.brand, first.last4, first.exp_month, first.exp_year, first.holder_name) == (
        "credit_card", "visa", "4242", 12, 2030, "Ann Lee")
    assert first.is_default and first.created_by_staff_id == partner.id
    second = method_row(app, add(app, partner, customer_id, card_token(app, "4000056655665556")))
    assert (second.kind, second.is_default) == ("debit_card", False)


def test_a_us_bank_account_keeps_its_routing_number_and_a_canadian_one_its_pad_agreement(app, partner, customer_id):
    us = method_row(app, add(app, partner, customer_id, bank_token(app)))
    assert (us.kind, us.country, us.routing_number, us.last4, us.pad_accepted_at) == (
        "bank_account", "US", "110000000", "6789", None)
    ca = method_row(app, add(app, partner, customer_id, bank_token(app, "CA")))
    assert (ca.country, ca.institution_number, ca.transit_number) == ("CA", "000", "11000")
    assert ca.pad_accepted_at is not None and "pre-authorized debit" in ca.pad_text
    assert ca.pad_accepted_by == "Northwind Dental, entered by Acme IT staff <owner@acme-it.example.com>"


def test_archiving_the_default_makes_the_newest_active_method_the_default(app, partner, customer_id):
    first, second, third = (add(app, partner, customer_id, card_token(app)) for _ in range(3))
    with app.app_context(), unit_of_work():
        methods.archive(db.session.get(PaymentMethod, first), staff_id=partner.id)
    assert method_row(app, third).is_default and not method_row(app, second).is_default
    assert method_row(app, first).archived_at is not None and not method_row(app, first).is_default
    with app.app_context(), unit_of_work():
        methods.make_default(db.session.get(PaymentMethod, second), staff_id=partner.id)
    assert method_row(app, second).is_default and not method_row(app, third).is_default
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert [m.id for m in methods.active_methods(customer)] == [second, third]
        actions = [e.action for e in db.session.query(HistoryEntry).order_by(HistoryEntry.id)
                   if e.action.startswith("payment_method")]
    assert actions == ["payment_method.added"] * 3 + ["payment_method.archived", "payment_method.default"]


def test_archiving_the_last_method_leaves_no_default_and_the_next_added_becomes_it(app, partner, customer_id):
    only = add(app, partner, customer_id, card_token(app))
    with app.app_context(), unit_of_work():
        methods.archive(db.session.get(PaymentMethod, only), staff_id=partner.id)
    assert method_row(app, add(app, partner, customer_id, card_token(app))).is_default


def test_the_database_refuses_a_second_default(app, partner, customer_id):
    add(app, partner, customer_id, card_token(app))
    second = add(app, partner, customer_id, card_token(app))
    with app.app_context(), pytest.raises((IntegrityError, methods.DefaultChanged)), unit_of_work():
        db.session.get(PaymentMethod, second).is_default = True


def test_a_token_is_saved_once_and_an_unknown_token_is_refused(app, partner, customer_id):
    token = card_token(app)
    add(app, partner, customer_id, token)
    with pytest.raises(methods.AlreadyAdded):
        add(app, partner, customer_id, token)
    with pytest.raises(methods.TokenRefused, match="not known to the processor"):
        add(app, partner, customer_id, "tok_made_up")


def test_another_customers_or_partners_method_is_not_found(app, partner, other_partner, customer_id):
    mine = add(app, partner, customer_id, card_token(app))
    neighbour = make_customer(app, partner, company="Contoso", ein=None)
    theirs = make_customer(app, other_partner)
    with app.app_context():
        assert methods.find_method(db.session.get(Customer, customer_id), mine) is not None
        assert methods.find_method(db.session.get(Customer, neighbour), mine) is None
        assert methods.find_method(db.session.get(Customer, theirs), mine) is None


# -- the sandbox processor's forms and the pages, through a browser's requests ------------------------

ADD_LINK = re.compile(r'<a class="button[^"]*" href="([^"]+)">(Add a card|Add a bank account)</a>')


def portal_user(app, partner, client, company="Northwind Dental", email="ann@example.com", **details):
    customer_id = make_customer(app, partner, users=(("Ann Lee", email),), company=company, **details)
    give_portal_password(app, email, PORTAL_PASSWORD)
    assert portal_login(client, email, PORTAL_PASSWORD).status_code == 303
    return customer_id


def add_links(client, page="/portal/payment-methods") -> dict[str, str]:
    html = client.get(page).text
    return {text: unescape(href) for href, text in ADD_LINK.findall(html)}


def submit(client, link: str, fields: dict, *, country=None):
    """Open the processor's form from the app's link and post it as a browser would."""
    form_page = client.get(link + (f"&country={country}" if country else ""))
    assert form_page.status_code == 200, form_page.text
    return_to = re.search(r'name="return_to" type="hidden" value="([^"]*)"', form_page.text)
    data = {"csrf_token": csrf_token(form_page.text), "return_to": unescape(return_to.group(1)), **fields}
    path = link.split("?", 1)[0]
    return client.post(path, data=data)


CARD = {"exp_month": "12", "exp_year": "2030", "cvc": "123", "name": "Ann Lee"}
US_BANK = {"country": "US", "routing_number": "110000000", "account_holder": "Northwind Dental"}
CA_BANK = {"country": "CA", "institution_number": "000", "transit_number": "11000",
           "account_holder": "Northwind Dental", "pad_agreement": "y"}


@pytest.fixture
def portal(app, partner):
    client = app.test_client()
    client.customer_id = portal_user(app, partner, client)
    return client


def saved(app, customer_id) -> list[PaymentMethod]:
    with app.app_context():
        rows = db.session.scalars(select(PaymentMethod).where(PaymentMethod.customer_id == customer_id)
                                  .order_by(PaymentMethod.id)).all()
        db.session.expunge_all()
        return rows


def back_to_the_app(client, response):
    """Follow the processor's 303 back to the app's receiving route, and its 303 to the list."""
    assert response.status_code == 303, response.text
    assert "token=tok_" in response.headers["Location"]
    landed = client.get(response.headers["Location"])
    assert landed.status_code == 303
    return client.get(landed.headers["Location"])


@pytest.mark.parametrize(("number", "brand", "kind", "declines"), [
    ("4242 4242 4242 4242", "visa", "credit_card", None),
    ("5555 5555 5555 4444", "mastercard", "credit_card", None),
    ("3782 822463 10005", "amex", "credit_card", None),
    ("6011 1111 1111 1117", "discover", "credit_card", None),
    ("4000 0566 5566 5556", "visa", "debit_card", None),
    ("4000 0000 0000 0002", "visa", "credit_card", "The card was declined"),
    ("4000 0000 0000 9995", "visa", "credit_card", "insufficient funds"),
    ("4000 0000 0000 0069", "visa", "credit_card", "The card has expired"),
    ("4000 0000 0000 0127", "visa", "credit_card", "security code is incorrect"),
    ("4000 0000 0000 0119", "visa", "credit_card", "could not be processed"),
])
def test_each_test_card_is_added_through_the_processors_form_and_charges_as_published(
        app, portal, number, brand, kind, declines):
    cvc = "1234" if brand == "amex" else "123"
    page = back_to_the_app(portal, submit(portal, add_links(portal)["Add a card"],
                                          {**CARD, "number": number, "cvc": cvc}))
    (method,) = saved(app, portal.customer_id)
    assert (method.kind, method.brand, method.last4, method.is_default) == (kind, brand, number[-4:], True)
    assert f"{BRAND_NAMES[brand]} •••• {number[-4:]}" in page.text and "Default" in page.text
    with app.app_context():
        if declines:
            with pytest.raises(Declined, match=declines):
                gateway_for(app).charge(method.token, 1000, "USD", "key-1")
        else:
            assert gateway_for(app).charge(method.token, 1000, "USD", "key-1").status == "succeeded"


@pytest.mark.parametrize(("account", "settles"), [
    ("000123456789", "succeeded"), ("000111111116", "failed"), ("000111111113", "failed"), ("000222222227", "failed"),
])
@pytest.mark.parametrize("bank", ["US", "CA"])
def test_each_test_account_is_added_through_the_processors_form_and_debits_as_published(
        app, portal, account, settles, bank):
    fields = US_BANK if bank == "US" else CA_BANK
    page = back_to_the_app(portal, submit(portal, add_links(portal)["Add a bank account"],
                                          {**fields, "account_number": account}, country=bank))
    (method,) = saved(app, portal.customer_id)
    assert (method.kind, method.country, method.last4) == ("bank_account", bank, account[-4:])
    assert f"Bank account •••• {account[-4:]}" in page.text
    if bank == "US":
        assert (method.routing_number, method.pad_accepted_at) == ("110000000", None)
    else:
        assert (method.institution_number, method.transit_number) == ("000", "11000")
        assert method.pad_accepted_by == "Ann Lee <ann@example.com>" and method.pad_accepted_at is not None
        assert method.pad_text == PAD_AGREEMENT
    with app.app_context():
        gateway = gateway_for(app)
        charge = gateway.charge(method.token, 1000, "USD" if bank == "US" else "CAD", "debit-1")
        assert (charge.status, gateway.debit_status(charge.id).status) == ("pending", settles)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"number": "4111 1111 1111 1111"}, "number", "This is test mode: real cards are refused"),
    ({"number": "4242 4242 4242 4241"}, "number", "Check the card number: a digit is wrong or two are swapped"),
    ({"number": ""}, "number", "Enter the card number"),
    ({"exp_month": "13"}, "exp_month", "Enter the expiry month as a number from 1 to 12"),
    ({"exp_month": "1", "exp_year": "2020"}, "exp_year", "The card has expired"),
    ({"number": "3782 822463 10005", "cvc": "123"}, "cvc", "Enter the 4-digit security code on the front of the card"),
    ({"name": " "}, "name", "Enter the name on the card"),
])
def test_a_refused_card_form_shows_the_message_by_the_field_and_never_the_number(
        app, portal, fields, field, message):
    posted = {**CARD, "number": "4242 4242 4242 4242", **fields}
    page = submit(portal, add_links(portal)["Add a card"], posted)
    assert page.status_code == 422
    row = field_row_html(page.text, field)
    assert message in row and 'aria-invalid="true"' in row
    assert_no_number_in(page.text, posted["number"], posted["cvc"])
    assert saved(app, portal.customer_id) == []


def test_an_empty_card_form_asks_for_every_field_at_once(portal):
    page = submit(portal, add_links(portal)["Add a card"], {})
    assert page.status_code == 422
    for field, message in [("number", "Enter the card number"),
                           ("exp_month", "Enter the expiry month as a number from 1 to 12"),
                           ("exp_year", "Enter the expiry year, like 2030"), ("cvc", "Enter the security code"),
                           ("name", "Enter the name on the card")]:
        assert message in field_row_html(page.text, field)


def field_row_html(html: str, field: str) -> str:
    start = html.index(f'id="row-{field}"')
    return html[start:html.index("</div>", start)]


def assert_no_number_in(text: str, *numbers: str) -> None:
    for number in numbers:
        digits = re.sub(r"\D", "", number)
        if len(digits) >= 7:  # a security code's 3 digits may be anywhere (a date, a token)
            assert digits not in re.sub(r"[\s-]", "", text), number
            assert number not in text


@pytest.mark.parametrize(("form", "fields", "field", "message"), [
    ("card", {"number": "4242 4242 4242 4241"}, "number", "a digit is wrong or two are swapped"),
    ("card", {"number": "3782 822463 10005", "cvc": "123"}, "cvc", "4-digit security code"),
    ("card", {"exp_month": "11", "exp_year": "2019"}, "exp_year", "The card has expired"),
    ("bank", {"country": "US", "routing_number": "110000001"}, "routing_number", "a digit is wrong"),
    ("bank", {"country": "US", "account_number": "12"}, "account_number", "4 to 17 digits"),
    ("bank", {"country": "CA", "account_number": "123456"}, "account_number", "7 to 12 digits"),
    ("bank", {"country": "CA", "transit_number": "1100"}, "transit_number", "5 digits"),
])
def test_leaving_a_field_checks_it_with_the_processors_rule(app, portal, form, fields, field, message):
    page = portal.get(add_links(portal)["Add a card" if form == "card" else "Add a bank account"])
    data = {"csrf_token": csrf_token(page.text), **fields}
    row = portal.post(f"/sandbox-processor/{form}/check/{field}", data=data,
                      headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert row.status_code == 200
    assert f'id="row-{field}"' in row.text and message in row.text
    assert_no_number_in(row.text, *(fields.get(name, "") for name in ("number", "account_number")))
    assert portal.post(f"/sandbox-processor/{form}/check/nope", data=data).status_code == 404


def test_a_us_account_shows_the_ach_authorization_that_submitting_accepts(app, portal):
    page = portal.get(add_links(portal)["Add a bank account"]).text
    assert "ACH debit authorization" in page and ACH_AUTHORIZATION in page
    assert "Adding the account accepts this authorization" in page
    assert 'name="pad_agreement"' not in page and 'name="routing_number"' in page


def test_a_canadian_account_needs_the_pad_agreement_ticked(app, portal):
    link = add_links(portal)["Add a bank account"]
    page = portal.get(link + "&country=CA").text
    assert PAD_AGREEMENT in page and 'name="pad_agreement"' in page
    assert 'name="institution_number"' in page and 'name="routing_number"' not in page
    unticked = {key: value for key, value in CA_BANK.items() if key != "pad_agreement"}
    refused = submit(portal, link, {**unticked, "account_number": "000123456789"}, country="CA")
    assert refused.status_code == 422
    assert "Tick the box to accept the pre-authorized debit agreement" in field_row_html(refused.text, "pad_agreement")
    assert_no_number_in(refused.text, "000123456789")
    assert saved(app, portal.customer_id) == []


def test_the_portal_user_archives_and_chooses_the_default(app, portal):
    for number in ("4242 4242 4242 4242", "5555 5555 5555 4444", "6011 1111 1111 1117"):
        back_to_the_app(portal, submit(portal, add_links(portal)["Add a card"], {**CARD, "number": number}))
    visa, mastercard, discover = (m.id for m in saved(app, portal.customer_id))
    token = csrf_token(portal.get("/portal/payment-methods").text)
    response = portal.post(f"/portal/payment-methods/{mastercard}/default", data={"csrf_token": token})
    assert response.status_code == 303
    assert [m.is_default for m in saved(app, portal.customer_id)] == [False, True, False]
    assert portal.post(f"/portal/payment-methods/{mastercard}/archive", data={"csrf_token": token}).status_code == 303
    page = portal.get("/portal/payment-methods").text
    assert "Removed Mastercard •••• 4444." in page and "Mastercard •••• 4444</strong>" not in page
    # The newest remaining method became the default.
    assert [(m.id, m.is_default) for m in saved(app, portal.customer_id) if m.archived_at is None] == [
        (visa, False), (discover, True)]
    assert portal.post(f"/portal/payment-methods/{mastercard}/archive", data={"csrf_token": token}).status_code == 404
    assert portal.post(f"/portal/payment-methods/{visa}/default").status_code == 400  # no CSRF token
    with app.app_context():
        entries = db.session.scalars(select(HistoryEntry.subject).where(HistoryEntry.action.like("payment_method%"))
                                     .order_by(HistoryEntry.id)).all()
    assert entries[-1] == "Mastercard •••• 4444, by Ann Lee <ann@example.com> in the portal"


def test_a_portal_user_never_reaches_another_companys_methods(app, partner, other_partner, portal):
    back_to_the_app(portal, submit(portal, add_links(portal)["Add a card"], {**CARD, "number": "4242424242424242"}))
    (mine,) = saved(app, portal.customer_id)
    other = app.test_client()
    portal_user(app, other_partner, other, company="Elsewhere Inc", email="eve@example.com")
    token = csrf_token(other.get("/portal/payment-methods").text)
    assert "Visa •••• 4242" not in other.get("/portal/payment-methods").text
    for action in ("archive", "default"):
        assert other.post(f"/portal/payment-methods/{mine.id}/{action}", data={"csrf_token": token}).status_code == 404
    # Nor can it save a method for a company it is not a user of.
    assert other.get(f"/portal/payment-methods/added?customer={portal.customer_id}&token=x&state=y").status_code == 404


def test_a_token_in_a_link_made_for_another_session_is_refused(app, portal):
    response = submit(portal, add_links(portal)["Add a card"], {**CARD, "number": "4242424242424242"})
    planted = response.headers["Location"]
    victim = app.test_client()
    portal_user(app, partner_of(app, portal.customer_id), victim, company="Victim Co", email="vic@example.com",
                ein=None)
    victim_customer = saved_customer_id(app, "Victim Co")
    forged = planted.replace(f"customer={portal.customer_id}", f"customer={victim_customer}")
    assert victim.get(forged).status_code == 400
    assert saved(app, victim_customer) == []


def partner_of(app, customer_id):
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).join(Customer, Customer.partner_id == StaffUser.partner_id)
                                  .where(Customer.id == customer_id))
        db.session.expunge(staff)
        return staff


def saved_customer_id(app, company) -> int:
    with app.app_context():
        return db.session.scalar(select(Customer.id).where(Customer.company == company))


@pytest.mark.parametrize("return_to", ["", "//evil.example/x", "https://evil.example/x", "/\\evil.example"])
def test_the_processors_form_refuses_a_return_address_off_the_site(portal, return_to):
    assert portal.get("/sandbox-processor/card", query_string={"return_to": return_to}).status_code == 400


def test_cancelling_the_form_goes_back_to_the_list_with_nothing_added(app, portal):
    page = portal.get(add_links(portal)["Add a card"]).text
    cancel = unescape(re.search(r'<a href="([^"]+)">Cancel and go back</a>', page).group(1))
    response = portal.get(cancel)
    assert (response.status_code, response.headers["Location"]) == (303, "/portal/payment-methods")
    assert saved(app, portal.customer_id) == []


# -- the customer page's Payment methods tab ---------------------------------------------------------------------

def test_staff_add_archive_and_choose_the_default_on_the_customer_page(app, partner, signed_in, customer_id):
    tab = f"/customers/{customer_id}/payment-methods"
    page = signed_in.get(tab)
    assert page.status_code == 200 and "No payment methods yet." in page.text
    links = add_links(signed_in, tab)
    back_to_the_app(signed_in, submit(signed_in, links["Add a card"], {**CARD, "number": "4242424242424242"}))
    landed = back_to_the_app(signed_in, submit(signed_in, links["Add a bank account"],
                                               {**CA_BANK, "account_number": "000123456789"}, country="CA"))
    assert "Visa •••• 4242" in landed.text and "Bank account •••• 6789" in landed.text
    card, bank = saved(app, customer_id)
    assert (card.created_by_staff_id, card.is_default, bank.is_default) == (partner.id, True, False)
    assert bank.pad_accepted_by == "Northwind Dental, entered by Acme IT staff <owner@acme-it.example.com>"
    token = csrf_token(landed.text)
    assert signed_in.post(f"{tab}/{bank.id}/default", data={"csrf_token": token}).status_code == 303
    assert signed_in.post(f"{tab}/{card.id}/archive", data={"csrf_token": token}).status_code == 303
    assert [(m.archived_at is None, m.is_default) for m in saved(app, customer_id)] == [(False, False), (True, True)]
    history = signed_in.get(f"/customers/{customer_id}/history").text
    assert "Archived a payment method" in history and "Added a payment method" in history


def test_another_partners_or_customers_method_is_404_on_the_customer_page(app, partner, other_partner, signed_in,
                                                                          customer_id):
    mine = add(app, partner, customer_id, card_token(app))
    neighbour = make_customer(app, partner, company="Contoso", ein=None)
    theirs = make_customer(app, other_partner)
    token = csrf_token(signed_in.get(f"/customers/{customer_id}/payment-methods").text)
    assert signed_in.post(f"/customers/{neighbour}/payment-methods/{mine}/archive",
                          data={"csrf_token": token}).status_code == 404
    assert signed_in.get(f"/customers/{theirs}/payment-methods").status_code == 404
    assert signed_in.post(f"/customers/{theirs}/payment-methods/{mine}/default",
                          data={"csrf_token": token}).status_code == 404
    assert method_row(app, mine).archived_at is None


def test_no_card_or_account_number_reaches_a_page_or_a_log(app, portal, caplog):
    caplog.set_level(logging.DEBUG)
    numbers = ["4242 4242 4242 4242", "4000 0000 0000 0002", "3782 822463 10005"]
    pages = []
    for number in numbers:
        link = add_links(portal)["Add a card"]
        pages.append(submit(portal, link, {**CARD, "number": number, "exp_month": "13"}).text)  # refused
        pages.append(portal.post("/sandbox-processor/card/check/number", data={
            "csrf_token": csrf_token(portal.get(link).text), "number": number}).text)
        pages.append(back_to_the_app(portal, submit(
            portal, link, {**CARD, "number": number, "cvc": "1234" if number.startswith("37") else "123"})).text)
    accounts = ["000123456789", "000111111116"]
    for account in accounts:
        link = add_links(portal)["Add a bank account"]
        pages.append(submit(portal, link, {**US_BANK, "account_number": account, "account_holder": ""}).text)
        pages.append(back_to_the_app(portal, submit(portal, link, {**US_BANK, "account_number": account})).text)
    everything = "\n".join(pages) + caplog.text
    with app.app_context():
        for table in db.metadata.sorted_tables:
            everything += "\n".join(repr(tuple(row)) for row in db.session.execute(table.select()))
    assert_no_number_in(everything, *numbers, *accounts)
    assert len(saved(app, portal.customer_id)) == 5


def test_a_head_on_the_way_back_saves_nothing_and_the_get_then_saves_the_card(app, portal):
    links = add_links(portal)
    response = submit(portal, links["Add a card"], {**CARD, "number": "4242 4242 4242 4242"})
    way_back = response.headers["Location"]
    assert portal.head(way_back).status_code == 303
    assert saved(app, portal.customer_id) == []
    assert portal.get(way_back).status_code == 303
    assert [method.last4 for method in saved(app, portal.customer_id)] == ["4242"]
