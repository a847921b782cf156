"""The payment gateway interface, the sandbox processor's test data and rules, the TEST MODE banner."""

import threading
from dataclasses import asdict
from datetime import date

import pytest
from fresh_app import run_fresh_app
from sqlalchemy import text

from extensions import db
from payments import gateway_for
from payments.gateway import Declined, GatewayError
from payments.sandbox import TEST_ACCOUNTS, TEST_CARDS, DetailsRefused, SandboxGateway
from unit_of_work import unit_of_work

TODAY = date(2026, 11, 25)
SANDBOX_TABLES = ("sandbox_tokens", "sandbox_charges", "sandbox_refunds")


@pytest.fixture
def sandbox(app):
    with app.app_context():
        yield gateway_for(app)


def add_card(sandbox, number="4242 4242 4242 4242", exp_month="12", exp_year="2030", cvc=None, name="Ann Lee"):
    if cvc is None:
        cvc = "1234" if number.replace(" ", "").startswith("37") else "123"
    return sandbox.tokenize_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, name=name,
                                 today=TODAY)


def add_bank(sandbox, account="000123456789", **details):
    fields = {"country": "US", "routing_number": "110000000", "account_holder": "Northwind Dental",
              "mandate_accepted": True, **details, "account_number": account}
    return sandbox.tokenize_bank(**fields)


def refusal(call) -> dict[str, str]:
    with pytest.raises(DetailsRefused) as refused:
        call()
    return refused.value.errors


# -- the interface and its configuration ---------------------------------------------------

def test_the_sandbox_is_the_default_gateway_and_in_test_mode(sandbox):
    assert isinstance(sandbox, SandboxGateway)
    assert (sandbox.name, sandbox.test_mode) == ("sandbox", True)


# -- the processor's published test data: every number, its outcome ------------------------

CARD_MATRIX = [
    ("4242 4242 4242 4242", "visa", "credit_card", None),
    ("5555 5555 5555 4444", "mastercard", "credit_card", None),
    ("3782 822463 10005", "amex", "credit_card", None),
    ("6011 1111 1111 1117", "discover", "credit_card", None),
    ("4000 0566 5566 5556", "visa", "debit_card", None),
    ("4000 0000 0000 0002", "visa", "credit_card", "card_declined"),
    ("4000 0000 0000 9995", "visa", "credit_card", "insufficient_funds"),
    ("4000 0000 0000 0069", "visa", "credit_card", "expired_card"),
    ("4000 0000 0000 0127", "visa", "credit_card", "incorrect_cvc"),
    ("4000 0000 0000 0119", "visa", "credit_card", "processing_error"),
]


def test_the_matrix_covers_every_test_card():
    assert {number.replace(" ", "") for number, *_ in CARD_MATRIX} == set(TEST_CARDS)


@pytest.mark.parametrize(("number", "brand", "kind", "decline"), CARD_MATRIX)
def test_each_test_card_charges_as_the_processor_publishes(sandbox, number, brand, kind, decline):
    method = add_card(sandbox, number)
    digits = number.replace(" ", "")
    assert (method.brand, method.kind, method.last4, method.exp_month, method.exp_year) == (
        brand, kind, digits[-4:], 12, 2030)
    assert sandbox.payment_method(method.token) == method
    if decline is None:
        charge = sandbox.charge(method.token, 15000, "USD", "attempt-1")
        assert (charge.status, charge.amount_cents, charge.currency) == ("succeeded", 15000, "USD")
        assert sandbox.debit_status(charge.id).status == "succeeded"
    else:
        with pytest.raises(Declined) as declined:
            sandbox.charge(method.token, 15000, "USD", "attempt-1")
        assert declined.value.code == decline
        assert declined.value.message.endswith(".") and "card" in declined.value.message


BANK_MATRIX = [
    ("000123456789", "succeeded", ""),
    ("000111111116", "failed", "no_account"),
    ("000111111113", "failed", "account_closed"),
    ("000222222227", "failed", "insufficient_funds"),
]


