"""The sandbox gateway: stands for the processor in test mode, honouring its published test data.

It keeps what a processor keeps, in its own tables (sandbox_tokens, sandbox_charges,
sandbox_refunds), written in its own transaction and committed at once: the processor's
record of a charge survives a failure of the app's write that follows, as a real
processor's would, so the next attempt with the same idempotency key finds it.

A token keeps only which test behaviour it stands for and what the app may store about the
method (PaymentMethod): never a full card number, a security code or an account number.
"""

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from extensions import db
from forms.rules import RuleError, clean_text, normalize_country
from models._time import utcnow
from money import CURRENCIES, format_money
from payments import rules
from payments.gateway import (
    REASONS,
    Charge,
    DebitStatus,
    Declined,
    GatewayError,
    MethodKind,
    PaymentMethod,
    Refund,
    key_reused,
    no_such_token,
)

# -- the processor's test data --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a test number does when charged: succeeds, or fails with a code and plain words."""

    key: str  # kept in the token instead of the number
    code: str = ""
    message: str = ""

    @property
    def succeeds(self) -> bool:
        return not self.code


SUCCEEDS = Outcome("succeeds")
OUTCOMES = {SUCCEEDS.key: SUCCEEDS} | {
    key: Outcome(key, reason.code, reason.message) for key, reason in REASONS.items()}


@dataclass(frozen=True)
class TestCard:
    kind: MethodKind
    outcome: Outcome


# Stripe's published test cards (docs.stripe.com/testing): any future expiry, any CVC of the
# brand's length.
TEST_CARDS = {
    "4242424242424242": TestCard("credit_card", SUCCEEDS),  # Visa
    "5555555555554444": TestCard("credit_card", SUCCEEDS),  # Mastercard
    "378282246310005": TestCard("credit_card", SUCCEEDS),  # American Express
    "6011111111111117": TestCard("credit_card", SUCCEEDS),  # Discover
    "4000056655665556": TestCard("debit_card", SUCCEEDS),  # Visa debit
    "4000000000000002": TestCard("credit_card", OUTCOMES["card_declined"]),
    "4000000000009995": TestCard("credit_card", OUTCOMES["card_insufficient_funds"]),
    "4000000000000069": TestCard("credit_card", OUTCOMES["expired_card"]),
    "4000000000000127": TestCard("credit_card", OUTCOMES["incorrect_cvc"]),
    "4000000000000119": TestCard("credit_card", OUTCOMES["processing_error"]),
}
# Stripe's test bank: routing number 110000000 in the US; for Canada (which the issue does not
# list) institution 000 and transit 11000, Stripe's test branch for pre-authorized debits.
TEST_ROUTING_NUMBER = "110000000"
TEST_INSTITUTION_NUMBER = "000"
TEST_TRANSIT_NUMBER = "11000"
TEST_ACCOUNTS = {
    "000123456789": SUCCEEDS,
    "000111111116": OUTCOMES["no_account"],
    "000111111113": OUTCOMES["account_closed"],
    "000222222227": OUTCOMES["bank_insufficient_funds"],
}
# A bank debit is in the country's currency.
BANK_CURRENCY = {"US": "USD", "CA": "CAD"}

# The debit mandates the processor's bank form shows: submitting a US account accepts the ACH
# authorization; a Canadian account needs the PAD agreement ticked. The accepted text is kept
# with the method (PaymentMethod.mandate_text), as the payer saw it.
ACH_AUTHORIZATION = (
    "By adding this bank account, you authorize the business that asked you for it to debit the account "
    "electronically (ACH) for the invoices you choose to pay with it, and, if a debit is made in error, to "
    "credit the account to correct it. This authorization stays in force until you remove the account, "
    "which you may do at any time before a debit is made."
)
PAD_AGREEMENT = (
    "I agree that the business that asked me for this account (the payee) may debit it, under a personal "
    "pre-authorized debit (PAD) agreement, for each invoice I choose to pay with it, for the amount I confirm "
    "at the time. I waive the pre-notification of each debit, since I confirm every amount myself. I may "
    "cancel this agreement at any time by removing the account; cancelling does not cancel what I owe. "
    "I have certain recourse rights if a debit does not comply with this agreement: for example, I may "
    "have a debit that was not authorized or is not consistent with this agreement reimbursed. To learn "
    "more about my recourse rights, I may contact my financial institution or visit www.payments.ca."
)
MANDATES = {"US": ACH_AUTHORIZATION, "CA": PAD_AGREEMENT}


