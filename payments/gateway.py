"""The one interface the app talks to a payment processor through, and what it answers.

The app never sees a card or an account number: the processor's own form (Stripe's
elements, or the sandbox's form under /sandbox-processor/) takes them and hands the app a
token. With the token the app asks the gateway what the method is (`payment_method`: what
the app may store), charges it, refunds a charge, and follows a bank debit until it settles.

Every call that moves money carries an idempotency key: the same key answers the same
charge (or the same decline) and never moves money twice, so "charge first, record
after" can be retried after a failed write.

Amounts are integer cents (money.py); currencies are money.CURRENCIES.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

# What kind of method a token stands for (the app shows and stores it; surcharges apply
# to credit cards only).
MethodKind = Literal["credit_card", "debit_card", "bank_account"]
# A charge on a card settles at once; a bank debit starts pending and settles later.
ChargeStatus = Literal["succeeded", "pending", "failed"]


class GatewayError(Exception):
    """The processor refused a request. `code`: the processor's machine-readable reason
    ("card_declined", "insufficient_funds", "no_such_charge"); `message`: in plain words,
    for the person paying or the partner, shown as is."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class Declined(GatewayError):
    """The card or account was declined; nothing was charged."""


@dataclass(frozen=True)
class Reason:
    """Why the processor refused, as a code and in plain words."""

    code: str
    message: str


# The processor's reasons in plain words, keyed by what they stand for: every gateway answers
# with these, so a decline reads the same whichever processor gave it.
REASONS = {
    "card_declined": Reason("card_declined", "The card was declined. Ask the card's bank why, or use another card."),
    "card_insufficient_funds": Reason(
        "insufficient_funds", "The card has insufficient funds. Use another card, or pay a smaller amount."),
    "expired_card": Reason("expired_card", "The card has expired. Use another card."),
    "incorrect_cvc": Reason("incorrect_cvc", "The card's security code is incorrect. Check it and try again."),
    "processing_error": Reason("processing_error", "The card could not be processed just now. "
                               "Nothing was charged: try again in a few minutes."),
    "no_account": Reason(
        "no_account", "The bank found no such account. Check the account number, or use another method."),
    "account_closed": Reason("account_closed", "The bank account is closed. Use another method."),
    "bank_insufficient_funds": Reason(
        "insufficient_funds", "The bank account has insufficient funds. Use another method, or pay a smaller amount."),
}


def no_such_token() -> GatewayError:
    return GatewayError("no_such_token", "That payment method is not known to the processor. Add it again.")


def key_reused() -> GatewayError:
    return GatewayError("idempotency_key_reused",
                        "This payment attempt was already made with other details. Start the payment again.")


@dataclass(frozen=True)
class PaymentMethod:
    """What the app may store about a method: never a full number or a security code."""

    token: str
    kind: MethodKind
    holder_name: str
    last4: str
    country: str  # "US" | "CA"
    brand: str = ""  # "visa", "mastercard", "amex", "discover"; cards only
    exp_month: int | None = None  # cards only
    exp_year: int | None = None
    routing_number: str = ""  # US banks
    institution_number: str = ""  # Canadian banks
    transit_number: str = ""
    # A bank account's debit mandate as the processor's form showed it and the payer accepted
    # it (the ACH authorization in the US, the pre-authorized debit agreement in Canada).
    mandate_text: str = ""
    mandate_accepted_at: datetime | None = None  # UTC, naive


@dataclass(frozen=True)
class Charge:
    id: str
    token: str
    amount_cents: int
    currency: str
    status: ChargeStatus
    idempotency_key: str


@dataclass(frozen=True)
class Refund:
    id: str
    charge_id: str
    amount_cents: int
    idempotency_key: str


@dataclass(frozen=True)
class DebitStatus:
    """Where a charge stands; a failed bank debit says why (`code`, `message`)."""

    charge_id: str
    status: ChargeStatus
    code: str = ""
    message: str = ""


class PaymentGateway(Protocol):
    name: str
    label: str  # where payments go, for people: "the sandbox processor"
    # True while no real money can move: every page then shows the TEST MODE banner.
    test_mode: bool

    def payment_method(self, token: str) -> PaymentMethod:
        """What the token stands for; GatewayError("no_such_token") for one the processor never made."""

    def charge(self, token: str, amount_cents: int, currency: str, idempotency_key: str, *,
               description: str = "") -> Charge:
        """Charge the method. A card answers "succeeded" or raises Declined; a bank debit answers
        "pending" (follow it with debit_status). The same idempotency_key answers the same Charge (or
        raises the same Declined) without charging again; reused with other arguments, GatewayError."""

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> Refund:
        """Refund all or part of a succeeded charge; refunds together never exceed it."""

    def debit_status(self, charge_id: str) -> DebitStatus:
        """The charge's status now: a pending bank debit becomes "succeeded" or "failed" here."""
