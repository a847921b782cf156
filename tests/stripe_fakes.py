"""Stripe without the internet: localstripe in a subprocess, and recorded responses.

localstripe (a stateful fake Stripe server) answers cards only and ignores Idempotency-Key;
for bank debits, decline codes and idempotent replays the tests hand the SDK `Recorded`, an
HTTP client that checks each request and answers the response written for it (by hand, from
Stripe's API reference: the objects below carry the fields the gateway reads, as Stripe
names them).
"""

import copy
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import stripe

SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"

# localstripe keeps its store in /tmp/localstripe.pickle after each write, test card numbers
# included, and every localstripe on the machine writes the same file: the tests' server keeps
# its store in memory only.
_SERVE = """
import sys
import localstripe.resources
localstripe.resources.store.dump_to_disk = lambda: None
from localstripe import server
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
server.start()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def localstripe(log: Path):
    """A localstripe on a free port of 127.0.0.1; yields its base URL."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)],  # noqa: S603 - our own script
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"localstripe stopped at start: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start in 20 s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def confirm_card_setup(api_base: str, client_secret: str, number: str, name: str = "Ann Lee") -> dict:
    """What Stripe.js's confirmCardSetup sends from the browser: the card goes to the processor
    with the publishable key and the SetupIntent's client secret, never to the app."""
    setup_id = client_secret.split("_secret_")[0]
    form = urllib.parse.urlencode({
        "key": PUBLISHABLE_KEY, "client_secret": client_secret,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number, "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2030", "payment_method_data[card][cvc]": "123",
        "payment_method_data[billing_details][name]": name,
    }).encode()
    request = urllib.request.Request(f"{api_base}/v1/setup_intents/{setup_id}/confirm", data=form)  # noqa: S310
    try:
        with urllib.request.urlopen(request) as answer:  # noqa: S310 - the test's localstripe
            return json.load(answer)
    except urllib.error.HTTPError as refused:
        return json.load(refused)


# -- recorded responses ----------------------------------------------------------------------

@dataclass
class Exchange:
    """One request the gateway must make, and Stripe's answer."""

    method: str
    path: str  # without the query
    status: int
    body: dict
    replayed: bool = False  # Stripe's Idempotent-Replayed header


@dataclass
class Sent:
    method: str
    path: str
    query: dict
    form: dict
    headers: dict


@dataclass
class Recorded(stripe.HTTPClient):
    """The SDK's HTTP client answering recorded exchanges, in order; it fails the test on any
    request it was not told of."""

    exchanges: list[Exchange]
    sent: list[Sent] = field(default_factory=list)
    name = "recorded"

    def __post_init__(self):
        super().__init__()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urllib.parse.urlsplit(url)
        self.sent.append(Sent(method.upper(), parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                              dict(urllib.parse.parse_qsl(post_data or "")), dict(headers or {})))
        assert self.exchanges, f"unexpected request {method.upper()} {parts.path}"
        exchange = self.exchanges.pop(0)
        assert (method.upper(), parts.path) == (exchange.method, exchange.path)
        answer_headers = {"request-id": "req_recorded"}
        if exchange.replayed:
            answer_headers["idempotent-replayed"] = "true"
        return json.dumps(exchange.body), exchange.status, answer_headers

    def close(self):
        pass


def card_method(pm_id="pm_1Card", *, funding="credit", brand="visa", last4="4242", customer="cus_1Ann"):
    # docs.stripe.com/api/payment_methods/object (type card)
    return {
        "id": pm_id, "object": "payment_method", "type": "card", "customer": customer, "livemode": False,
        "created": 1764090000, "metadata": {}, "allow_redisplay": "unspecified",
        "billing_details": {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                                        "postal_code": "10001", "state": None},
                            "email": None, "name": "Ann Lee", "phone": None},
        "card": {"brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                                            "cvc_check": "pass"},
                 "country": "US", "display_brand": brand, "exp_month": 12, "exp_year": 2030,
                 "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": funding, "last4": last4,
                 "networks": {"available": [brand], "preferred": None}, "wallet": None},
    }


def us_bank_method(pm_id="pm_1Bank", last4="6789"):
    # docs.stripe.com/api/payment_methods/object (type us_bank_account)
    return {
        "id": pm_id, "object": "payment_method", "type": "us_bank_account", "customer": "cus_1Dental",
        "livemode": False, "created": 1764090000, "metadata": {},
        "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                        "postal_code": None, "state": None},
                            "email": "billing@northwind.example.com", "name": "Northwind Dental", "phone": None},
        "us_bank_account": {"account_holder_type": "company", "account_type": "checking",
                            "bank_name": "STRIPE TEST BANK", "financial_connections_account": None,
                            "fingerprint": "LstWJFsCK7P349Bg", "last4": last4,
                            "networks": {"preferred": "ach", "supported": ["ach"]},
                            "routing_number": "110000000", "status_details": {}},
    }


def acss_method(pm_id="pm_1Pad"):
    # docs.stripe.com/api/payment_methods/object (type acss_debit: a Canadian pre-authorized debit)
    return {
        "id": pm_id, "object": "payment_method", "type": "acss_debit", "customer": "cus_1Maple",
        "livemode": False, "created": 1764090000, "metadata": {},
        "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                        "postal_code": None, "state": None},
                            "email": "ap@maple.example.ca", "name": "Maple Clinic", "phone": None},
        "acss_debit": {"bank_name": "TEST BANK", "fingerprint": "SvCdLmWdDx9VWMYT", "institution_number": "000",
                       "last4": "6789", "transit_number": "11000"},
    }