def test_the_matrix_covers_every_test_account():
    assert {account for account, *_ in BANK_MATRIX} == set(TEST_ACCOUNTS)


@pytest.mark.parametrize(("account", "settles", "code"), BANK_MATRIX)
def test_each_test_account_debits_pending_then_settles_as_published(sandbox, account, settles, code):
    method = add_bank(sandbox, account)
    assert (method.kind, method.last4, method.routing_number, method.brand) == (
        "bank_account", account[-4:], "110000000", "")
    charge = sandbox.charge(method.token, 2500, "USD", "debit-1")
    assert charge.status == "pending"
    status = sandbox.debit_status(charge.id)
    assert (status.status, status.code) == (settles, code)
    assert bool(status.message) == bool(code)
    assert sandbox.debit_status(charge.id) == status  # settled once, for good
    assert sandbox.charge(method.token, 2500, "USD", "debit-1").status == settles  # a replay sees it settled


def test_a_canadian_test_account_is_debited_in_cad(sandbox):
    method = add_bank(sandbox, country="CA", routing_number="", institution_number="000", transit_number="11000")
    assert (method.country, method.institution_number, method.transit_number) == ("CA", "000", "11000")
    with pytest.raises(GatewayError, match="CAD"):
        sandbox.charge(method.token, 2500, "USD", "debit-usd")
    charge = sandbox.charge(method.token, 2500, "CAD", "debit-cad")
    assert sandbox.debit_status(charge.id).status == "succeeded"


# -- idempotency -------------------------------------------------------------------------------

def sandbox_rows(table: str) -> int:
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 - our names


def test_the_same_idempotency_key_answers_the_same_charge_and_charges_once(sandbox):
    token = add_card(sandbox).token
    first = sandbox.charge(token, 15000, "USD", "pay-7")
    assert sandbox.charge(token, 15000, "USD", "pay-7") == first
    assert sandbox.charge(token, 15000, "USD", "pay-8") != first
    assert sandbox_rows("sandbox_charges") == 2


def test_a_declined_attempt_replays_its_decline_without_a_second_charge(sandbox):
    token = add_card(sandbox, "4000000000009995").token
    for _ in range(2):
        with pytest.raises(Declined, match="insufficient funds"):
            sandbox.charge(token, 15000, "USD", "pay-9")
    assert sandbox_rows("sandbox_charges") == 1


def test_a_key_reused_for_another_amount_is_refused(sandbox):
    token = add_card(sandbox).token
    sandbox.charge(token, 15000, "USD", "pay-10")
    with pytest.raises(GatewayError) as refused:
        sandbox.charge(token, 9900, "USD", "pay-10")
    assert refused.value.code == "idempotency_key_reused"


def test_a_charge_outlives_the_apps_failed_write_and_is_found_again_by_its_key(sandbox):
    token = add_card(sandbox).token
    with pytest.raises(RuntimeError), unit_of_work():
        charge = sandbox.charge(token, 15000, "USD", "pay-11")
        raise RuntimeError("the app's write failed after the charge")
    assert sandbox.charge(token, 15000, "USD", "pay-11") == charge
    assert sandbox_rows("sandbox_charges") == 1


def test_concurrent_charges_with_one_key_charge_once(app, sandbox):
    token = add_card(sandbox).token
    charges, errors = [], []

    def pay():
        with app.app_context():
            try:
                charges.append(gateway_for(app).charge(token, 15000, "USD", "pay-race"))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({charge.id for charge in charges}) == 1
    assert sandbox_rows("sandbox_charges") == 1


# -- refunds ----------------------------------------------------------------------------------

