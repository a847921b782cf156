"""The stripe gateway: the PaymentGateway on Stripe's official SDK.

Card and bank details are typed into Stripe's own elements in the browser (Stripe.js), which
confirm a SetupIntent made here and hand the app a PaymentMethod id (`pm_…`): the token. Each
saved method gets a Stripe Customer of its own (the SetupIntent needs one so that the method can
be charged later, off session); the app keeps no Stripe ids but the token.

A charge is a PaymentIntent confirmed at once, off session, sent with the payment attempt's
idempotency key as Stripe's Idempotency-Key: the same key answers the same PaymentIntent (or
the same decline), reused with other parameters it is Stripe's idempotency error. Stripe keeps
a key for 24 hours. Our Charge's id is the PaymentIntent's id: refunds and debit_status name it.

Card declines are mapped to the sandbox's reasons in plain words (payments.gateway.REASONS);
a bank debit (us_bank_account, acss_debit) starts `processing`, our "pending", and debit_status
reads the PaymentIntent until it succeeds or fails.

This module is the only one that imports the `stripe` SDK: payments.GATEWAYS imports it when
PAYMENT_GATEWAY=stripe, so a worker on the sandbox never loads it.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import stripe

from config import ConfigError
from money import CURRENCIES, format_money
from payments.gateway import (
    REASONS,
    Charge,
    ChargeStatus,
    DebitStatus,
    Declined,
    GatewayError,
    MethodKind,
    PaymentMethod,
    Reason,
    Refund,
    key_reused,
    no_such_token,
)

# Stripe's decline codes → our reasons. A card error names its reason in `code`, and for a
# plain card_declined, more precisely in `decline_code`; anything else reads as card_declined.
CARD_REASONS = {
    "card_declined": REASONS["card_declined"],
    "insufficient_funds": REASONS["card_insufficient_funds"],
    "expired_card": REASONS["expired_card"],
    "incorrect_cvc": REASONS["incorrect_cvc"],
    "processing_error": REASONS["processing_error"],
    # Off session, nobody is there to pass the bank's check (3-D Secure).
    "authentication_required": Reason(
        "authentication_required",
        "The card's bank asks the card holder to approve each payment, which cannot be done here. "
        "Use another card."),
}
# A failed bank debit's failure code (ACH returns, as Stripe names them) → our reasons.
BANK_REASONS = {
    "no_account": REASONS["no_account"],
    "account_closed": REASONS["account_closed"],
    "insufficient_funds": REASONS["bank_insufficient_funds"],
}
BANK_REFUSED = Reason("debit_failed", "The bank refused the debit. Use another method.")
# What the PaymentIntent's status means for the app; any other status is still on its way.
INTENT_STATUS: dict[str, ChargeStatus] = {
    "succeeded": "succeeded",
    "processing": "pending",
    "requires_payment_method": "failed",
    "canceled": "failed",
}
BANK_TYPES = ("us_bank_account", "acss_debit")
# What Stripe.js may set up, by the kind the app asks to add.
SETUP_TYPES = {"card": "card", "us_bank_account": "us_bank_account", "ca_bank_account": "acss_debit"}
MANDATE_NAMES = {"us_bank_account": "The ACH debit authorization", "acss_debit": "The pre-authorized debit agreement"}
PROCESSOR_DOWN = "The payment processor could not be reached. Nothing was charged: try again in a few minutes."


@dataclass(frozen=True)
class Setup:
    """What the browser needs to collect a method in Stripe's elements and confirm it."""

    id: str  # the SetupIntent's id: the app keeps it to check what the browser hands back
    client_secret: str
    publishable_key: str
    js_url: str  # Stripe.js


