"""Payments: recorded by hand, paid in the portal through the processor, refunded, settled.

Every write keeps the invoice in step in the same unit of work (`apply`): amount_paid is what
succeeded and pending payments cover less refunds; the invoice is paid when its succeeded
payments cover the total and open again when a refund or a failed debit uncovers it. A paid
invoice is never edited, but payments and refunds still move it. Every payment and refund
writes the customer's history.

Money moves exactly once (`pay`): the processor is charged first, with the attempt's
idempotency key (made when the pay page was drawn, carried in its form), then everything is
recorded in one transaction whose payment_attempts row is unique per (partner, key). A double
click, a resubmitted form or two tabs send one key: the processor answers the same charge and
the second record meets the unique key and reads the first. If the record fails after the
charge, the next attempt with the key finds the processor's charge and records it.

`pay` is called outside any unit of work (it opens its own, after the charge); the others
change rows in the caller's unit and never commit.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select

import money
from extensions import db
from forms.rules import SURCHARGE_MAX
from mailer import queue_templated_email
from models import Customer, Invoice, Partner, Payment, PaymentAttempt, PaymentMethod, Refund
from models.payment import OFFLINE_KINDS
from payments import gateway_for
from payments.gateway import Declined, GatewayError
from services import history, payment_methods
from services.errors import Conflict, DomainError, raised_for
from services.events import emit
from services.invoices import balance_changed, open_balance, partner_today
from tenancy import scoped
from unit_of_work import unit_of_work

OFFLINE_NAMES = {"check": "Check", "wire": "Wire transfer", "cash": "Cash", "other": "Other"}
# Which kind of payment a saved method makes.
METHOD_PAYMENT_KINDS = {"credit_card": "card", "debit_card": "card", "bank_account": "bank"}

# -- errors, each with its message ----------------------------------------------------------


class AmountAboveBalance(DomainError):
    field = "amount"


class AmountRequired(DomainError):
    field = "amount"
    message = "Enter an amount more than 0"


class NotPayable(Conflict):
    """The invoice's state takes no payment (a draft, a void invoice): 409."""


class NotRefundable(Conflict):
    message = "Only a card payment that went through can be refunded."


class RefundTooLarge(DomainError):
    field = "amount"


class PaymentFailed(DomainError):
    """The processor refused: nothing was charged. `code`: the processor's reason."""

    status = 402

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


@raised_for("uq_payment_attempts_key")
class AttemptRecorded(Conflict):
    """Another request recorded this attempt first (pay reads it)."""

    message = "This payment was already made."


# -- the invoice kept in step ------------------------------------------------------------------


