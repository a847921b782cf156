"""The stripe gateway: against localstripe for cards, against recorded responses for what
localstripe does not do (bank debits, Stripe's decline codes, idempotent replays)."""

from datetime import datetime

import pytest
from fresh_app import run_fresh_app
from stripe_fakes import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    Exchange,
    Recorded,
    acss_method,
    card_error,
    card_method,
    charge,
    confirm_card_setup,
    idempotency_error,
    payment_intent,
    refund,
    setup_intents_with_mandate,
    us_bank_method,
)

from config import ConfigError
from payments.gateway import REASONS, Charge, DebitStatus, Declined, GatewayError, PaymentMethod
from payments.stripe_gateway import StripeGateway, StripeSettings


@pytest.fixture
def stripe_gateway(api_base):
    return StripeGateway(StripeSettings(SECRET_KEY, PUBLISHABLE_KEY, api_base))


def save_card(gateway: StripeGateway, api_base: str, number: str) -> PaymentMethod:
    """The add-card flow: a SetupIntent here, the card confirmed by the browser, the token back."""
    setup = gateway.start_setup("card", "customer 17")
    confirmed = confirm_card_setup(api_base, setup.client_secret, number)
    assert confirmed["status"] == "succeeded", confirmed
    return gateway.finish_setup(setup.id, confirmed["payment_method"])


# -- configuration ----------------------------------------------------------------------------

