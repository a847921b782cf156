"""Invoices made the way the app makes them (services.invoices), at any date, for tests."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models import Customer, CustomerUser, Invoice
from services import invoices as service
from services.portal_access import account_for
from unit_of_work import unit_of_work

LINES = (("Managed services", "3", 123450, "8.875"),)  # 3 x $1,234.50 + 8.875% = $4,032.19


@dataclass(frozen=True)
class Made:
    id: int
    number: str | None
    total: int


def make_invoice(app, customer_id: int, *, issue: date, due: date, status: str = "open", lines=LINES,
                 memo: str = "Thank you", reason: str = "Wrong quantity") -> Made:
    """A draft, finalized as of its issue date (so its due date may have passed since), then
    paid or voided as asked (status: draft, open, paid, void)."""
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        values = service.DraftValues(issue, due, memo, [
            service.LineValues(description, Decimal(quantity), price, Decimal(rate) if rate else None)
            for description, quantity, price, rate in lines])
        invoice = service.create_draft(customer, values, staff_id=None)
        if status != "draft":
            service.finalize(invoice, today=issue)
        if status == "void":
            service.void(invoice, reason)
        elif status == "paid":  # as payments (issue 13) do through their service
            old_balance = service.open_balance(invoice)
            invoice.status, invoice.amount_paid = "paid", invoice.total
            service.balance_changed(invoice, old_balance)
        db.session.flush()
        return Made(invoice.id, invoice.number, invoice.total)


def give_portal_password(app, email: str, password: str) -> None:
    """The user's portal login, with a password (as the invitation's link would set it)."""
    with app.app_context(), unit_of_work():
        account = account_for(email)
        account.set_password(password)
        for user in db.session.scalars(select(CustomerUser).where(CustomerUser.email == email)):
            user.portal_account = account


def invoice_row(app, invoice_id: int) -> Invoice:
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        db.session.expunge(invoice)
        return invoice
