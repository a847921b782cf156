"""Driving the automation pass in tests: invoices issued at a date, passes as of moments."""

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from invoice_helpers import make_invoice
from sqlalchemy import select, update

from extensions import db
from models import Invoice, OutboxEmail, Partner, ReminderDelivery
from services.automation import run_pass
from unit_of_work import unit_of_work


def issued_invoice(app, customer_id: int, *, issue: date, due: date, status: str = "open") -> int:
    """An invoice finalized on its issue date (at noon UTC), as if made then."""
    made = make_invoice(app, customer_id, issue=issue, due=due, status=status)
    with app.app_context(), unit_of_work():
        db.session.execute(update(Invoice).where(Invoice.id == made.id)
                           .values(finalized_at=datetime.combine(issue, datetime.min.time()).replace(hour=12)))
    return made.id


def set_time_zone(app, partner_id: int, zone: str) -> None:
    with app.app_context(), unit_of_work():
        db.session.get(Partner, partner_id).time_zone = zone


def at(text: str, zone: str = "America/New_York") -> datetime:
    """'2027-03-15 09:00' on that zone's clock."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def pass_at(app, moment: datetime):
    with app.app_context():
        try:
            return run_pass(moment)
        finally:
            db.session.remove()


def reminder_subjects(app) -> Counter:
    """How many emails went with each reminder subject."""
    with app.app_context():
        return Counter(db.session.scalars(select(OutboxEmail.subject).where(OutboxEmail.ref.like("reminder:%"))))


def ledger(app, invoice_id: int) -> list[tuple[int, str]]:
    """(offset_days, outcome) of each recorded step of the invoice, by offset."""
    from models import ReminderStep

    with app.app_context():
        return sorted(tuple(row) for row in db.session.execute(
            select(ReminderStep.offset_days, ReminderDelivery.outcome)
            .join(ReminderStep, ReminderStep.id == ReminderDelivery.step_id)
            .where(ReminderDelivery.invoice_id == invoice_id)).all())
