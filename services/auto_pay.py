"""Auto-pay: a partner's rules charge customers' default methods on the due date (plus or minus
days) during the automation pass, through payments.pay's exactly-once path.

Exactly once: before the processor is called, the attempt is claimed as a row of
auto_pay_charges, unique per (invoice, attempt no.), inserted with ON CONFLICT DO NOTHING and
committed; only the pass whose insert went in charges. The charge's key is made from (invoice,
rule, attempt no.), so a pass that died between the charge and its record is finished by a later
pass with the same key (the processor answers the same charge, pay records it once). A declined
charge notifies the customer's users and the partner's staff and is tried again on a later day
of the partner's calendar, at most max_retries times. A customer without a default method is
not charged and is counted (the settings page lists it: "needs a default payment method").
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, select, true

from extensions import db, insert_or_else
from models import (
    AutoPayCharge,
    AutoPayRule,
    Customer,
    Invoice,
    OutboxEmail,
    Partner,
    auto_pay_exclusions,
    customer_tags,
)
from services import payment_methods, payments
from tenancy import scoped
from unit_of_work import unit_of_work

RESUME_AFTER = timedelta(minutes=10)  # a claimed attempt this old was left by a pass that died
SPECIFIC = {"customer": 0, "tag": 1, "all": 2}  # the most specific rule of a customer wins


@dataclass(frozen=True)
class Due:
    invoice: Invoice
    rule: AutoPayRule
    method_label: str | None  # None: the customer has no default method


def attempt_key(invoice_id: int, rule_id: int, attempt_no: int) -> str:
    return f"auto-pay:{invoice_id}:{rule_id}:{attempt_no}"


def rules(partner_id: int) -> list[AutoPayRule]:
    return list(db.session.scalars(scoped(AutoPayRule, partner_id).order_by(AutoPayRule.id)))


def _matching(rule: AutoPayRule):
    if rule.scope == "customer":
        return Invoice.customer_id == rule.customer_id
    if rule.scope == "tag":
        return Invoice.customer_id.in_(select(customer_tags.c.customer_id).where(
            customer_tags.c.partner_id == rule.partner_id, customer_tags.c.tag_id == rule.tag_id))
    return true()


def due(partner: Partner, today: date, oldest: date, *, rule: AutoPayRule | None = None,
        excluded: bool = False) -> list[Due]:
    """Open invoices with a balance whose charge date (due date + the rule's offset) is between
    `oldest` and `today`, each under the most specific rule of its customer, excluded ones left
    out (or only those, excluded=True), none yet charged or declined as often as the rule allows.
    A customer under a more specific rule is that rule's alone: a broader rule never charges it,
    neither earlier (its own days) nor an invoice the specific rule excludes or has stopped retrying."""
    found: dict[int, Due] = {}
    more_specific = []
    for each in sorted(rules(partner.id), key=lambda r: (SPECIFIC[r.scope], r.id)):
        if rule is not None and each.id != rule.id:
            more_specific.append(each)
            continue
        left_out = select(auto_pay_exclusions.c.invoice_id).where(auto_pay_exclusions.c.rule_id == each.id)
        charged = select(AutoPayCharge.invoice_id).where(AutoPayCharge.partner_id == partner.id,
                                                         AutoPayCharge.outcome == "charged")
        # Declined as often as the rule allows now (its retries may have been lowered since).
        spent = select(AutoPayCharge.invoice_id).where(AutoPayCharge.partner_id == partner.id,
                                                       AutoPayCharge.outcome == "declined",
                                                       AutoPayCharge.attempt_no > each.max_retries)
        query = (scoped(Invoice, partner.id)
                 .where(Invoice.status == "open", Invoice.total > Invoice.amount_paid, _matching(each),
                        *[not_(_matching(other)) for other in more_specific],
                        Invoice.due_date.between(oldest - timedelta(days=each.offset_days),
                                                 today - timedelta(days=each.offset_days)),
                        Invoice.id.not_in(charged), Invoice.id.not_in(spent),
                        Invoice.id.in_(left_out) if excluded else Invoice.id.not_in(left_out))
                 .order_by(Invoice.due_date, Invoice.id))
        for invoice in db.session.scalars(query):
            if invoice.id not in found:
                customer = db.session.get(Customer, invoice.customer_id)
                method = payment_methods.default_method(customer)
                found[invoice.id] = Due(invoice, each, payment_methods.label(method) if method else None)
        more_specific.append(each)
    return sorted(found.values(), key=lambda d: (d.invoice.due_date, d.invoice.id))


def _attempts(partner_id: int, invoice_id: int) -> list[AutoPayCharge]:
    return list(db.session.scalars(scoped(AutoPayCharge, partner_id).where(AutoPayCharge.invoice_id == invoice_id)
                                   .order_by(AutoPayCharge.attempt_no)))


def run(partner: Partner, at: datetime, window: timedelta, counts) -> None:
    """Charge what is due as of `at` (naive UTC) on the partner's calendar; counts: automation.Counts."""
    zone = ZoneInfo(partner.time_zone)
    today = at.replace(tzinfo=UTC).astimezone(zone).date()
    oldest = (at - window).replace(tzinfo=UTC).astimezone(zone).date()
    with unit_of_work():
        todo = [(d.invoice.id, d.rule.id, d.rule.max_retries, d.method_label is not None)
                for d in due(partner, today, oldest)]
    for invoice_id, rule_id, max_retries, has_method in todo:
        if not has_method:
            counts.recorded["auto-pay: no default method"] += 1
            continue
        _charge(partner, invoice_id, rule_id, max_retries, at, today, zone, counts)


def _charge(partner: Partner, invoice_id: int, rule_id: int, max_retries: int, at: datetime, today: date, zone,
            counts) -> None:
    with unit_of_work():
        tried = _attempts(partner.id, invoice_id)
        last = tried[-1] if tried else None
        invoice = db.session.get(Invoice, invoice_id)
        if (last is not None and last.outcome == "charged") or invoice.status != "open" \
                or invoice.total <= invoice.amount_paid:
            return  # another pass charged it, or it was paid or voided since the list was read
        if last is not None and last.outcome == "declined" and (
                len(tried) > max_retries or last.recorded_at.replace(tzinfo=UTC).astimezone(zone).date() >= today):
            return  # out of retries, or tried today already: a later day tries again
        if last is not None and last.outcome == "pending":
            if at - last.recorded_at < RESUME_AFTER:
                return  # another pass is charging it now
            attempt_no, key = last.attempt_no, last.attempt_key  # a pass died mid-charge: finish it
        else:
            attempt_no = len(tried) + 1
            key = attempt_key(invoice_id, rule_id, attempt_no)
            claimed = db.session.scalar(
                insert_or_else(AutoPayCharge).values(
                    partner_id=partner.id, invoice_id=invoice_id, rule_id=rule_id, attempt_no=attempt_no,
                    attempt_key=key, outcome="pending", message="", recorded_at=at)
                .on_conflict_do_nothing(index_elements=["invoice_id", "attempt_no"])
                .returning(AutoPayCharge.id))
            if claimed is None:
                return  # another pass claimed this attempt
    invoice = db.session.get(Invoice, invoice_id)
    customer = db.session.get(Customer, invoice.customer_id)
    method = payment_methods.default_method(customer)
    share = payments.Share(invoice, invoice.total - invoice.amount_paid)
    try:
        if method is None or share.amount <= 0 or invoice.status != "open":
            raise payments.PaymentFailed("The invoice was paid or the default method removed before the charge")
        attempt = payments.pay(customer, [share], method, key)
    except payments.PaymentFailed as failed:
        db.session.rollback()
        with unit_of_work():
            row = _row(partner.id, invoice_id, attempt_no)
            row.outcome, row.message = "declined", failed.message[:300]
            invoice = db.session.get(Invoice, invoice_id)
            if method is not None and invoice.status == "open":
                context = payments.notice_context(customer, partner, [share], payment_methods.label(method),
                                                  share.amount)
                payments.queue_failure_notice(customer, partner, context, failed.message,
                                              f"auto-pay:{invoice_id}:{attempt_no}")
                counts.queued["auto-pay declines"] += 1
                counts.emails["auto-pay declines"] += len(customer.users) + len(partner.staff)
        return
    with unit_of_work():
        row = _row(partner.id, invoice_id, attempt_no)
        row.outcome, row.payment_attempt_id = "charged", attempt.id
        counts.queued["auto-pay charges"] += 1
        counts.emails["auto-pay charges"] += db.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.ref == f"payment-attempt:{attempt.id}"))


