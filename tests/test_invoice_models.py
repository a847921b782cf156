"""The invoice tables keep money exact on both databases and refuse what the rules refuse."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from customer_helpers import make_customer
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Invoice, InvoiceLine, Partner
from services.invoices import display_status, partner_today


def _draft(partner, customer_id, **values) -> Invoice:
    return Invoice(**{"partner_id": partner.partner_id, "customer_id": customer_id, "currency": "USD",
                      "issue_date": date(2026, 5, 1), "due_date": date(2026, 5, 31), **values})


def test_quantities_and_rates_come_back_as_the_exact_decimals_stored(app, partner):
    customer_id = make_customer(app, partner)
    with app.app_context():
        invoice = _draft(partner, customer_id)
        invoice.lines.append(InvoiceLine(position=0, description="Support", quantity=Decimal("1234.0005"),
                                         unit_price=10, tax_rate=Decimal("8.875"), amount=12340, tax=1095))
        db.session.add(invoice)
        db.session.commit()
        db.session.expire_all()
        line = db.session.get(Invoice, invoice.id).lines[0]
        assert line.quantity == Decimal("1234.0005") and isinstance(line.quantity, Decimal)
        assert line.tax_rate == Decimal("8.875")


@pytest.mark.parametrize("values", [
    {"status": "sent"},
    {"subtotal": -1, "total": -1},
    {"subtotal": 100, "tax": 5, "total": 100},
    {"due_date": date(2026, 4, 30)},
    {"status": "open"},  # an open invoice has a number
    {"number": "INV-0001"},  # a draft has none
])
def test_the_schema_refuses_an_invoice_the_rules_refuse(app, partner, values):
    customer_id = make_customer(app, partner)
    with app.app_context():
        db.session.add(_draft(partner, customer_id, **values))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_an_invoice_cannot_name_another_partners_customer(app, partner, other_partner):
    theirs = make_customer(app, other_partner)
    with app.app_context():
        db.session.add(_draft(partner, theirs))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(("zone", "moment", "today"), [
    ("America/New_York", "2026-03-15T03:30:00+00:00", date(2026, 3, 14)),  # still the evening before in New York
    ("America/New_York", "2026-03-15T05:00:00+00:00", date(2026, 3, 15)),
    ("America/Vancouver", "2026-03-15T06:59:00+00:00", date(2026, 3, 14)),
    ("America/Vancouver", "2026-11-01T07:30:00+00:00", date(2026, 11, 1)),  # the day daylight saving ends
])
def test_today_is_the_partners_in_its_time_zone(zone, moment, today):
    assert partner_today(Partner(time_zone=zone), datetime.fromisoformat(moment)) == today


@pytest.mark.parametrize(("status", "due", "shown"), [
    ("draft", date(2026, 3, 1), "Draft"),  # a draft is never overdue
    ("open", date(2026, 3, 15), "Open"),  # due today: not yet overdue
    ("open", date(2026, 3, 14), "Overdue"),
    ("paid", date(2026, 3, 1), "Paid"),
    ("void", date(2026, 3, 1), "Void"),
])
def test_the_status_shown_is_computed_from_the_state_and_the_partners_today(status, due, shown):
    assert display_status(Invoice(status=status, due_date=due), date(2026, 3, 15)).label == shown


@pytest.mark.parametrize(("paid", "due", "shown"), [
    (0, date(2026, 3, 20), "Open"),
    (1, date(2026, 3, 20), "Partially paid"),
    (1, date(2026, 3, 14), "Overdue"),  # Overdue wins over Partially paid
])
def test_an_open_invoice_with_part_paid_shows_partially_paid_until_it_is_overdue(paid, due, shown):
    invoice = Invoice(status="open", due_date=due, total=1000, amount_paid=paid)
    assert display_status(invoice, date(2026, 3, 15)).label == shown
    assert invoice.balance == 1000 - paid