class DetailsRefused(ValueError):
    """The form's details, refused: field name → message, as the processor's form shows them."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


# -- what the sandbox keeps ------------------------------------------------------------------


class SandboxToken(db.Model):
    __tablename__ = "sandbox_tokens"
    __table_args__ = (CheckConstraint("outcome <> ''", name="outcome_given"),)

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30))
    # The PaymentMethod the app may store (brand, last four, expiry, holder, routing number).
    method: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


CHARGE_STATUSES = ("succeeded", "pending", "failed")


class SandboxCharge(db.Model):
    __tablename__ = "sandbox_charges"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in CHARGE_STATUSES) + ")", name="status_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    token: Mapped[str] = mapped_column(ForeignKey("sandbox_tokens.token"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))
    failure_code: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxRefund(db.Model):
    __tablename__ = "sandbox_refunds"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str] = mapped_column(ForeignKey("sandbox_charges.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _new_id(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_urlsafe(18)}"


def _charge(row: SandboxCharge) -> Charge:
    return Charge(row.id, row.token, row.amount_cents, row.currency, row.status, row.idempotency_key)


def _refund(row: SandboxRefund) -> Refund:
    return Refund(row.id, row.charge_id, row.amount_cents, row.idempotency_key)


def _charged(session: Session, row: SandboxCharge) -> SandboxToken:
    return session.get(SandboxToken, row.token)


# -- the processor's form rules, one per field: its form's blur checks and tokenizing share them


def judge_card_number(value: str | None) -> tuple[str, rules.Brand, TestCard]:
    """A card number the rules take and the sandbox knows: (digits, brand, its test card)."""
    digits, brand = rules.normalize_card_number(value)
    card = TEST_CARDS.get(digits)
    if card is None:
        raise RuleError("This is test mode: real cards are refused. Use one of the processor's test cards")
    return digits, brand, card


# The bank's branch fields per country, each with its rule, the test value and its name.
BRANCH_FIELDS = {"US": ("routing_number",), "CA": ("institution_number", "transit_number")}
_BRANCH_RULES = {
    "routing_number": (rules.normalize_routing_number, TEST_ROUTING_NUMBER, "routing number"),
    "institution_number": (rules.normalize_institution_number, TEST_INSTITUTION_NUMBER, "institution number"),
    "transit_number": (rules.normalize_transit_number, TEST_TRANSIT_NUMBER, "transit number"),
}


def judge_branch(field: str, value: str | None) -> str:
    """A routing, institution or transit number the rules take, and the test one."""
    rule, test_value, noun = _BRANCH_RULES[field]
    number = rule(value)
    if number != test_value:
        raise RuleError(f"This is test mode: use the test {noun}, {test_value}")
    return number


def judge_account(value: str | None, country: str) -> tuple[str, Outcome]:
    """An account number of the country's length that is one of the test accounts: (digits, outcome)."""
    digits = rules.normalize_account_number(value, country)
    outcome = TEST_ACCOUNTS.get(digits)
    if outcome is None:
        raise RuleError("This is test mode: real accounts are refused. Use one of the processor's test accounts")
    return digits, outcome


def judge_holder(value: str | None, label: str) -> str:
    return clean_text(value, label=label, max_length=200, required=True)


# Where a mandate not accepted is refused: Canada's box; in the US submitting the form accepts it.
MANDATE_FIELD = {"US": "mandate", "CA": "pad_agreement"}
MANDATE_REFUSED = {
    "mandate": "Accept the ACH debit authorization to add the account",
    "pad_agreement": "Tick the box to accept the pre-authorized debit agreement",
}


def _judged(errors: dict[str, str], field: str, judge, *args):
    """judge(*args), or None with its message in errors[field]."""
    try:
        return judge(*args)
    except RuleError as error:
        errors[field] = str(error)
        return None