@pytest.mark.parametrize(("config", "message"), [
    ({}, "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY"),
    ({"STRIPE_SECRET_KEY": "sk_test_1"}, "PAYMENT_GATEWAY=stripe needs STRIPE_PUBLISHABLE_KEY"),
    ({"STRIPE_SECRET_KEY": "pk_test_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1"}, "needs STRIPE_SECRET_KEY"),
    ({"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1"}, "both be test keys or both live keys"),
    ({"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1", "STRIPE_API_BASE": "localhost:8420"},
     "STRIPE_API_BASE must be a URL"),
])
def test_stripe_without_usable_keys_stops_the_app_at_start(tmp_path, config, message):
    from app import create_app

    with pytest.raises(ConfigError, match=message):
        create_app({"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "", "STRIPE_PUBLISHABLE_KEY": "",
                    "STRIPE_API_BASE": "", **config,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pay.sqlite3'}"})


def test_stripe_with_keys_is_the_apps_gateway_and_test_keys_are_test_mode(tmp_path):
    from app import create_app
    from payments import gateway_for

    app = create_app({"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY":
                      "pk_test_1", "STRIPE_API_BASE": "", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    gateway = gateway_for(app)
    assert (gateway.name, gateway.test_mode) == ("stripe", True)
    assert gateway.settings.js_url == "https://js.stripe.com/v3/"
    live = StripeSettings.from_config({"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_PUBLISHABLE_KEY": "pk_live_1"})
    assert live.test_mode is False
    fake = StripeSettings.from_config({"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1",
                                       "STRIPE_API_BASE": "http://127.0.0.1:8420/"})
    assert fake.js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"


# -- against localstripe: cards ----------------------------------------------------------------

def test_a_card_saved_through_a_setup_intent_tells_what_the_app_may_store(stripe_gateway, api_base):
    setup = stripe_gateway.start_setup("card", "customer 17")
    assert setup.client_secret.startswith(setup.id + "_secret_")
    assert (setup.publishable_key, setup.js_url) == (PUBLISHABLE_KEY, f"{api_base}/js.stripe.com/v3/")
    confirmed = confirm_card_setup(api_base, setup.client_secret, "4242424242424242")
    method = stripe_gateway.finish_setup(setup.id, confirmed["payment_method"])
    assert method == PaymentMethod(token=confirmed["payment_method"], kind="credit_card", holder_name="Ann Lee",
                                   last4="4242", country="US", brand="visa", exp_month=12, exp_year=2030)
    assert stripe_gateway.payment_method(method.token) == method


def test_the_app_takes_only_the_method_its_own_setup_intent_saved(stripe_gateway, api_base):
    first = save_card(stripe_gateway, api_base, "4242424242424242")
    setup = stripe_gateway.start_setup("card", "customer 17")
    with pytest.raises(GatewayError) as refused:  # not confirmed in the browser yet
        stripe_gateway.finish_setup(setup.id, first.token)
    assert refused.value.code == "setup_incomplete"
    confirm_card_setup(api_base, setup.client_secret, "5555555555554444")
    with pytest.raises(GatewayError) as refused:  # another method than the one this setup saved
        stripe_gateway.finish_setup(setup.id, first.token)
    assert refused.value.code == "setup_incomplete"
    with pytest.raises(GatewayError) as refused:
        stripe_gateway.finish_setup("seti_unknown", first.token)
    assert refused.value.code == "setup_incomplete"


def test_a_card_declined_at_setup_is_never_saved(stripe_gateway, api_base):
    setup = stripe_gateway.start_setup("card", "customer 17")
    declined = confirm_card_setup(api_base, setup.client_secret, "4000000000000002")
    assert declined["error"]["code"] == "card_declined"  # what Stripe.js shows next to the card
    with pytest.raises(GatewayError) as refused:
        stripe_gateway.finish_setup(setup.id, "pm_anything")
    assert refused.value.code == "setup_incomplete"


@pytest.mark.parametrize("token", ["pm_never_made", "tok_sandbox_1", ""])
def test_a_token_stripe_never_made_is_unknown(stripe_gateway, token):
    with pytest.raises(GatewayError) as refused:
        stripe_gateway.payment_method(token)
    assert (refused.value.code, refused.value.message) == (
        "no_such_token", "That payment method is not known to the processor. Add it again.")


def test_a_saved_card_is_charged_off_session_and_refunded_in_part_then_in_full(stripe_gateway, api_base):
    method = save_card(stripe_gateway, api_base, "4242424242424242")
    paid = stripe_gateway.charge(method.token, 10000, "USD", "pay-ls-1")
    assert paid.id.startswith("pi_")
    assert paid == Charge(paid.id, method.token, 10000, "USD", "succeeded", "pay-ls-1")
    assert stripe_gateway.debit_status(paid.id) == DebitStatus(paid.id, "succeeded")
    part = stripe_gateway.refund(paid.id, 2500, "refund-ls-1")
    rest = stripe_gateway.refund(paid.id, 7500, "refund-ls-2")
    assert (part.charge_id, part.amount_cents, part.idempotency_key) == (paid.id, 2500, "refund-ls-1")
    assert (rest.amount_cents, rest.idempotency_key) == (7500, "refund-ls-2")
    assert part.id != rest.id


def test_a_refund_of_no_payment_is_refused_in_plain_words(stripe_gateway):
    with pytest.raises(GatewayError) as refused:
        stripe_gateway.refund("pi_never_made", 100, "refund-ls-3")
    assert (refused.value.code, refused.value.message) == ("no_such_charge", "The processor has no such payment.")


def test_a_card_that_saves_but_fails_when_charged_is_declined_in_plain_words(stripe_gateway, api_base):
    # 4000 0000 0000 0341: attaching succeeds, charging fails (the one charge-time decline localstripe has).
    method = save_card(stripe_gateway, api_base, "4000000000000341")
    with pytest.raises(Declined) as declined:
        stripe_gateway.charge(method.token, 10000, "USD", "pay-ls-2")
    assert (declined.value.code, declined.value.message) == (
        "card_declined", REASONS["card_declined"].message)


@pytest.mark.parametrize(("amount", "currency", "code"), [
    (0, "USD", "amount_invalid"), (-5, "USD", "amount_invalid"), (10.5, "USD", "amount_invalid"),
    (100, "EUR", "currency_invalid"),
])
def test_a_charge_the_app_should_never_ask_for_is_refused_before_stripe(stripe_gateway, amount, currency, code):
    with pytest.raises(GatewayError) as refused:
        stripe_gateway.charge("pm_whatever", amount, currency, "pay-ls-3")
    assert refused.value.code == code


# -- recorded: what localstripe does not do ------------------------------------------------------

def recorded(*exchanges: Exchange) -> tuple[StripeGateway, Recorded]:
    client = Recorded(list(exchanges))
    return StripeGateway(StripeSettings(SECRET_KEY, PUBLISHABLE_KEY), http_client=client), client


@pytest.mark.parametrize(("code", "decline_code", "stripe_message", "reason"), [
    ("card_declined", "generic_decline", "Your card was declined.", "card_declined"),
    ("card_declined", "insufficient_funds", "Your card has insufficient funds.", "card_insufficient_funds"),
    ("expired_card", "expired_card", "Your card has expired.", "expired_card"),
    ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "incorrect_cvc"),
    ("processing_error", "processing_error", "An error occurred while processing your card. Try again in a little bit.",
     "processing_error"),
    ("card_declined", "lost_card", "Your card was declined.", "card_declined"),
    ("card_declined", None, "Your card was declined.", "card_declined"),
])
def test_each_stripe_decline_reads_as_the_sandbox_says_it(code, decline_code, stripe_message, reason):
    gateway, client = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 402, card_error(code, decline_code, stripe_message)),
    )
    with pytest.raises(Declined) as declined:
        gateway.charge("pm_1Card", 15000, "USD", "pay-1")
    assert (declined.value.code, declined.value.message) == (REASONS[reason].code, REASONS[reason].message)
    assert not client.exchanges


def test_an_off_session_card_that_needs_its_holder_is_declined_in_plain_words():
    gateway, _ = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 402, card_error(
            "authentication_required", "authentication_required",
            "Your card was declined. This transaction requires authentication.")),
    )
    with pytest.raises(Declined) as declined:
        gateway.charge("pm_1Card", 15000, "USD", "pay-1")
    assert declined.value.code == "authentication_required"
    assert "approve each payment" in declined.value.message