@dataclass(frozen=True)
class StripeSettings:
    """STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_API_BASE, checked."""

    secret_key: str
    publishable_key: str
    api_base: str = ""  # another Stripe API (localstripe); empty for Stripe's own

    @classmethod
    def from_config(cls, config: dict) -> "StripeSettings":
        secret = config.get("STRIPE_SECRET_KEY", "")
        publishable = config.get("STRIPE_PUBLISHABLE_KEY", "")
        api_base = config.get("STRIPE_API_BASE", "").rstrip("/")
        if not secret.startswith(("sk_", "rk_")):
            raise ConfigError("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY, the secret key from Stripe's "
                              "dashboard (sk_test_… or sk_live_…).")
        if not publishable.startswith("pk_"):
            raise ConfigError("PAYMENT_GATEWAY=stripe needs STRIPE_PUBLISHABLE_KEY, the publishable key from "
                              "Stripe's dashboard (pk_test_… or pk_live_…).")
        if secret.split("_")[1:2] != publishable.split("_")[1:2]:
            raise ConfigError("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY must both be test keys or both live keys.")
        if api_base:
            parts = urlsplit(api_base)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ConfigError("STRIPE_API_BASE must be a URL like http://127.0.0.1:8420 (for localstripe), "
                                  "or unset for Stripe itself.")
        return cls(secret, publishable, api_base)

    @property
    def test_mode(self) -> bool:
        # Test keys, or another API than Stripe's (a fake such as localstripe) move no real money.
        return "_test_" in self.secret_key or bool(self.api_base)

    @property
    def js_url(self) -> str:
        # localstripe serves its stand-in for Stripe.js at <api base>/js.stripe.com/v3/.
        return f"{self.api_base}/js.stripe.com/v3/" if self.api_base else "https://js.stripe.com/v3/"

    @property
    def browser_sources(self) -> dict[str, tuple[str, ...]]:
        """What a page with Stripe's elements must let the browser load (Content-Security-Policy):
        Stripe.js, its frames, and the API it calls (docs.stripe.com/security/guide#content-security-policy)."""
        if self.api_base:  # localstripe serves its Stripe.js and answers its calls itself
            origin = self.api_base
            return {"script_src": (origin,), "frame_src": (origin,), "connect_src": (origin,)}
        return {"script_src": ("https://js.stripe.com", "https://*.js.stripe.com"),
                "frame_src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
                "connect_src": ("https://api.stripe.com",)}