def test_refunds_in_part_replay_by_key_and_never_exceed_the_charge(sandbox):
    charge = sandbox.charge(add_card(sandbox).token, 15000, "USD", "pay-12")
    first = sandbox.refund(charge.id, 5000, "refund-1")
    assert sandbox.refund(charge.id, 5000, "refund-1") == first
    with pytest.raises(GatewayError, match=r"at most \$100\.00") as refused:
        sandbox.refund(charge.id, 10001, "refund-2")
    assert refused.value.code == "amount_too_large"
    assert sandbox.refund(charge.id, 10000, "refund-3").amount_cents == 10000
    assert sandbox_rows("sandbox_refunds") == 2


def test_a_pending_or_failed_debit_cannot_be_refunded(sandbox):
    pending = sandbox.charge(add_bank(sandbox).token, 2500, "USD", "debit-2")
    with pytest.raises(GatewayError) as refused:
        sandbox.refund(pending.id, 2500, "refund-4")
    assert refused.value.code == "charge_not_refundable"


def test_unknown_tokens_and_charges_are_refused(sandbox):
    with pytest.raises(GatewayError, match="not known"):
        sandbox.charge("tok_made_up", 100, "USD", "pay-13")
    with pytest.raises(GatewayError, match="no such payment"):
        sandbox.debit_status("ch_made_up")


# -- the processor's form rules: each refusal with its message -------------------------------

@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"number": ""}, "number", "Enter the card number"),
    ({"number": "4242 4242 4242 424x"}, "number", "Enter the card number as it is shown on the card"),
    ({"number": "４２４２４２４２４２４２４２４２"}, "number", "Enter the card number as it is shown on the card"),
    ({"number": "4242 4242 4242 4241"}, "number", "Check the card number: a digit is wrong or two are swapped"),
    ({"number": "9999 9999 9999 9995"}, "number", "Use a Visa, Mastercard, American Express or Discover card"),
    ({"number": "3782 822463 1000"}, "number", "a American Express card number has 15 digits"),
    ({"number": "4111 1111 1111 1111"}, "number", "This is test mode: real cards are refused"),
    ({"number": "5105 1051 0510 5100"}, "number", "This is test mode: real cards are refused"),
    ({"exp_month": "13"}, "exp_month", "Enter the expiry month as a number from 1 to 12"),
    ({"exp_year": "3O"}, "exp_year", "Enter the expiry year, like 2030"),
    ({"exp_month": "10", "exp_year": "2026"}, "exp_year", "The card has expired"),
    ({"exp_month": "11", "exp_year": "2060"}, "exp_year", "cards expire within 20 years"),
    ({"cvc": "12"}, "cvc", "Enter the 3-digit security code on the back of the card"),
    ({"number": "3782 822463 10005", "cvc": "123"}, "cvc", "Enter the 4-digit security code on the front of the card"),
    ({"name": "  "}, "name", "Enter the name on the card"),
])
def test_card_details_are_refused_with_the_fields_message(sandbox, fields, field, message):
    errors = refusal(lambda: add_card(sandbox, **fields))
    assert message in errors[field]
    assert sandbox_rows("sandbox_tokens") == 0