def test_a_charge_is_one_confirmed_off_session_payment_intent_carrying_the_idempotency_key():
    gateway, client = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 200, payment_intent()),
    )
    paid = gateway.charge("pm_1Card", 15000, "USD", "pay-1", description="INV-0007")
    assert paid == Charge("pi_1Paid", "pm_1Card", 15000, "USD", "succeeded", "pay-1")
    sent = client.sent[1]
    assert sent.headers["Idempotency-Key"] == "pay-1"
    assert sent.form == {
        "amount": "15000", "currency": "usd", "payment_method": "pm_1Card", "customer": "cus_1Ann",
        "payment_method_types[0]": "card", "confirm": "true", "off_session": "true",
        "metadata[idempotency_key]": "pay-1", "metadata[description]": "INV-0007"}


def test_a_replayed_idempotency_key_answers_the_first_charge_or_decline_and_refuses_other_details():
    first = payment_intent()
    declined = card_error("card_declined", "insufficient_funds", "Your card has insufficient funds.")
    gateway, client = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 200, first),
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 200, first, replayed=True),
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 400, idempotency_error()),
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 402, declined),
        Exchange("GET", "/v1/payment_methods/pm_1Card", 200, card_method()),
        Exchange("POST", "/v1/payment_intents", 402, declined, replayed=True),
    )
    assert gateway.charge("pm_1Card", 15000, "USD", "pay-1") == gateway.charge("pm_1Card", 15000, "USD", "pay-1")
    assert client.sent[1].form == client.sent[3].form
    assert client.sent[1].headers["Idempotency-Key"] == client.sent[3].headers["Idempotency-Key"] == "pay-1"
    with pytest.raises(GatewayError) as reused:
        gateway.charge("pm_1Card", 9900, "USD", "pay-1")
    assert (reused.value.code, reused.value.message) == (
        "idempotency_key_reused", "This payment attempt was already made with other details. Start the payment again.")
    for _ in range(2):
        with pytest.raises(Declined) as refused:
            gateway.charge("pm_1Card", 15000, "USD", "pay-2")
        assert refused.value.code == "insufficient_funds"
    assert not client.exchanges


