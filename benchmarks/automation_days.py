"""python -m benchmarks.automation_days: issue 14's "Done when" check at full size.

Seeds two partners (New York, weekly summaries; Vancouver, monthly summaries and its own
schedule) with N customers (default 1,000) and their invoices in every state, through the
app's services; then drives sixty simulated days from 2027-02-20 (across the start of daylight
time on 2027-03-14, with a two-day gap on 2027-03-30/31) by running `flask automation run
--at …` through the real CLI command several times a day, with payments, voids and Sends by
hand at set moments between passes. An independent oracle (the rules below, written out
plainly, never the services' due-date code) says which reminder, summary, auto-pay charge,
receipt and notice each pass should make; the check compares that with the ledgers and the
outbox: each expected one exactly once, by the pass that should make it, nothing else.

    python -m benchmarks.automation_days [--customers 1000] [--database-url URL]

Prints the figures as JSON and exits 1 on any difference. tests/test_automation_sixty_days.py
runs the same check at a smaller size on each database.
"""

import argparse
import bisect
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

# -- the rules, written out plainly ---------------------------------------------------------------

START = date(2027, 2, 20)  # New York and Vancouver start daylight time on Sunday, 2027-03-14
DAYS = 60
GAP = {date(2027, 3, 30), date(2027, 3, 31)}  # the server is down: no pass at all on these days
PASS_TIMES = (clock(4, 30), clock(7, 30), clock(17, 0))  # UTC; around midnight in both zones
EXTRA_PASS = clock(23, 45)  # every third day a fourth pass (a scheduler that runs more than daily)
SEEDED_AT = datetime(2027, 2, 19, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)  # nothing whose moment passed more than this long ago
MANUAL_BEFORE = timedelta(hours=24)  # a Send by hand this long before a step's moment makes the step
PARTNERS = {
    "ny": {"name": "Hudson IT", "email": "owner@hudson-it.example.com", "zone": "America/New_York",
           "steps": (-3, 0, 7, 14), "summaries": ("weekly", date(2027, 2, 17))},
    "van": {"name": "Coastal MSP", "email": "owner@coastal-msp.example.com", "zone": "America/Vancouver",
            "steps": (-5, 0, 10, 21), "summaries": ("monthly", date(2027, 1, 31))},
}
# Auto-pay rules: (partner, scope, who: a customer's index or a tag's name, days from due, retries).
RULES = (("ny", "all", None, 0, 2), ("ny", "customer", 0, 3, 1),
         ("van", "tag", "Auto-pay", -2, 1), ("van", "customer", 7, 1, 2))
SPECIFIC = ("customer", "tag", "all")  # an invoice follows its customer's most specific rule
GOOD_CARD, DECLINED_CARD = "4242 4242 4242 4242", "4000 0000 0000 0002"  # the sandbox's
KINDS = ("draft", "open", "open", "partly paid during", "partly paid before", "paid before", "void before",
         "paid during", "voided during", "sent by hand")