# -- the gateway ------------------------------------------------------------------------------


class SandboxGateway:
    """The PaymentGateway for test mode (payments.gateway.PaymentGateway)."""

    name = "sandbox"
    label = "the sandbox processor"
    test_mode = True

    def __init__(self, app=None):
        """One per app (payments.gateway_for); its state lives in the app's database, not here."""

    # The processor's own session: its rows are committed at once, whatever the app's
    # request does afterwards.
    def _session(self) -> Session:
        return Session(db.engine, expire_on_commit=False)

    # -- tokenizing: called by the sandbox's own form, never by the app's routes

    def tokenize_card(self, *, number: str, exp_month: str, exp_year: str, cvc: str, name: str,
                      today: date | None = None) -> PaymentMethod:
        """The card form's fields → a token that keeps the test behaviour, never the number.
        DetailsRefused names each field the processor refuses, as its form would."""
        today = today or datetime.now(UTC).date()
        errors: dict[str, str] = {}
        card = _judged(errors, "number", judge_card_number, number)
        month = _judged(errors, "exp_month", rules.check_expiry_month, exp_month)
        expiry = _judged(errors, "exp_year", rules.check_expiry, exp_month, exp_year, today) if month else None
        if card:
            _judged(errors, "cvc", rules.check_cvc, cvc, card[1])
        holder = _judged(errors, "name", judge_holder, name, "Name on the card")
        if errors:
            raise DetailsRefused(errors)
        digits, brand, test_card = card
        method = PaymentMethod(token=_new_id("tok"), kind=test_card.kind, holder_name=holder, last4=digits[-4:],
                               country="US", brand=brand.key, exp_month=expiry[0], exp_year=expiry[1])
        return self._keep(method, test_card.outcome)

    def tokenize_bank(self, *, country: str, account_number: str, account_holder: str, routing_number: str = "",
                      institution_number: str = "", transit_number: str = "",
                      mandate_accepted: bool = False) -> PaymentMethod:
        """The bank form's fields → a token; only the test routing (or institution and transit)
        and the test account numbers are taken. `mandate_accepted`: the payer accepted the
        country's debit mandate (MANDATES) — a US form's submission, a Canadian form's ticked box."""
        errors: dict[str, str] = {}
        try:
            country = normalize_country(country)
        except RuleError as error:
            raise DetailsRefused({"country": str(error)}) from None
        typed = {"routing_number": routing_number, "institution_number": institution_number,
                 "transit_number": transit_number}
        branch = {field: _judged(errors, field, judge_branch, field, typed[field]) for field in BRANCH_FIELDS[country]}
        account = _judged(errors, "account_number", judge_account, account_number, country)
        holder = _judged(errors, "account_holder", judge_holder, account_holder, "Account holder")
        if not mandate_accepted:
            field = MANDATE_FIELD[country]
            errors[field] = MANDATE_REFUSED[field]
        if errors:
            raise DetailsRefused(errors)
        digits, outcome = account
        method = PaymentMethod(token=_new_id("tok"), kind="bank_account", holder_name=holder, last4=digits[-4:],
                               country=country, **branch, mandate_text=MANDATES[country], mandate_accepted_at=utcnow())
        return self._keep(method, outcome)

    def _keep(self, method: PaymentMethod, outcome: Outcome) -> PaymentMethod:
        with self._session() as session, session.begin():
            kept = asdict(method)
            if method.mandate_accepted_at:
                kept["mandate_accepted_at"] = method.mandate_accepted_at.isoformat()
            session.add(SandboxToken(token=method.token, outcome=outcome.key, method=kept))
        return method

    # -- the PaymentGateway interface

    def payment_method(self, token: str) -> PaymentMethod:
        with self._session() as session:
            row = session.get(SandboxToken, token)
        if row is None:
            raise no_such_token()
        kept = dict(row.method)
        if kept.get("mandate_accepted_at"):
            kept["mandate_accepted_at"] = datetime.fromisoformat(kept["mandate_accepted_at"])
        return PaymentMethod(**kept)

    def charge(self, token: str, amount_cents: int, currency: str, idempotency_key: str, *,
               description: str = "") -> Charge:
        with self._session() as session:
            done = session.scalar(select(SandboxCharge).where(SandboxCharge.idempotency_key == idempotency_key))
            if done is None:
                done = self._first_charge(session, token, amount_cents, currency, idempotency_key)
            kept = _charged(session, done)
        if (done.token, done.amount_cents, done.currency) != (token, amount_cents, currency):
            raise key_reused()
        # A card refused now is a decline; a bank debit that failed later is a failed Charge.
        if done.status == "failed" and kept.method["kind"] != "bank_account":
            outcome = OUTCOMES[kept.outcome]
            raise Declined(outcome.code, outcome.message)
        return _charge(done)

    def _first_charge(self, session: Session, token: str, amount_cents: int, currency: str,
                      idempotency_key: str) -> SandboxCharge:
        kept = session.get(SandboxToken, token)
        if kept is None:
            raise no_such_token()
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise GatewayError("amount_invalid", "The amount must be more than zero.")
        if currency not in CURRENCIES:
            raise GatewayError("currency_invalid", f"The processor takes {' or '.join(CURRENCIES)}.")
        outcome = OUTCOMES[kept.outcome]
        bank = kept.method["kind"] == "bank_account"
        if bank and currency != BANK_CURRENCY[kept.method["country"]]:
            raise GatewayError("currency_invalid",
                               f"A bank account in this country is debited in {BANK_CURRENCY[kept.method['country']]}.")
        # A card succeeds or fails now; a bank debit is pending whatever follows (debit_status).
        status = "pending" if bank else ("succeeded" if outcome.succeeds else "failed")
        row = SandboxCharge(id=_new_id("ch"), idempotency_key=idempotency_key, token=token, amount_cents=amount_cents,
                            currency=currency, status=status, failure_code="" if bank else outcome.code)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent request with the same key charged first
            session.rollback()
            row = session.scalar(select(SandboxCharge).where(SandboxCharge.idempotency_key == idempotency_key))
        return row

    def debit_status(self, charge_id: str) -> DebitStatus:
        """The sandbox settles a pending debit the first time it is asked: the succeeding test
        account's debit succeeds, the others' fail with their reason."""
        with self._session() as session, session.begin():
            row = session.get(SandboxCharge, charge_id, with_for_update=True)
            if row is None:
                raise GatewayError("no_such_charge", "The processor has no such payment.")
            outcome = OUTCOMES[_charged(session, row).outcome]
            if row.status == "pending":
                row.status = "succeeded" if outcome.succeeds else "failed"
                row.failure_code = outcome.code
        if row.status == "failed":
            return DebitStatus(row.id, row.status, outcome.code, outcome.message)
        return DebitStatus(row.id, row.status)

    def refund(self, charge_id: str, amount_cents: int, idempotency_key: str) -> Refund:
        with self._session() as session:
            done = session.scalar(select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key))
            if done is None:
                done = self._first_refund(session, charge_id, amount_cents, idempotency_key)
        if (done.charge_id, done.amount_cents) != (charge_id, amount_cents):
            raise key_reused()
        return _refund(done)

    def _first_refund(self, session: Session, charge_id: str, amount_cents: int, idempotency_key: str) -> SandboxRefund:
        charge = session.get(SandboxCharge, charge_id, with_for_update=True)
        if charge is None:
            raise GatewayError("no_such_charge", "The processor has no such payment.")
        if charge.status != "succeeded":
            raise GatewayError("charge_not_refundable", "Only a payment that went through can be refunded.")
        refunded = sum(session.scalars(select(SandboxRefund.amount_cents).where(SandboxRefund.charge_id == charge_id)))
        left = charge.amount_cents - refunded
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise GatewayError("amount_invalid", "The refund must be more than zero.")
        if amount_cents > left:
            raise GatewayError("amount_too_large", "The refund is more than what is left of the payment: "
                               f"at most {format_money(left, charge.currency)}.")
        row = SandboxRefund(id=_new_id("re"), idempotency_key=idempotency_key, charge_id=charge_id,
                            amount_cents=amount_cents)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            row = session.scalar(select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key))
        return row
