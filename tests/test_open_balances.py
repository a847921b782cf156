"""The open balances kept by the invoice writes (open_balance_days, open_balance_customers)
always equal the sums over the open invoices themselves, through every step of the lifecycle,
and the Overview and the list's totals read them."""

from datetime import date, timedelta

from customer_helpers import make_customer
from invoice_helpers import make_invoice
from sqlalchemy import func, select

from extensions import db
from models import Customer, Invoice, OpenBalanceByCustomer, OpenBalanceByDay
from services import invoices as service
from services.aging import aging
from unit_of_work import unit_of_work

TODAY = date(2027, 3, 15)


def _kept(partner_id: int) -> tuple[dict, dict]:
    days = {(r.currency, r.due_date): r.balance for r in db.session.scalars(
        select(OpenBalanceByDay).where(OpenBalanceByDay.partner_id == partner_id)) if r.balance}
    owing = {(r.customer_id, r.currency): r.balance for r in db.session.scalars(
        select(OpenBalanceByCustomer).where(OpenBalanceByCustomer.partner_id == partner_id)) if r.balance}
    return days, owing


def _summed(partner_id: int) -> tuple[dict, dict]:
    owed = func.sum(Invoice.total - Invoice.amount_paid)
    open_ones = (Invoice.partner_id == partner_id, Invoice.status == "open")
    days = dict(((c, d), int(b)) for c, d, b in db.session.execute(
        select(Invoice.currency, Invoice.due_date, owed).where(*open_ones)
        .group_by(Invoice.currency, Invoice.due_date)))
    owing = dict(((c, cur), int(b)) for c, cur, b in db.session.execute(
        select(Invoice.customer_id, Invoice.currency, owed).where(*open_ones)
        .group_by(Invoice.customer_id, Invoice.currency)))
    return {k: v for k, v in days.items() if v}, {k: v for k, v in owing.items() if v}


def _assert_in_step(app, partner_id: int, outstanding: int) -> None:
    with app.app_context():
        kept = _kept(partner_id)
        assert kept == _summed(partner_id)
        assert sum(kept[0].values()) == outstanding
        listed = service.receivables(partner_id, TODAY)
        assert sum(r.outstanding for r in listed) == outstanding
        assert sum(row.total for row in aging(partner_id, TODAY).currencies) == outstanding


def _pay(app, invoice_id: int, cents: int) -> None:
    """What the payments service does: amount_paid (and paid at the total), then balance_changed."""
    with app.app_context(), unit_of_work():
        invoice = db.session.get(Invoice, invoice_id)
        old_balance = service.open_balance(invoice)
        invoice.amount_paid += cents
        if invoice.amount_paid == invoice.total:
            invoice.status = "paid"
        elif invoice.status == "paid":
            invoice.status = "open"  # a refund reopens it
        service.balance_changed(invoice, old_balance)


def test_the_kept_balances_follow_every_step_of_the_lifecycle(app, partner):
    partner_id = partner.partner_id
    us = make_customer(app, partner)
    ca = make_customer(app, partner, company="Maple Dental", ein=None, country="CA", state="ON", postal_code="M5V 2T6")
    overdue = TODAY - timedelta(days=40)

    draft = make_invoice(app, us, issue=overdue - timedelta(days=30), due=overdue, status="draft")
    _assert_in_step(app, partner_id, 0)  # a draft owes nothing

    with app.app_context(), unit_of_work():
        service.finalize(db.session.get(Invoice, draft.id), today=overdue - timedelta(days=30))
    _assert_in_step(app, partner_id, draft.total)

    second = make_invoice(app, us, issue=TODAY, due=TODAY + timedelta(days=30))
    canadian = make_invoice(app, ca, issue=TODAY, due=TODAY + timedelta(days=15))
    _assert_in_step(app, partner_id, draft.total + second.total + canadian.total)

    _pay(app, second.id, 1000)  # partly paid
    _assert_in_step(app, partner_id, draft.total + second.total - 1000 + canadian.total)
    _pay(app, second.id, second.total - 1000)  # paid in full
    _assert_in_step(app, partner_id, draft.total + canadian.total)
    _pay(app, second.id, -500)  # a refund: open again, owing 500
    _assert_in_step(app, partner_id, draft.total + 500 + canadian.total)

    with app.app_context(), unit_of_work():
        service.void(db.session.get(Invoice, canadian.id), "Billed the wrong office")
    _assert_in_step(app, partner_id, draft.total + 500)

    made_paid = make_invoice(app, us, issue=TODAY, due=TODAY, status="paid")
    made_void = make_invoice(app, us, issue=TODAY, due=TODAY, status="void")
    assert made_paid.total and made_void.total
    _assert_in_step(app, partner_id, draft.total + 500)

    with app.app_context():
        (usd,) = service.receivables(partner_id, TODAY)
        assert (usd.outstanding, usd.overdue) == (draft.total + 500, draft.total)
        report = aging(partner_id, TODAY)
        assert report.currencies[0].amounts["31-60"] == draft.total
        assert [(row.company, row.total) for row in report.customers] == [("Northwind Dental", draft.total + 500)]


def test_rebuilding_sums_the_same_balances_the_writes_kept(app, partner):
    partner_id = partner.partner_id
    customer_id = make_customer(app, partner)
    for days, status in ((-10, "open"), (5, "open"), (20, "paid"), (3, "void"), (0, "draft")):
        make_invoice(app, customer_id, issue=TODAY - timedelta(days=40), due=TODAY + timedelta(days=days),
                     status=status)
    with app.app_context(), unit_of_work():
        kept = _kept(partner_id)
        service.rebuild_open_balances(partner_id)
        assert _kept(partner_id) == kept == _summed(partner_id)
        assert db.session.get(Customer, customer_id).company == "Northwind Dental"