class StripeGateway:
    """The PaymentGateway on Stripe (payments.gateway.PaymentGateway)."""

    name = "stripe"
    label = "Stripe"

    def __init__(self, settings: StripeSettings, *, http_client: Any = None):
        """`http_client`: the SDK's HTTP client (tests hand it recorded responses)."""
        self.settings = settings
        self.test_mode = settings.test_mode
        self._stripe = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            http_client=http_client,
            # A retry after a network error or a 409 (the same key in flight) repeats the idempotency key.
            max_network_retries=2,
        ).v1

    @classmethod
    def for_app(cls, app) -> "StripeGateway":
        return cls(StripeSettings.from_config(app.config))

    # -- saving a method: the browser confirms the SetupIntent with Stripe.js

    def start_setup(self, kind: str, reference: str) -> Setup:
        """A SetupIntent for Stripe's elements to confirm in the browser. `kind`: "card",
        "us_bank_account" or "ca_bank_account"; `reference`: the app's name for the customer
        (kept in the Stripe Customer's metadata, to find it in Stripe's dashboard)."""
        with _refusals():
            customer = self._stripe.customers.create({"metadata": {"reference": reference}})
            params: dict[str, Any] = {
                "customer": customer.id, "usage": "off_session", "payment_method_types": [SETUP_TYPES[kind]]}
            if kind == "us_bank_account":
                # Financial Connections only: an account verified by microdeposits would stay
                # unusable for days, and the app saves a method once its SetupIntent succeeded.
                params["payment_method_options"] = {"us_bank_account": {"verification_method": "instant"}}
            intent = self._stripe.setup_intents.create(params)
        return Setup(intent.id, intent.client_secret, self.settings.publishable_key, self.settings.js_url)

    def finish_setup(self, setup_id: str, token: str) -> PaymentMethod:
        """The method the browser says it saved, once Stripe confirms that this SetupIntent saved it."""
        with _refusals(missing=_setup_missing):
            intent = self._stripe.setup_intents.retrieve(setup_id)
        if intent.status != "succeeded" or intent.payment_method != token:
            raise _setup_missing()
        return self.payment_method(token)

    # -- the PaymentGateway interface

    def payment_method(self, token: str) -> PaymentMethod:
        method = _method(self._retrieve_method(token))
        if method.kind == "bank_account":
            method = replace(method, **self._mandate(token))
        return method

    def _mandate(self, token: str) -> dict:
        """A bank account's debit mandate, which Stripe's form showed and the payer accepted: Stripe
        keeps it on the SetupIntent that saved the method. None accepted: no mandate fields."""
        with _refusals():
            setups = self._stripe.setup_intents.list(
                {"payment_method": token, "expand": ["data.mandate"], "limit": 10}).to_dict()["data"]
        for setup in setups:
            mandate = setup.get("mandate")
            accepted = (mandate or {}).get("customer_acceptance") if isinstance(mandate, dict) else None
            if setup.get("status") == "succeeded" and accepted and accepted.get("accepted_at"):
                return {
                    "mandate_text": f"{MANDATE_NAMES[mandate['payment_method_details']['type']]} accepted in "
                                    f"Stripe's form; Stripe keeps its text as mandate {mandate['id']}.",
                    "mandate_accepted_at": datetime.fromtimestamp(accepted["accepted_at"], UTC).replace(tzinfo=None),
                }
        return {}

    def _retrieve_method(self, token: str) -> dict:
        if not token.startswith("pm_"):
            raise no_such_token()
        with _refusals(missing=no_such_token):
            return self._stripe.payment_methods.retrieve(token).to_dict()

    def charge(self, token: str, amount_cents: int, currency: str, idempotency_key: str, *,
               description: str = "") -> Charge:
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise GatewayError("amount_invalid", "The amount must be more than zero.")
        if currency not in CURRENCIES:
            raise GatewayError("currency_invalid", f"The processor takes {' or '.join(CURRENCIES)}.")
        method = self._retrieve_method(token)
        params: dict[str, Any] = {
            "amount": amount_cents, "currency": currency.lower(), "payment_method": token,
            "payment_method_types": [method["type"]], "confirm": True, "off_session": True,
            # The description as metadata: Stripe's dashboard shows it, and localstripe refuses
            # a PaymentIntent's `description`.
            "metadata": {"idempotency_key": idempotency_key, "description": description}}
        if method.get("customer"):  # a saved method is charged as its Customer's
            params["customer"] = method["customer"]
        with _refusals(card=True):
            intent = self._stripe.payment_intents.create(params, {"idempotency_key": idempotency_key})
        if intent.status == "requires_action":
            reason = CARD_REASONS["authentication_required"]
            raise Declined(reason.code, reason.message)
        return Charge(intent.id, token, intent.amount, intent.currency.upper(), _status(intent.status),
                      idempotency_key)

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> Refund:
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise GatewayError("amount_invalid", "The refund must be more than zero.")
        try:
            with _refusals(missing=_no_such_charge):
                refund = self._stripe.refunds.create(
                    {"payment_intent": charge_id, "amount": amount_cents,
                     "metadata": {"idempotency_key": idempotency_key}},
                    {"idempotency_key": idempotency_key})
        except GatewayError as error:
            if error.code in ("idempotency_key_reused", "no_such_charge", "processor_unreachable"):
                raise
            raise self._refund_refused(charge_id, amount_cents) from None
        return Refund(refund.id, charge_id, refund.amount, idempotency_key)

    def _refund_refused(self, charge_id: str, amount_cents: int) -> GatewayError:
        """Stripe's refusal of a refund, in the sandbox's words: too much, or not refundable."""
        intent = self._intent(charge_id)
        charge = intent.get("latest_charge")
        if intent["status"] != "succeeded" or not isinstance(charge, dict):
            return GatewayError("charge_not_refundable", "Only a payment that went through can be refunded.")
        left = charge["amount"] - (charge.get("amount_refunded") or 0)
        if amount_cents > left:
            return GatewayError("amount_too_large", "The refund is more than what is left of the payment: "
                                f"at most {format_money(left, intent['currency'].upper())}.")
        return GatewayError("refund_refused", "The processor refused the refund. Try again later, or refund it "
                            "from the processor's dashboard.")

    def debit_status(self, charge_id: str) -> DebitStatus:
        intent = self._intent(charge_id)
        status = _status(intent["status"])
        if status != "failed":
            return DebitStatus(intent["id"], status)
        # Why it failed: the charge's failure code (an ACH return: no_account, account_closed…),
        # else the PaymentIntent's last error.
        charge = intent.get("latest_charge")
        code = ((charge.get("failure_code") if isinstance(charge, dict) else None)
                or (intent.get("last_payment_error") or {}).get("code") or "")
        if (intent.get("payment_method_types") or ["card"])[0] in BANK_TYPES:
            reason = BANK_REASONS.get(code, BANK_REFUSED)
        else:
            reason = CARD_REASONS.get(code, CARD_REASONS["card_declined"])
        return DebitStatus(intent["id"], "failed", reason.code, reason.message)

    def _intent(self, charge_id: str) -> dict:
        if not charge_id.startswith("pi_"):
            raise _no_such_charge()
        with _refusals(missing=_no_such_charge):
            return self._stripe.payment_intents.retrieve(charge_id, {"expand": ["latest_charge"]}).to_dict()