@pytest.mark.parametrize(("method", "expected"), [
    (card_method(funding="debit", last4="5556"), dict(kind="debit_card", brand="visa", last4="5556")),
    (card_method(funding="prepaid"), dict(kind="debit_card", brand="visa", last4="4242")),
    (card_method(brand="amex", last4="0005"), dict(kind="credit_card", brand="amex", last4="0005")),
])
def test_each_kind_of_stripe_card_is_what_the_app_stores(method, expected):
    gateway, _ = recorded(Exchange("GET", f"/v1/payment_methods/{method['id']}", 200, method))
    stored = gateway.payment_method(method["id"])
    assert {name: getattr(stored, name) for name in expected} == expected


ACCEPTED = datetime(2025, 11, 25, 17, 0)  # 1764090000, as a naive UTC time


@pytest.mark.parametrize(("method", "expected"), [
    (us_bank_method(), dict(kind="bank_account", holder_name="Northwind Dental", last4="6789", country="US",
                            routing_number="110000000", brand="", exp_month=None, mandate_accepted_at=ACCEPTED,
                            mandate_text="The ACH debit authorization accepted in Stripe's form; Stripe keeps its "
                                         "text as mandate mandate_1Debit.")),
    (acss_method(), dict(kind="bank_account", holder_name="Maple Clinic", last4="6789", country="CA",
                         institution_number="000", transit_number="11000", routing_number="",
                         mandate_accepted_at=ACCEPTED,
                         mandate_text="The pre-authorized debit agreement accepted in Stripe's form; Stripe keeps "
                                      "its text as mandate mandate_1Debit.")),
])
def test_each_kind_of_stripe_bank_account_is_what_the_app_stores_with_its_mandate(method, expected):
    gateway, client = recorded(
        Exchange("GET", f"/v1/payment_methods/{method['id']}", 200, method),
        Exchange("GET", "/v1/setup_intents", 200, setup_intents_with_mandate(method["id"], method["type"])),
    )
    stored = gateway.payment_method(method["id"])
    assert {name: getattr(stored, name) for name in expected} == expected
    assert client.sent[1].query["payment_method"] == method["id"]


def test_a_bank_account_whose_mandate_was_never_accepted_has_no_mandate():
    gateway, _ = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Bank", 200, us_bank_method()),
        Exchange("GET", "/v1/setup_intents", 200, setup_intents_with_mandate(accepted_at=None)),
    )
    stored = gateway.payment_method("pm_1Bank")
    assert (stored.mandate_text, stored.mandate_accepted_at) == ("", None)


def test_a_bank_debit_starts_pending_and_settles_when_stripe_says_so():
    processing = payment_intent("pi_1Debit", status="processing", pm="pm_1Bank", types=["us_bank_account"],
                                latest_charge="py_1Debit")
    settled = payment_intent("pi_1Debit", status="succeeded", pm="pm_1Bank", types=["us_bank_account"],
                             latest_charge=charge())
    gateway, client = recorded(
        Exchange("GET", "/v1/payment_methods/pm_1Bank", 200, us_bank_method()),
        Exchange("POST", "/v1/payment_intents", 200, processing),
        Exchange("GET", "/v1/payment_intents/pi_1Debit", 200,
                 {**processing, "latest_charge": charge(status="pending")}),
        Exchange("GET", "/v1/payment_intents/pi_1Debit", 200, settled),
    )
    debit = gateway.charge("pm_1Bank", 15000, "USD", "pay-bank-1")
    assert debit == Charge("pi_1Debit", "pm_1Bank", 15000, "USD", "pending", "pay-bank-1")
    assert client.sent[1].form["payment_method_types[0]"] == "us_bank_account"
    assert client.sent[1].form["customer"] == "cus_1Dental"
    assert gateway.debit_status("pi_1Debit") == DebitStatus("pi_1Debit", "pending")
    assert client.sent[2].query == {"expand[0]": "latest_charge"}
    assert gateway.debit_status("pi_1Debit") == DebitStatus("pi_1Debit", "succeeded")