def _row(partner_id: int, invoice_id: int, attempt_no: int) -> AutoPayCharge:
    return db.session.scalars(scoped(AutoPayCharge, partner_id).where(
        AutoPayCharge.invoice_id == invoice_id, AutoPayCharge.attempt_no == attempt_no)).one()


def partners_with_rules() -> list[int]:
    return list(db.session.scalars(select(AutoPayRule.partner_id).distinct().order_by(AutoPayRule.partner_id)))




# -- the settings page ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleValues:
    scope: str
    customer_id: int | None
    tag_id: int | None
    offset_days: int
    max_retries: int


def add_rule(partner_id: int, values: RuleValues) -> AutoPayRule:
    rule = AutoPayRule(partner_id=partner_id, scope=values.scope, customer_id=values.customer_id,
                       tag_id=values.tag_id, offset_days=values.offset_days, max_retries=values.max_retries)
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: AutoPayRule, values: RuleValues) -> None:
    """Change a rule in place: its id, so its exclusions and the keys of its attempts, stay. The
    charge ledger is per invoice, whatever rule made the charge: an invoice charged once is never
    charged again, whatever offset or scope the rule takes; a lower retry limit stops the retries
    of invoices declined that often already (`due` leaves them out), a higher one resumes them."""
    rule.scope, rule.customer_id, rule.tag_id = values.scope, values.customer_id, values.tag_id
    rule.offset_days, rule.max_retries = values.offset_days, values.max_retries


def get_rule(partner_id: int, rule_id: int) -> AutoPayRule | None:
    return db.session.scalar(scoped(AutoPayRule, partner_id).where(AutoPayRule.id == rule_id))


def remove_rule(rule: AutoPayRule) -> None:
    db.session.execute(auto_pay_exclusions.delete().where(auto_pay_exclusions.c.rule_id == rule.id))
    db.session.delete(rule)


def set_excluded(rule: AutoPayRule, invoice: Invoice, *, excluded: bool) -> None:
    """Leave the invoice out of the rule (or take it back); the invoice is the rule's partner's."""
    where = (auto_pay_exclusions.c.rule_id == rule.id) & (auto_pay_exclusions.c.invoice_id == invoice.id)
    db.session.execute(auto_pay_exclusions.delete().where(where))
    if excluded:
        db.session.execute(auto_pay_exclusions.insert().values(partner_id=rule.partner_id, rule_id=rule.id,
                                                               invoice_id=invoice.id))


def preview(partner: Partner, rule: AutoPayRule, now: datetime, window: timedelta) -> tuple[list[Due], list[Due]]:
    """What the rule would charge as of now (naive UTC), and the invoices left out of it."""
    zone = ZoneInfo(partner.time_zone)
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    oldest = (now - window).replace(tzinfo=UTC).astimezone(zone).date()
    return (due(partner, today, oldest, rule=rule), due(partner, today, oldest, rule=rule, excluded=True))