def payment_intent(pi_id="pi_1Paid", *, status="succeeded", amount=15000, currency="usd", pm="pm_1Card",
                   types=("card",), latest_charge=None, last_payment_error=None):
    # docs.stripe.com/api/payment_intents/object
    return {
        "id": pi_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": amount if status == "succeeded" else 0, "currency": currency,
        "customer": "cus_1Ann", "capture_method": "automatic_async", "confirmation_method": "automatic",
        "client_secret": f"{pi_id}_secret_recorded", "created": 1764090000, "livemode": False,
        "latest_charge": latest_charge, "last_payment_error": last_payment_error, "metadata": {},
        "next_action": None, "payment_method": pm, "payment_method_types": list(types), "status": status,
    }


def charge(ch_id="py_1Debit", *, status="succeeded", amount=15000, refunded=0, failure_code=None,
           failure_message=None):
    # docs.stripe.com/api/charges/object (an ACH debit's charge id starts py_)
    return {
        "id": ch_id, "object": "charge", "amount": amount, "amount_captured": amount if status != "failed" else 0,
        "amount_refunded": refunded, "currency": "usd", "captured": status != "failed", "paid": status == "succeeded",
        "refunded": refunded == amount, "status": status, "failure_code": failure_code,
        "failure_message": failure_message, "livemode": False, "created": 1764090000, "metadata": {},
    }


def card_error(code: str, decline_code: str | None, message: str, pi_id="pi_1Declined"):
    # docs.stripe.com/api/errors: a 402 card_error, with the PaymentIntent it left behind
    error = {"type": "card_error", "code": code, "message": message, "doc_url": f"https://docs.stripe.com/error-codes/{code}",
             "request_log_url": "https://dashboard.stripe.com/test/logs/req_recorded",
             "payment_intent": payment_intent(pi_id, status="requires_payment_method")}
    if decline_code:
        error["decline_code"] = decline_code
    return {"error": error}


def idempotency_error():
    # docs.stripe.com/api/idempotent_requests: the same key with other parameters
    return {"error": {"type": "idempotency_error",
                      "message": "Keys for idempotent requests can only be used with the same parameters they were "
                                 "first used with. Try using a key other than 'pay-1' if you meant to execute a "
                                 "different request."}}


def refund(re_id="re_1Back", *, amount=2500, pi_id="pi_1Paid"):
    # docs.stripe.com/api/refunds/object
    return {"id": re_id, "object": "refund", "amount": amount, "charge": "ch_1Paid", "currency": "usd",
            "payment_intent": pi_id, "status": "succeeded", "created": 1764090000, "metadata": {}, "reason": None}


def with_changes(obj: dict, **changes) -> dict:
    return {**copy.deepcopy(obj), **changes}


def setup_intents_with_mandate(pm_id="pm_1Bank", method_type="us_bank_account", *, accepted_at=1764090000):
    # docs.stripe.com/api/setup_intents/list?payment_method=…&expand[]=data.mandate; docs.stripe.com/api/mandates/object
    mandate = None
    if accepted_at is not None:
        mandate = {"id": "mandate_1Debit", "object": "mandate", "livemode": False, "payment_method": pm_id,
                   "status": "active", "type": "multi_use", "multi_use": {},
                   "customer_acceptance": {"accepted_at": accepted_at, "type": "online",
                                           "online": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"}},
                   "payment_method_details": {"type": method_type, method_type: {}}}
    setup = {"id": "seti_1Saved", "object": "setup_intent", "customer": "cus_1Dental", "livemode": False,
             "payment_method": pm_id, "payment_method_types": [method_type], "status": "succeeded",
             "usage": "off_session", "mandate": mandate, "client_secret": "seti_1Saved_secret_recorded"}
    return {"object": "list", "url": "/v1/setup_intents", "has_more": False, "data": [setup]}


def customer(cus_id="cus_1Dental"):
    # docs.stripe.com/api/customers/object
    return {"id": cus_id, "object": "customer", "livemode": False, "created": 1764090000, "email": None,
            "metadata": {"reference": "/portal/payment-methods"}}


def setup_intent(seti_id="seti_1Bank", *, status="requires_payment_method", pm=None, types=("us_bank_account",),
                 next_action=None, last_setup_error=None):
    # docs.stripe.com/api/setup_intents/object
    return {"id": seti_id, "object": "setup_intent", "customer": "cus_1Dental", "livemode": False,
            "client_secret": f"{seti_id}_secret_recorded", "created": 1764090000, "payment_method": pm,
            "payment_method_types": list(types), "status": status, "usage": "off_session", "mandate": None,
            "next_action": next_action, "last_setup_error": last_setup_error,
            "payment_method_options": {"us_bank_account": {"verification_method": "instant"}}}


def make_stripe_app(app, api_base: str):
    """An app made by create_app with PAYMENT_GATEWAY=stripe on this localstripe, sharing the test
    app's database (its schema, its cleanup between tests)."""
    from app import create_app

    return create_app({
        "TESTING": True, "SERVER_NAME": None, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"], "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY, "STRIPE_API_BASE": api_base,
    })


def portal_user(app, partner, *, password: str, company="Northwind Dental", email="ann@example.com"):
    """A customer with one user, whose portal login has a password. Returns the customer's id."""
    from customer_helpers import make_customer
    from sqlalchemy import select

    from extensions import db
    from models import PortalAccount
    from unit_of_work import unit_of_work

    customer = make_customer(app, partner, company=company, users=(("Ann Lee", email),))
    with app.app_context(), unit_of_work():
        db.session.scalar(select(PortalAccount).where(PortalAccount.email == email)).set_password(password)
    return customer