def _status(intent_status: str) -> ChargeStatus:
    return INTENT_STATUS.get(intent_status, "pending")


def _method(pm: dict) -> PaymentMethod:
    """A Stripe PaymentMethod → what the app may store: brand, last four, expiry, holder; for a
    bank the routing number (or institution and transit) and the account's last four."""
    details = pm.get("billing_details") or {}
    holder = details.get("name") or ""
    address_country = (details.get("address") or {}).get("country") or ""
    kind_details = pm.get(pm["type"]) or {}
    if pm["type"] == "card":
        # Surcharges fall on credit cards only: a debit or prepaid card is a debit card here.
        kind: MethodKind = "debit_card" if kind_details.get("funding") in ("debit", "prepaid") else "credit_card"
        # The country a card is used in, like the sandbox's cards: the billing address's, else the US.
        country = address_country if address_country in ("US", "CA") else "US"
        return PaymentMethod(token=pm["id"], kind=kind, holder_name=holder, last4=kind_details["last4"],
                             country=country, brand=kind_details.get("brand") or "",
                             exp_month=kind_details.get("exp_month"), exp_year=kind_details.get("exp_year"))
    if pm["type"] == "us_bank_account":
        return PaymentMethod(token=pm["id"], kind="bank_account", holder_name=holder, last4=kind_details["last4"],
                             country="US", routing_number=kind_details.get("routing_number") or "")
    if pm["type"] == "acss_debit":
        return PaymentMethod(token=pm["id"], kind="bank_account", holder_name=holder, last4=kind_details["last4"],
                             country="CA", institution_number=kind_details.get("institution_number") or "",
                             transit_number=kind_details.get("transit_number") or "")
    raise GatewayError("method_not_supported", "This kind of payment method is not taken here. "
                       "Add a card or a bank account.")


def _no_such_charge() -> GatewayError:
    return GatewayError("no_such_charge", "The processor has no such payment.")


def _setup_missing() -> GatewayError:
    return GatewayError("setup_incomplete", "The payment method was not saved with the processor. Add it again.")


class _refusals:
    """Stripe's errors → ours: a card error is a Declined in plain words (with `card`), a
    missing object is `missing()`, a reused idempotency key and an unreachable processor say so;
    any other refusal is a GatewayError naming Stripe's code."""

    def __init__(self, *, card: bool = False, missing=None):
        self.card = card
        self.missing = missing

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if error is None or not isinstance(error, stripe.StripeError):
            return False
        raise _translated(error, card=self.card, missing=self.missing) from None


def _translated(error: "stripe.StripeError", *, card: bool, missing) -> GatewayError:
    if isinstance(error, stripe.CardError) and card:
        data = error.error
        decline_code = (data.decline_code if data else None) or ""
        reason = CARD_REASONS.get(decline_code) or CARD_REASONS.get(error.code or "") or CARD_REASONS["card_declined"]
        return Declined(reason.code, reason.message)
    if isinstance(error, stripe.IdempotencyError):
        return key_reused()
    if isinstance(error, stripe.InvalidRequestError) and error.http_status == 404 and missing:
        return missing()
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or (error.http_status or 500) >= 500:
        return GatewayError("processor_unreachable", PROCESSOR_DOWN)
    return GatewayError(error.code or "processor_refused", "The processor refused the request. "
                        "Try again, or use another method.")