@pytest.mark.parametrize(("failure_code", "failure_message", "reason"), [
    ("no_account", "The customer's bank account could not be located.", "no_account"),
    ("account_closed", "The customer's bank account has been closed.", "account_closed"),
    ("insufficient_funds", "The customer's account has insufficient funds to cover this payment.",
     "bank_insufficient_funds"),
])
def test_a_failed_bank_debit_says_why_in_plain_words(failure_code, failure_message, reason):
    failed = payment_intent(
        "pi_1Debit", status="requires_payment_method", pm=None, types=["us_bank_account"],
        latest_charge=charge(status="failed", failure_code=failure_code, failure_message=failure_message),
        last_payment_error={"type": "invalid_request_error", "code": failure_code, "message": failure_message})
    gateway, _ = recorded(Exchange("GET", "/v1/payment_intents/pi_1Debit", 200, failed))
    assert gateway.debit_status("pi_1Debit") == DebitStatus(
        "pi_1Debit", "failed", REASONS[reason].code, REASONS[reason].message)


def test_a_refund_sends_the_idempotency_key_and_one_too_large_says_how_much_is_left():
    paid = payment_intent(latest_charge=charge("ch_1Paid", amount=15000, refunded=12500))
    too_large = {"error": {"type": "invalid_request_error", "param": "amount",
                           "message": "Refund amount ($50.00) is greater than unrefunded amount on charge ($25.00)"}}
    gateway, client = recorded(
        Exchange("POST", "/v1/refunds", 200, refund()),
        Exchange("POST", "/v1/refunds", 400, too_large),
        Exchange("GET", "/v1/payment_intents/pi_1Paid", 200, paid),
    )
    back = gateway.refund("pi_1Paid", 2500, "refund-1")
    assert (back.id, back.charge_id, back.amount_cents, back.idempotency_key) == ("re_1Back", "pi_1Paid", 2500,
                                                                                  "refund-1")
    assert client.sent[0].headers["Idempotency-Key"] == "refund-1"
    assert client.sent[0].form["payment_intent"] == "pi_1Paid"
    with pytest.raises(GatewayError) as refused:
        gateway.refund("pi_1Paid", 5000, "refund-2")
    assert (refused.value.code, refused.value.message) == (
        "amount_too_large", "The refund is more than what is left of the payment: at most $25.00.")


def test_a_refund_of_a_failed_debit_is_refused_in_plain_words():
    failed = payment_intent("pi_1Debit", status="requires_payment_method", types=["us_bank_account"],
                            latest_charge=charge(status="failed", failure_code="account_closed"))
    gateway, _ = recorded(
        Exchange("POST", "/v1/refunds", 400, {"error": {"type": "invalid_request_error",
                                                        "message": "This PaymentIntent does not have a successful "
                                                                   "charge to refund."}}),
        Exchange("GET", "/v1/payment_intents/pi_1Debit", 200, failed),
    )
    with pytest.raises(GatewayError) as refused:
        gateway.refund("pi_1Debit", 100, "refund-3")
    assert refused.value.code == "charge_not_refundable"


def test_an_app_on_the_sandbox_never_loads_the_stripe_sdk(tmp_path):
    answer = run_fresh_app("""
        import sys
        from payments import gateway_for
        with app.app_context():
            name = gateway_for(app).name
        client.get("/login")
        report({"gateway": name, "stripe": "stripe" in sys.modules})
    """, APP_ENV="test", PAYMENT_GATEWAY="sandbox", DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}")
    assert answer == {"gateway": "sandbox", "stripe": False}