def _locked(invoice: Invoice) -> Invoice:
    """The invoice as committed now, its row locked until the unit ends (PostgreSQL): payments
    of one invoice at once are judged one after the other, each against the balance left."""
    return db.session.scalars(
        select(Invoice).where(Invoice.id == invoice.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def apply(invoice: Invoice) -> None:
    """amount_paid and status from the invoice's payments (read in this unit, after its writes)."""
    db.session.flush()
    rows = db.session.execute(
        select(Payment.status, func.coalesce(func.sum(Payment.amount - Payment.refunded), 0))
        .where(Payment.partner_id == invoice.partner_id, Payment.invoice_id == invoice.id)
        .group_by(Payment.status)
    ).all()
    covered = {status: int(total) for status, total in rows}
    old_balance = open_balance(invoice)
    was_paid = invoice.status == "paid"
    invoice.amount_paid = covered.get("succeeded", 0) + covered.get("pending", 0)
    if invoice.status in ("open", "paid"):
        invoice.status = "paid" if covered.get("succeeded", 0) >= invoice.total else "open"
    db.session.flush()
    balance_changed(invoice, old_balance)  # the Overview's and the list's kept open balances
    if invoice.status == "paid" and not was_paid:
        emit(invoice.partner_id, "invoice.paid", invoice)


def _check_amount(invoice: Invoice, amount: int, locale: str) -> None:
    if invoice.status not in ("open", "paid"):
        raise NotPayable(f"{invoice.number or 'This invoice'} is {invoice.status}: only an open invoice takes payments")
    if amount <= 0:
        raise AmountRequired()
    if amount > invoice.balance:
        if invoice.balance == 0:
            raise AmountAboveBalance(f"{invoice.number} is paid in full: nothing is left to pay")
        raise AmountAboveBalance(
            f"Enter {money.format_money(invoice.balance, invoice.currency, locale)} or less: that is the balance")


def _subject(payment: Payment, invoice: Invoice, locale: str) -> str:
    return f"{money.format_money(payment.amount, payment.currency, locale)} for {invoice.number}"


def _record_history(action: str, payment: Payment, invoice: Invoice, partner: Partner, staff_id: int | None,
                    amount: int | None = None) -> None:
    shown = money.format_money(payment.amount if amount is None else amount, payment.currency, partner.locale)
    history.record(partner_id=payment.partner_id, staff_id=staff_id, action=action, customer_id=payment.customer_id,
                   subject=f"{shown} for {invoice.number} ({payment.method_label})")


# -- recorded by hand ----------------------------------------------------------------------------


def record_offline(invoice: Invoice, amount: int, paid_on: date, method: str, reference: str, *,
                   staff_id: int | None) -> Payment:
    """A payment received elsewhere (check, wire, cash, other): succeeded as recorded.
    staff_id: who recorded it (None: the API or an import)."""
    if method not in OFFLINE_KINDS:
        raise DomainError("Choose how it was paid", field="method")
    invoice = _locked(invoice)
    partner = db.session.get(Partner, invoice.partner_id)
    _check_amount(invoice, amount, partner.locale)
    payment = Payment(
        partner_id=invoice.partner_id, customer_id=invoice.customer_id, invoice_id=invoice.id, amount=amount,
        currency=invoice.currency, kind=method, method_label=OFFLINE_NAMES[method], status="succeeded",
        idempotency_key=f"offline-{secrets.token_urlsafe(18)}", paid_on=paid_on, reference=reference,
        created_by_staff_id=staff_id,
    )
    db.session.add(payment)
    apply(invoice)
    _record_history("payment.recorded", payment, invoice, partner, staff_id)
    emit(payment.partner_id, "payment.succeeded", payment)
    return payment


# -- refunds ----------------------------------------------------------------------------------------


def refund(payment: Payment, amount: int, *, staff_id: int, key: str | None = None) -> Refund:
    """All or part of a card payment through the processor; never more than paid less refunded.
    key: the refund's idempotency key (one per refund form drawn: a resubmitted form refunds once)."""
    if payment.kind != "card" or payment.status != "succeeded":
        raise NotRefundable()
    payment = db.session.scalars(select(Payment).where(Payment.id == payment.id).with_for_update()
                                 .execution_options(populate_existing=True)).one()
    invoice = _locked(db.session.get(Invoice, payment.invoice_id))
    partner = db.session.get(Partner, payment.partner_id)
    key = key or f"refund-{secrets.token_urlsafe(18)}"
    done = db.session.scalar(scoped(Refund, payment.partner_id).where(Refund.idempotency_key == key))
    if done is not None:
        return done
    if amount <= 0:
        raise AmountRequired()
    if amount > payment.refundable:
        left = money.format_money(payment.refundable, payment.currency, partner.locale)
        raise RefundTooLarge(f"Enter {left} or less: that is what is left of the payment")
    try:
        answer = gateway_for(current_app).refund(payment.charge_id, amount, f"{payment.partner_id}:{key}")
    except GatewayError as error:
        raise PaymentFailed(error.message, error.code) from None
    made = Refund(partner_id=payment.partner_id, payment_id=payment.id, amount=amount,
                  processor_refund_id=answer.id, idempotency_key=key, created_by_staff_id=staff_id)
    db.session.add(made)
    payment.refunded += amount
    apply(invoice)
    _record_history("payment.refunded", payment, invoice, partner, staff_id, amount)
    emit(payment.partner_id, "payment.refunded", payment)
    return made


# -- paying through the processor ---------------------------------------------------------------


def new_attempt_key() -> str:
    """Drawn into each pay page's form: one key per attempt at paying."""
    return secrets.token_urlsafe(24)


def surcharge_percent(partner: Partner, customer: Customer, method_kind: str) -> Decimal:
    """The percent added to a payment with this kind of method: credit cards only (never debit
    cards or bank debits), none where the partner turned surcharges off or the customer is exempt."""
    if method_kind != "credit_card" or not partner.surcharges_on or customer.surcharge_exempt:
        return Decimal(0)
    return min(Decimal(partner.surcharge_percent or 0), SURCHARGE_MAX)


def set_surcharge_exempt(customer: Customer, exempt: bool, *, staff_id: int) -> bool:
    """Exempt the customer from the partner's card surcharge, or end the exemption; False when
    it already was so (nothing written)."""
    if customer.surcharge_exempt == exempt:
        return False
    customer.surcharge_exempt = exempt
    history.record(partner_id=customer.partner_id, staff_id=staff_id, customer_id=customer.id,
                   action="surcharge.exempted" if exempt else "surcharge.restored")
    return True


def surcharge(amount: int, percent: Decimal) -> int:
    """Cents added to `amount` cents at `percent`, rounded half up."""
    return int((Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Share:
    invoice: Invoice
    amount: int  # cents toward it


def _check_shares(shares: Sequence[Share], customer: Customer, locale: str) -> str:
    if not shares:
        raise DomainError("Choose at least one invoice to pay", field="invoice")
    currencies = {share.invoice.currency for share in shares}
    if len(currencies) > 1:
        raise DomainError("Pay invoices in one currency at a time", field="invoice")
    for share in shares:
        if share.invoice.customer_id != customer.id or share.invoice.partner_id != customer.partner_id:
            raise NotPayable("That invoice is not this company's.")
        try:
            _check_amount(share.invoice, share.amount, locale)
        except DomainError as error:
            error.field = f"amount-{share.invoice.id}"
            raise
    return currencies.pop()


def recorded(partner_id: int, key: str) -> PaymentAttempt | None:
    """The attempt recorded with this key, if any: a resubmitted pay form answers with its receipt."""
    return db.session.scalar(scoped(PaymentAttempt, partner_id).where(PaymentAttempt.idempotency_key == key))


def pay(customer: Customer, shares: Sequence[Share], method: PaymentMethod, attempt_key: str, *,
        portal_account_id: int | None = None, today: date | None = None) -> PaymentAttempt:
    """Pay the shares with the customer's saved method, once per key.

    Returns the attempt with its payments (a card's succeeded, a bank debit's pending); raises
    PaymentFailed with the processor's reason in plain words when declined (nothing charged,
    nothing recorded), or a DomainError by the field for an amount the balance does not allow."""
    partner = db.session.get(Partner, customer.partner_id)
    done = recorded(partner.id, attempt_key)
    if done is not None:
        return done
    currency = _check_shares(shares, customer, partner.locale)
    percent = surcharge_percent(partner, customer, method.kind)
    surcharges = [surcharge(share.amount, percent) for share in shares]
    amount = sum(share.amount for share in shares)
    gateway = gateway_for(current_app)
    try:
        charge = gateway.charge(method.token, amount + sum(surcharges), currency, f"{partner.id}:{attempt_key}",
                                description=", ".join(share.invoice.number for share in shares))
    except Declined as declined:
        raise PaymentFailed(declined.message, declined.code) from None
    except GatewayError as error:
        raise PaymentFailed(error.message, error.code) from None
    try:
        with unit_of_work():
            return _record_charge(customer, partner, shares, surcharges, method, attempt_key, charge,
                                  portal_account_id=portal_account_id, today=today or partner_today(partner))
    except AttemptRecorded:
        db.session.rollback()
        return recorded(partner.id, attempt_key)
    except DomainError as refused:
        # Another payment of an invoice came in between our check and the charge: what we
        # charged goes back (once: the refund's key is the attempt's), and the person is told.
        if charge.status == "succeeded":
            gateway.refund(charge.id, charge.amount_cents, f"{partner.id}:{attempt_key}:returned")
        refused.message += ". Another payment came in at the same time: your payment was returned"
        raise


def _record_charge(customer: Customer, partner: Partner, shares: Sequence[Share], surcharges: list[int],
                   method: PaymentMethod,
                   attempt_key: str, charge, *, portal_account_id: int | None, today: date) -> PaymentAttempt:
    kind = METHOD_PAYMENT_KINDS[method.kind]
    status = "pending" if charge.status == "pending" else "succeeded"
    attempt = PaymentAttempt(
        partner_id=partner.id, customer_id=customer.id, idempotency_key=attempt_key, payment_method_id=method.id,
        charge_id=charge.id, currency=charge.currency, amount=sum(share.amount for share in shares),
        surcharge=sum(surcharges), portal_account_id=portal_account_id,
    )
    db.session.add(attempt)
    db.session.flush()  # the unique key: a second record of this attempt stops here
    label = payment_methods.label(method)
    for share, extra in zip(shares, surcharges, strict=True):
        invoice = _locked(share.invoice)
        _check_amount(invoice, share.amount, partner.locale)
        payment = Payment(
            partner_id=partner.id, customer_id=customer.id, invoice_id=invoice.id, attempt=attempt,
            amount=share.amount, currency=charge.currency, surcharge=extra, kind=kind,
            payment_method_id=method.id, method_label=label, status=status, charge_id=charge.id,
            idempotency_key=f"{attempt_key}:{invoice.id}", paid_on=today,
            created_by_portal_account_id=portal_account_id,
        )
        db.session.add(payment)
        apply(invoice)
        _record_history("payment.received", payment, invoice, partner, None)
        if status == "succeeded":  # a bank debit's event waits for it to settle (settle_debits)
            emit(partner.id, "payment.succeeded", payment)
    queue_receipt(attempt, customer, partner)
    if status == "succeeded":  # a bank debit's notice waits for it to settle
        queue_staff_notice(attempt, customer, partner)
    return attempt


# -- receipts -------------------------------------------------------------------------------------


def receipt_link(attempt: PaymentAttempt) -> str:
    return f"{current_app.config['BASE_URL']}/portal/payments/{attempt.payments[0].id}"


def queue_receipt(attempt: PaymentAttempt, customer: Customer, partner: Partner) -> None:
    """One receipt email for the attempt to every user of the customer, in the caller's unit of
    work (a payment that rolls back sends nothing). Auto-pay calls it too."""
    db.session.flush()
    invoices = {invoice.id: invoice for invoice in db.session.scalars(
        scoped(Invoice, partner.id).where(Invoice.id.in_([p.invoice_id for p in attempt.payments])))}
    context = dict(attempt=attempt, customer=customer, partner=partner, invoices=invoices, link=receipt_link(attempt),
                   locale=partner.locale,
                   total=money.format_money(attempt.charged, attempt.currency, partner.locale))
    numbers = ", ".join(invoices[p.invoice_id].number for p in attempt.payments)
    subject = f"Receipt from {partner.name}: {context['total']} for {numbers}"
    for user in customer.users:
        queue_templated_email("receipt", to=user.email, subject=subject, ref=f"payment-attempt:{attempt.id}",
                              user=user, **context)


def notice_context(customer: Customer, partner: Partner, shares: Sequence[Share], method_label: str,
                   charged: int) -> dict:
    """What the staff's notice and the failure notice name: the invoices, their amounts, the total."""
    currency = shares[0].invoice.currency
    lines = [(share.invoice.number, money.format_money(share.amount, currency, partner.locale)) for share in shares]
    return dict(customer=customer, partner=partner, lines=lines, method_label=method_label,
                numbers=", ".join(number for number, _amount in lines),
                total=money.format_money(charged, currency, partner.locale),
                dashboard_link=f"{current_app.config['BASE_URL']}/customers/{customer.id}")


def _notice_context(attempt: PaymentAttempt, customer: Customer, partner: Partner) -> dict:
    db.session.flush()
    invoices = {invoice.id: invoice for invoice in db.session.scalars(
        scoped(Invoice, partner.id).where(Invoice.id.in_([p.invoice_id for p in attempt.payments])))}
    return notice_context(customer, partner, [Share(invoices[p.invoice_id], p.amount) for p in attempt.payments],
                          attempt.payments[0].method_label, attempt.charged)


def _to_staff(template: str, subject: str, ref: str, context: dict) -> None:
    for staff in context["partner"].staff:
        queue_templated_email(template, to=staff.email, subject=subject, ref=ref, user=staff, **context)


def queue_staff_notice(attempt: PaymentAttempt, customer: Customer, partner: Partner) -> None:
    """A notice to every staff user of the partner that the attempt's payment succeeded (a card at
    once, a bank debit when it settles), in the caller's unit of work."""
    context = _notice_context(attempt, customer, partner)
    subject = f"Payment received: {context['total']} from {customer.company} for {context['numbers']}"
    _to_staff("payment_notice", subject, f"payment-attempt:{attempt.id}", context)


def queue_failure_notice(customer: Customer, partner: Partner, context: dict, reason: str, ref: str) -> None:
    """A payment that failed (a bank debit the bank returned, an automatic payment declined): a
    notice to every user of the customer and every staff user of the partner, in the caller's unit.
    context: _notice_context's (or the same names)."""
    subject = f"Payment failed: {context['total']} for {context['numbers']}"
    context = dict(context, reason=reason, portal_link=f"{current_app.config['BASE_URL']}/portal")
    for user in customer.users:
        queue_templated_email("payment_failed", to=user.email, subject=subject, ref=ref, user=user,
                              for_staff=False, **context)
    _to_staff("payment_failed", subject, ref, dict(context, for_staff=True))


# -- bank debits settling -------------------------------------------------------------------------


def settle_debits(_worker: str = "", stopping=lambda: False) -> str | None:
    """The worker's job: ask the processor how each pending bank debit stands; a settled one
    succeeds, a failed one fails (its invoice open again) with the bank's reason."""
    charge_ids = list(db.session.scalars(select(Payment.charge_id).where(Payment.status == "pending").distinct()))
    db.session.rollback()
    settled = 0
    gateway = gateway_for(current_app)
    for charge_id in charge_ids:
        if stopping():
            break
        answer = gateway.debit_status(charge_id)
        if answer.status == "pending":
            continue
        with unit_of_work():
            attempts = set()
            for payment in db.session.scalars(select(Payment).where(Payment.charge_id == charge_id,
                                                                      Payment.status == "pending").with_for_update()):
                attempts.add(payment.attempt_id)
                payment.status = answer.status
                payment.failure_message = answer.message[:300]
                invoice = _locked(db.session.get(Invoice, payment.invoice_id))
                apply(invoice)
                if answer.status == "failed":
                    partner = db.session.get(Partner, payment.partner_id)
                    _record_history("payment.failed", payment, invoice, partner, None)
                emit(payment.partner_id, f"payment.{answer.status}", payment)
                settled += 1
            for attempt_id in attempts - {None}:
                _notify_settled(db.session.get(PaymentAttempt, attempt_id), answer)
    return f"settled {settled} bank debit payment(s)" if settled else None


def _notify_settled(attempt: PaymentAttempt, answer) -> None:
    customer = db.session.get(Customer, attempt.customer_id)
    partner = db.session.get(Partner, attempt.partner_id)
    if answer.status == "failed":
        queue_failure_notice(customer, partner, _notice_context(attempt, customer, partner), answer.message,
                             f"payment-attempt:{attempt.id}")
    else:
        queue_staff_notice(attempt, customer, partner)


# -- reading ------------------------------------------------------------------------------------------


def invoice_payments(invoice: Invoice) -> list[Payment]:
    return list(db.session.scalars(
        scoped(Payment, invoice.partner_id).where(Payment.invoice_id == invoice.id).order_by(Payment.id)))