@pytest.mark.parametrize(("typed", "month", "year"), [
    ({"number": "4242-4242-4242-4242"}, 12, 2030),
    ({"number": " 4242 4242 4242 4242 ", "exp_month": "3", "exp_year": "31"}, 3, 2031),
    ({"exp_month": "11", "exp_year": "2026"}, 11, 2026),  # this month is not yet past
])
def test_card_details_are_normalized_before_they_are_judged(sandbox, typed, month, year):
    method = add_card(sandbox, **typed)
    assert (method.last4, method.exp_month, method.exp_year) == ("4242", month, year)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"routing_number": ""}, "routing_number", "Enter the routing number"),
    ({"routing_number": "11000000"}, "routing_number", "Enter the routing number as 9 digits"),
    ({"routing_number": "110000001"}, "routing_number", "Check the routing number: a digit is wrong"),
    ({"routing_number": "021000021"}, "routing_number", "This is test mode: use the test routing number, 110000000"),
    ({"account": "123"}, "account_number", "Enter the account number as 4 to 17 digits"),
    ({"account": "1" * 18}, "account_number", "Enter the account number as 4 to 17 digits"),
    ({"account": "000999999999"}, "account_number", "This is test mode: real accounts are refused"),
    ({"account_holder": ""}, "account_holder", "Enter the account holder"),
    ({"country": "FR"}, "country", "Select United States or Canada"),
    ({"country": "CA", "institution_number": "12", "transit_number": "11000"}, "institution_number",
     "Enter the institution number as 3 digits"),
    ({"country": "CA", "institution_number": "000", "transit_number": "1100"}, "transit_number",
     "Enter the transit number as 5 digits"),
    ({"country": "CA", "institution_number": "001", "transit_number": "11000"}, "institution_number",
     "use the test institution number, 000"),
    ({"country": "CA", "institution_number": "000", "transit_number": "11000", "account": "123456"},
     "account_number", "Enter the account number as 7 to 12 digits"),
    ({"country": "CA", "institution_number": "000", "transit_number": "11000", "account": "0001234567890"},
     "account_number", "Enter the account number as 7 to 12 digits"),
    ({"country": "CA", "institution_number": "000", "transit_number": "11000", "mandate_accepted": False},
     "pad_agreement", "Tick the box to accept the pre-authorized debit agreement"),
])
def test_bank_details_are_refused_with_the_fields_message(sandbox, fields, field, message):
    errors = refusal(lambda: add_bank(sandbox, **fields))
    assert message in errors[field]
    assert sandbox_rows("sandbox_tokens") == 0


# -- no card or account number is kept -------------------------------------------------------

def test_no_card_or_account_number_is_kept_anywhere(app, sandbox):
    methods = [add_card(sandbox, number) for number, *_ in CARD_MATRIX]
    methods += [add_bank(sandbox, account) for account, *_ in BANK_MATRIX]
    for index, method in enumerate(methods):
        try:
            charge = sandbox.charge(method.token, 1000, "USD", f"keep-{index}")
            sandbox.debit_status(charge.id)
        except Declined:
            pass
    kept = "\n".join(repr(asdict(method)) for method in methods)
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            kept += "\n" + repr(tuple(row))
    assert sandbox_rows("sandbox_tokens") == len(methods)
    for number in [*TEST_CARDS, *TEST_ACCOUNTS]:
        assert number not in kept
        assert number[-4:] in kept  # the last four are kept, as the app may keep them


# -- the TEST MODE banner -----------------------------------------------------------------------

def test_every_page_shows_the_test_mode_banner_while_the_sandbox_is_the_gateway(signed_in):
    for path in ("/customers", "/portal/login"):
        page = signed_in.get(path).text if path == "/customers" else signed_in.application.test_client().get(path).text
        assert '<section class="test-mode" aria-label="Test mode">' in page, path
        assert "no real money moves" in page


def test_no_banner_nor_sandbox_forms_when_the_gateway_moves_real_money(tmp_path):
    shown = run_fresh_app("""
        import os
        from payments import GATEWAYS

        class LiveGateway:
            name, test_mode = "live", False

            def __init__(self, app):
                pass

        GATEWAYS["live"] = LiveGateway
        pages = {path: "Test mode" in client.get(path).text for path in ("/login", "/portal/login")}
        app.config["PAYMENT_GATEWAY"] = "live"
        live = {path: "Test mode" in client.get(path).text for path in ("/login", "/portal/login")}
        # The sandbox processor's forms are there only for an app made with the sandbox gateway.
        form = "/sandbox-processor/card?return_to=/portal"
        os.environ["PAYMENT_GATEWAY"] = "live"
        report({"sandbox": pages, "live": live,
                "forms": [client.get(form).status_code, create_app().test_client().get(form).status_code]})
    """, APP_ENV="test", DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}")
    assert shown == {"sandbox": {"/login": True, "/portal/login": True},
                     "live": {"/login": False, "/portal/login": False}, "forms": [200, 404]}