PASSWORD = "sixty days of automation"  # noqa: S105 - the seeded staff login's, in a throwaway database


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of `day` on the zone's clock, as a naive UTC time."""
    return datetime.combine(day, clock(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The zone's date at a naive UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def period_starts(period: str, start: date, until: date) -> list[date]:
    """Every period's first day from `start` up to `until` (a month's 31st falls on a shorter
    month's last day)."""
    starts, k = [], 0
    while True:
        if period == "weekly":
            day = start + timedelta(weeks=k)
        else:
            year, month = start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1
            last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
            day = date(year, month, min(start.day, last))
        if day > until:
            return starts
        starts.append(day)
        k += 1


def pass_moments() -> list[datetime]:
    moments = []
    for n in range(DAYS):
        day = START + timedelta(days=n)
        if day in GAP:
            continue
        times = PASS_TIMES + ((EXTRA_PASS,) if n % 3 == 0 else ())
        moments += [datetime.combine(day, at, tzinfo=UTC) for at in times]
    return moments


# -- the plan: who and what is seeded, and what happens between passes ------------------------------


@dataclass
class CustomerPlan:
    n: int
    partner: str
    users: list[str]
    card: str | None
    tags: set[str]
    reminders_off: bool
    summary_left_out: bool
    id: int = 0


@dataclass
class InvoicePlan:
    customer: CustomerPlan
    kind: str
    issue: date
    due: date
    quantity: int
    price: int
    excluded: bool = False  # from the customer's auto-pay rule
    event_at: datetime | None = None  # when the kind's event happens during the run (aware UTC)
    id: int = 0
    total: int = 0
    finalized_at: datetime | None = None


def rule_for(customer: CustomerPlan) -> tuple | None:
    """The customer's most specific auto-pay rule."""
    found = [rule for rule in RULES if rule[0] == customer.partner and (
        rule[1] == "all" or (rule[1] == "customer" and rule[2] == customer.n)
        or (rule[1] == "tag" and rule[2] in customer.tags))]
    return min(found, key=lambda rule: SPECIFIC.index(rule[1]), default=None)


def plan(customers: int) -> tuple[list[CustomerPlan], list[InvoicePlan]]:
    people, invoices = [], []
    for n in range(customers):
        partner = "ny" if n % 2 == 0 else "van"
        users = [] if n % 7 == 3 else [f"c{n}.u{k}@example.com" for k in range(2 if n % 3 == 0 else 1)]
        card = GOOD_CARD if n % 5 in (0, 1) else DECLINED_CARD if n % 5 == 2 else None
        tags = {"Quiet"} if n % 11 == 4 else set()
        if partner == "van" and n % 6 == 1:
            tags.add("Auto-pay")
        customer = CustomerPlan(n, partner, users, card, tags, n % 13 == 5, n % 9 == 2)
        people.append(customer)
        zone = ZoneInfo(PARTNERS[partner]["zone"])
        steps = PARTNERS[partner]["steps"]
        for j in range(3):
            kind = KINDS[(n + j) % len(KINDS)]
            due = START + timedelta(days=(n * 7 + j * 19) % 75 - 12)
            issued_late = (n + j) % 4 == 0  # issued the day before the run: earlier steps fell before it
            issue = min(due, SEEDED_AT.date()) if issued_late else min(due - timedelta(days=30), SEEDED_AT.date())
            invoice = InvoicePlan(customer, kind, issue, due, 1 + n % 3, 10_000 + 137 * n,
                                  excluded=partner == "ny" and kind == "open" and n % 4 == 0)
            during = START + timedelta(days=(n * 3 + j * 5) % 57)
            if kind in ("partly paid during", "paid during", "voided during"):
                invoice.event_at = datetime.combine(during, clock(12, 10 * (n % 6)), tzinfo=UTC)
            elif kind == "sent by hand" and users:
                step = local_midnight(due + timedelta(days=steps[1 + n % 2]), zone)
                sent = step - timedelta(hours=1 + n % 20, minutes=10)
                if sent < datetime.combine(START, clock(8), tzinfo=UTC).replace(tzinfo=None):
                    sent = local_midnight(due + timedelta(days=steps[3]), zone) - timedelta(hours=5, minutes=10)
                invoice.event_at = sent.replace(tzinfo=UTC)
            elif kind == "sent by hand":
                invoice.kind = "open"  # no one to send it to
            invoices.append(invoice)
    return people, invoices


# -- seeding, through the app's services ---------------------------------------------------------------


def _seed(app, runner, people: list[CustomerPlan], invoices: list[InvoicePlan]) -> dict:
    from extensions import db
    from models import Customer, Invoice, Partner, ReminderStep, StaffUser
    from payments import gateway_for
    from services import auto_pay, payment_methods, reminders, summaries, tags
    from services import invoices as invoice_service
    from services.customers import create_customer
    from services.payments import record_offline
    from unit_of_work import unit_of_work

    world = {"partners": {}, "staff": {}, "tags": {}, "steps": {}}
    for key, values in PARTNERS.items():
        result = runner.invoke(args=["create-partner", values["name"], values["email"], "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        with app.app_context(), unit_of_work():
            staff = db.session.scalar(select(StaffUser).where(StaffUser.email == values["email"]))
            partner = db.session.get(Partner, staff.partner_id)
            partner.time_zone = values["zone"]
            world["partners"][key], world["staff"][key] = partner.id, (staff.id, [staff.email])
            mine = reminders.steps(partner.id)
            reminders.update_steps(partner.id, [
                reminders.StepValues(offset, True, step.subject_template, step.body_template)
                for offset, step in zip(values["steps"], mine, strict=True)])
            world["steps"].update({step.id: offset for step, offset in zip(
                db.session.scalars(select(ReminderStep).where(ReminderStep.partner_id == partner.id)
                                   .order_by(ReminderStep.position)), values["steps"], strict=True)})
            period, start = values["summaries"]
            summaries.save(partner.id, summaries.SummaryValues(True, period, start))
            for name in ("Quiet", "Auto-pay"):
                world["tags"][key, name] = tags.create_tag(partner.id, staff_id=staff.id, name=name, color="blue").id
            reminders.set_off_tags(partner.id, {world["tags"][key, "Quiet"]})

    gateway = gateway_for(app)
    with app.app_context(), time_machine.travel(SEEDED_AT, tick=False):
        for customer in people:
            partner_id, (staff_id, _emails) = world["partners"][customer.partner], world["staff"][customer.partner]
            with unit_of_work():
                made = create_customer(
                    partner_id=partner_id, staff_id=staff_id,
                    users=[{"name": "Pat Doe", "email": e} for e in customer.users],
                    details={"company": f"Client {customer.n:05d}", "legal_name": f"Client {customer.n:05d} LLC",
                             "ein": f"{10 + customer.n // 10_000_000:02d}-{customer.n % 10_000_000:07d}",
                             "country": "US", "address": "100 Main St", "city": "Austin", "state": "TX",
                             "postal_code": "78701"})
                db.session.flush()
                customer.id = made.id
                if customer.reminders_off:
                    reminders.turn_customer(made, on=False)
                if customer.summary_left_out:
                    summaries.leave_out(made, left_out=True)
                for name in sorted(customer.tags):
                    tag = tags.find_tag(partner_id, world["tags"][customer.partner, name])
                    tags.add_tag_to_customers(tag, [made.id], staff_id=staff_id)
            if customer.card:
                token = gateway.tokenize_card(number=customer.card, exp_month="12", exp_year="2040", cvc="123",
                                              name="Pat Doe").token
                with unit_of_work():
                    payment_methods.add_from_token(db.session.get(Customer, customer.id), token, gateway,
                                                   staff_id=staff_id)
        rules = {}
        with unit_of_work():
            for rule in RULES:
                partner_key, scope, who, offset, retries = rule
                customer_id = next(c.id for c in people if c.n == who) if scope == "customer" else None
                tag_id = world["tags"][partner_key, who] if scope == "tag" else None
                rules[rule] = auto_pay.add_rule(world["partners"][partner_key], auto_pay.RuleValues(
                    scope, customer_id, tag_id, offset, retries)).id
        for invoice in invoices:
            customer = invoice.customer
            finalized_at = datetime.combine(invoice.issue, clock(12), tzinfo=UTC)
            with time_machine.travel(min(finalized_at, SEEDED_AT), tick=False), unit_of_work():
                values = invoice_service.DraftValues(invoice.issue, invoice.due, "", [invoice_service.LineValues(
                    "Managed services", Decimal(invoice.quantity), invoice.price)])
                made = invoice_service.create_draft(db.session.get(Customer, customer.id), values, staff_id=None)
                if invoice.kind != "draft":
                    invoice_service.finalize(made, today=invoice.issue)
                db.session.flush()
                invoice.id, invoice.total = made.id, made.total
            with unit_of_work():
                made = db.session.get(Invoice, invoice.id)
                invoice.finalized_at = made.finalized_at
                staff_id = world["staff"][customer.partner][0]
                if invoice.kind in ("partly paid before", "paid before"):
                    amount = made.total // 2 if invoice.kind == "partly paid before" else made.total
                    record_offline(made, amount, SEEDED_AT.date(), "check", "Seeded", staff_id=staff_id)
                elif invoice.kind == "void before":
                    invoice_service.void(made, "Wrong quantity")
                if invoice.excluded:
                    rule = db.session.get(auto_pay.AutoPayRule, rules[rule_for(customer)])
                    auto_pay.set_excluded(rule, made, excluded=True)
    return world


# -- the run: passes through the CLI, and the events between them -----------------------------------


def _event(app, invoice: InvoicePlan, world: dict, moment: datetime) -> None:
    """What a person does at the moment: pays (by card in the portal when the customer has a card
    and no auto-pay rule, else a check is recorded), pays a third, voids, or sends by hand."""
    from extensions import db
    from models import Customer, Invoice, Partner
    from services import invoice_sending, payment_methods, payments
    from services import invoices as invoice_service
    from unit_of_work import unit_of_work

    zone = ZoneInfo(PARTNERS[invoice.customer.partner]["zone"])
    today = moment.astimezone(zone).date()
    staff_id = world["staff"][invoice.customer.partner][0]
    by_card = None
    with app.app_context(), time_machine.travel(moment, tick=False):
        with unit_of_work():
            made = db.session.get(Invoice, invoice.id)
            customer = db.session.get(Customer, made.customer_id)
            balance = made.total - made.amount_paid
            if invoice.kind == "partly paid during" and made.status == "open":
                payments.record_offline(made, made.total // 3, today, "check", "By hand", staff_id=staff_id)
            elif invoice.kind == "voided during" and made.status == "open" and not made.amount_paid:
                invoice_service.void(made, "Sent by mistake")
            elif invoice.kind == "sent by hand" and made.status in ("open", "paid"):
                invoice_sending.send_invoice(made, customer, db.session.get(Partner, made.partner_id),
                                             staff_id=staff_id, today=today, now=moment.replace(tzinfo=None))
            elif invoice.kind == "paid during" and made.status == "open" and paid_by_card(invoice.customer):
                by_card = [payments.Share(made, balance)], payment_methods.default_method(customer)
            elif invoice.kind == "paid during" and made.status == "open":
                payments.record_offline(made, balance, today, "check", "By hand", staff_id=staff_id)
        if by_card is not None:  # as the portal pays: the charge, then its record (payments.pay's own units)
            shares, method = by_card
            payments.pay(customer, shares, method, f"portal:{invoice.id}", today=today)
        db.session.remove()


def paid_by_card(customer: CustomerPlan) -> bool:
    return customer.card == GOOD_CARD and rule_for(customer) is None


def _outbox_top(app) -> int:
    from extensions import db
    from models import OutboxEmail

    with app.app_context():
        try:
            return db.session.scalar(select(func.coalesce(func.max(OutboxEmail.id), 0)))
        finally:
            db.session.remove()


def timeline(invoices: list[InvoicePlan]) -> list[tuple[datetime, InvoicePlan | None]]:
    """Every pass (None) and event, in order of their moments."""
    actions = [(moment, None) for moment in pass_moments()]
    actions += [(invoice.event_at, invoice) for invoice in invoices if invoice.event_at is not None]
    return sorted(actions, key=lambda action: (action[0], action[1] is None, action[1] and action[1].id))


def _drive(app, runner, actions, world) -> list[int]:
    """Run every action; the outbox's top id after each (the emails each one made)."""
    tops = []
    for number, (moment, invoice) in enumerate(actions):
        if invoice is None:
            # The moment as New York's or Vancouver's clock writes it, or in UTC: one instant.
            shown = moment.astimezone(ZoneInfo(("UTC", "America/New_York", "America/Vancouver")[number % 3]))
            result = runner.invoke(args=["automation", "run", "--at", shown.isoformat()])
            assert result.exit_code == 0, result.output
        else:
            _event(app, invoice, world, moment)
        tops.append(_outbox_top(app))
    return tops


# -- the oracle ----------------------------------------------------------------------------------------------


@dataclass
class Expected:
    emails: Counter = field(default_factory=Counter)  # (action no., kind, entity, to) -> 1
    reminders: dict = field(default_factory=dict)  # (invoice, offset) -> (outcome, action no.)
    summaries: dict = field(default_factory=dict)  # (customer, period start) -> action no.
    auto_pay: dict = field(default_factory=dict)  # (invoice, attempt no.) -> (outcome, action no.)
    states: dict = field(default_factory=dict)  # invoice -> (status, amount paid)


def oracle(people: list[CustomerPlan], invoices: list[InvoicePlan], actions, world: dict) -> Expected:
    """What should happen at each action, from the plan and the rules at the top of this file."""
    want = Expected()
    status = {i.id: "draft" if i.kind == "draft" else "void" if i.kind == "void before"
              else "paid" if i.kind == "paid before" else "open" for i in invoices}
    paid = {i.id: i.total // 2 if i.kind == "partly paid before" else i.total if i.kind == "paid before" else 0
            for i in invoices}
    sends: dict[int, list[datetime]] = defaultdict(list)
    steps_done: dict[int, dict[int, datetime]] = defaultdict(dict)  # invoice -> offset -> the step's moment
    attempts: dict[int, list[tuple[str, date]]] = defaultdict(list)  # invoice -> (outcome, the local day)
    staff = {key: emails for key, (_id, emails) in world["staff"].items()}
    billed: dict[int, list[InvoicePlan]] = defaultdict(list)
    for invoice in invoices:
        billed[invoice.customer.id].append(invoice)

    def owing(invoice):
        return status[invoice.id] == "open" and paid[invoice.id] < invoice.total

    def mail(number, kind, entity, recipients):
        for to in recipients:
            want.emails[number, kind, entity, to] += 1

    for number, (moment, event) in enumerate(actions):
        at = moment.astimezone(UTC).replace(tzinfo=None)
        if event is not None:
            i, customer = event, event.customer
            if event.kind == "partly paid during" and status[i.id] == "open":
                paid[i.id] += i.total // 3
            elif event.kind == "voided during" and status[i.id] == "open" and not paid[i.id]:
                status[i.id] = "void"
            elif event.kind == "sent by hand" and status[i.id] in ("open", "paid"):
                sends[i.id].append(at)
                mail(number, "invoice", i.id, customer.users)
            elif event.kind == "paid during" and status[i.id] == "open":
                if paid_by_card(customer):  # the receipt to the customer's users, the notice to the staff
                    mail(number, "payment", i.id, customer.users + staff[customer.partner])
                status[i.id], paid[i.id] = "paid", i.total
            continue
        # 1. Reminders: of the steps not yet recorded whose moment (00:00 of due + offset on the
        # partner's clock) is within the window, the latest is sent, the others recorded as skipped.
        for i in invoices:
            customer = i.customer
            if not owing(i) or customer.reminders_off or "Quiet" in customer.tags:
                continue
            zone = ZoneInfo(PARTNERS[customer.partner]["zone"])
            done = steps_done[i.id]
            due = sorted((local_midnight(i.due + timedelta(days=offset), zone), offset)
                         for offset in PARTNERS[customer.partner]["steps"] if offset not in done)
            due = [(when, offset) for when, offset in due if at - WINDOW <= when <= at]
            if not due:
                continue
            for when, offset in due[:-1]:
                want.reminders[i.id, offset] = ("skipped", number)
                done[offset] = when
            when, offset = due[-1]
            if when < i.finalized_at or (done and when <= max(done.values())):
                outcome = "skipped"  # it fell due before the invoice was issued, or after a later step
            elif any(when - MANUAL_BEFORE <= sent <= at for sent in sends[i.id]):
                outcome = "manual"
            elif not customer.users:
                outcome = "no_users"
            else:
                outcome = "sent"
                mail(number, "reminder", i.id, customer.users)
            want.reminders[i.id, offset] = (outcome, number)
            done[offset] = when
        # 2. Summaries: the period the partner's day is in, if it began within the window: once per
        # customer with something owing, not left out.
        for key, values in PARTNERS.items():
            zone = ZoneInfo(values["zone"])
            today = local_day(at, zone)
            starts = period_starts(*values["summaries"], today)
            if not starts or at - local_midnight(starts[-1], zone) > WINDOW:
                continue
            for customer in people:
                if customer.partner != key or customer.summary_left_out or (customer.id, starts[-1]) in want.summaries:
                    continue
                if any(owing(i) for i in billed[customer.id]):
                    want.summaries[customer.id, starts[-1]] = number
                    mail(number, "summary", customer.id, customer.users)
        # 3. Auto-pay: on the charge day (due + the rule's days) or a later one within the window, the
        # customer's default card; a decline is tried again on a later day, at most `retries` times.
        for i in invoices:
            customer, rule = i.customer, rule_for(i.customer)
            if rule is None or i.excluded or not owing(i) or customer.card is None:
                continue
            zone = ZoneInfo(PARTNERS[customer.partner]["zone"])
            today, oldest = local_day(at, zone), local_day(at - WINDOW, zone)
            if not oldest <= i.due + timedelta(days=rule[3]) <= today:
                continue
            tried = attempts[i.id]
            if tried and (len(tried) > rule[4] or tried[-1][1] >= today):
                continue
            everyone = customer.users + staff[customer.partner]
            if customer.card == GOOD_CARD:
                tried.append(("charged", today))
                status[i.id], paid[i.id] = "paid", i.total
                mail(number, "payment", i.id, everyone)
            else:
                tried.append(("declined", today))
                mail(number, "auto-pay failed", (i.id, len(tried)), everyone)
            want.auto_pay[i.id, len(tried)] = (tried[-1][0], number)
    want.states = {i.id: (status[i.id], paid[i.id]) for i in invoices}
    return want


# -- what happened, and the comparison ------------------------------------------------------------------


def happened(app, actions, tops: list[int], first_email: int, world: dict) -> Expected:
    from extensions import db
    from models import AutoPayCharge, Invoice, OutboxEmail, Payment, ReminderDelivery, SummaryDelivery

    number_of = {moment.astimezone(UTC).replace(tzinfo=None): n for n, (moment, event) in enumerate(actions)
                 if event is None}
    got = Expected()
    with app.app_context():
        attempt_invoice = dict(db.session.execute(select(Payment.attempt_id, Payment.invoice_id)
                                                  .where(Payment.attempt_id.is_not(None))).all())
        for email_id, ref, to in db.session.execute(select(OutboxEmail.id, OutboxEmail.ref, OutboxEmail.to_address)
                                                    .where(OutboxEmail.id > first_email)):
            kind, _, rest = (ref or "").partition(":")
            entity = {"reminder": lambda r: int(r), "summary": lambda r: int(r), "invoice": lambda r: int(r),
                      "payment-attempt": lambda r: attempt_invoice.get(int(r)),
                      "auto-pay": lambda r: tuple(int(part) for part in r.split(":"))}.get(kind, lambda r: r)(rest)
            kind = {"payment-attempt": "payment", "auto-pay": "auto-pay failed"}.get(kind, kind)
            got.emails[bisect.bisect_left(tops, email_id), kind, entity, to] += 1
        for invoice_id, step_id, outcome, recorded_at in db.session.execute(select(
                ReminderDelivery.invoice_id, ReminderDelivery.step_id, ReminderDelivery.outcome,
                ReminderDelivery.recorded_at)):
            got.reminders[invoice_id, world["steps"][step_id]] = (outcome, number_of.get(recorded_at))
        for customer_id, start, recorded_at in db.session.execute(select(
                SummaryDelivery.customer_id, SummaryDelivery.period_start, SummaryDelivery.recorded_at)):
            got.summaries[customer_id, start] = number_of.get(recorded_at)
        for invoice_id, attempt_no, outcome, recorded_at in db.session.execute(select(
                AutoPayCharge.invoice_id, AutoPayCharge.attempt_no, AutoPayCharge.outcome, AutoPayCharge.recorded_at)):
            got.auto_pay[invoice_id, attempt_no] = (outcome, number_of.get(recorded_at))
        payments = dict(db.session.execute(select(Payment.invoice_id, func.sum(Payment.amount))
                                           .where(Payment.status == "succeeded").group_by(Payment.invoice_id)).all())
        for invoice_id, status, amount_paid in db.session.execute(select(Invoice.id, Invoice.status,
                                                                         Invoice.amount_paid)):
            got.states[invoice_id] = (status, amount_paid)
            if payments.get(invoice_id, 0) != amount_paid:
                got.states[invoice_id] = (status, f"{amount_paid} paid but payments of {payments.get(invoice_id, 0)}")
        db.session.remove()
    return got


def differences(want: Expected, got: Expected, actions) -> list[str]:
    def when(number):
        return "never" if number is None else actions[number][0].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    found = []
    for key in sorted(set(want.emails) | set(got.emails), key=repr):
        if want.emails[key] != got.emails[key]:
            number, kind, entity, to = key
            found.append(f"{kind} email for {entity} to {to} at {when(number)}: expected {want.emails[key]}, "
                         f"found {got.emails[key]}")
    def show(value):
        if value is None or isinstance(value, int):
            return when(value)
        return f"{value[0]} at {when(value[1])}"

    for name in ("reminders", "summaries", "auto_pay"):
        expected, actual = getattr(want, name), getattr(got, name)
        for key in sorted(set(expected) | set(actual), key=repr):
            if key not in actual or expected.get(key) != actual[key]:
                found.append(f"{name} {key}: expected {show(expected.get(key)) if key in expected else 'nothing'}, "
                             f"found {show(actual[key]) if key in actual else 'nothing'}")
    for key in sorted(set(want.states) | set(got.states)):
        if want.states.get(key) != got.states.get(key):
            found.append(f"invoice {key}: expected {want.states.get(key)}, found {got.states.get(key)}")
    return found


@dataclass
class Result:
    differences: list[str]
    tally: dict[str, int]
    passes: int
    events: int
    seconds: dict[str, float]


def check(app, customers: int) -> Result:
    """Seed, drive sixty days, and compare with the oracle. app: a fresh, empty database's."""
    assert app.config["AUTOMATION_WINDOW_DAYS"] == WINDOW.days
    runner = app.test_cli_runner()
    people, invoices = plan(customers)
    started = time.perf_counter()
    world = _seed(app, runner, people, invoices)
    first_email = _outbox_top(app)  # the users' invitations came before
    seeded = time.perf_counter()
    actions = timeline(invoices)
    tops = _drive(app, runner, actions, world)
    driven = time.perf_counter()
    want = oracle(people, invoices, actions, world)
    got = happened(app, actions, tops, first_email, world)
    tally = Counter(kind for (_n, kind, _e, _to) in want.emails.elements())
    tally.update(f"reminders {outcome}" for outcome, _n in want.reminders.values())
    tally.update(f"auto-pay {outcome}" for outcome, _n in want.auto_pay.values())
    tally["auto-pay retries"] = sum(1 for _i, attempt in want.auto_pay if attempt > 1)
    tally["summaries recorded"] = len(want.summaries)
    return Result(differences(want, got, actions), dict(sorted(tally.items())),
                  sum(1 for _m, event in actions if event is None), sum(1 for _m, event in actions if event),
                  {"seed": round(seeded - started, 1), "sixty_days": round(driven - seeded, 1),
                   "compare": round(time.perf_counter() - driven, 1)})


def main() -> None:
    from benchmarks.data import flask, sqlalchemy_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--database-url",
                        help="an EMPTY PostgreSQL database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'days.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development"}
        flask(env, "db", "upgrade")
        os.environ.update(DATABASE_URL=sqlalchemy_url(url), APP_ENV="development")
        from app import create_app
        from extensions import db

        app = create_app({"MAIL_OUTBOX_DIR": str(Path(folder) / "mail")})
        try:
            result = check(app, args.customers)
        finally:
            with app.app_context():
                db.engine.dispose()
    print(json.dumps({"database": url.split(":", 1)[0], "customers": args.customers, "passes": result.passes,
                      "events": result.events, "seconds": result.seconds, "expected": result.tally,
                      "differences": len(result.differences), "first_differences": result.differences[:40]},
                     indent=2))
    sys.exit(1 if result.differences else 0)


if __name__ == "__main__":
    main()
