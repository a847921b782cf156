"""Demo invoices for seed-demo --invoices N: every state, issued over the last 120 days, so the
Overview's aging has something in each bucket.

Deterministic from the partner's invoice count (a re-run adds more, numbered on from the
counter). Amounts go through money.line_money, as the invoice services store them; paid ones are paid in
full; the open balances are summed again at the end (services.invoices.rebuild_open_balances).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

import money
from extensions import db
from models import Customer, Invoice, InvoiceCounter, InvoiceLine
from models._time import utcnow
from models.invoice import invoice_number
from services.bulk import insert_rows, new_ids
from services.invoices import next_number, rebuild_open_balances

DEFAULT_PER_CUSTOMER = 3
DEFAULT_MOST = 2000
SPREAD_DAYS = 120
TERMS = (15, 30, 30, 45)
# (state, weight): most invoices are paid or open; a few drafts and voids.
STATES = (("paid", 45), ("open", 40), ("draft", 10), ("void", 5))
CATALOG = (  # description, unit price in cents, quantity choices
    ("Managed IT services (monthly)", 149900, ("1",)),
    ("Help desk hours", 9500, ("2", "4.5", "8", "12.25")),
    ("Microsoft 365 Business licenses", 2200, ("5", "12", "25")),
    ("Backup and disaster recovery", 34900, ("1",)),
    ("On-site visit", 17500, ("1", "2")),
    ("Firewall appliance", 89900, ("1",)),
    ("Endpoint protection seats", 650, ("10", "25", "40")),
)
TAX_RATES = (None, Decimal("8.25"), Decimal("13"))
BATCH = 5000
INVOICE_COLUMNS = ("id", "partner_id", "customer_id", "number", "status", "currency", "issue_date", "due_date", "memo",
                   "subtotal", "tax", "total", "amount_paid", "created_by_id", "created_at", "updated_at",
                   "finalized_at", "void_reason", "voided_at", "version")
LINE_COLUMNS = ("invoice_id", "position", "description", "quantity", "unit_price", "tax_rate", "amount", "tax")


def _lines(rng: random.Random, country: str) -> list[dict]:
    rate = Decimal("13") if country == "CA" else rng.choice(TAX_RATES[:2])
    lines = []
    for position, (description, price, quantities) in enumerate(rng.sample(CATALOG, rng.randint(1, 3))):
        quantity = Decimal(rng.choice(quantities))
        figured = money.line_money(quantity, price, rate)
        lines.append({"position": position, "description": description, "quantity": quantity, "unit_price": price,
                      "tax_rate": rate, "amount": figured.amount, "tax": figured.tax})
    return lines


def add_demo_invoices(partner_id: int, staff_id: int | None, count: int, today: date) -> int:
    """Add `count` invoices spread over the partner's customers; returns how many it has in all."""
    customers = db.session.execute(
        select(Customer.id, Customer.country).where(Customer.partner_id == partner_id, Customer.archived_at.is_(None))
        .order_by(Customer.id)
    ).all()
    made = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.partner_id == partner_id))
    if not customers or not count:
        return made
    rng = random.Random(made)  # noqa: S311 - demo data, repeatable on purpose
    states = [state for state, _ in STATES]
    weights = [weight for _, weight in STATES]
    planned = []
    for index in range(count):
        customer_id, country = customers[(made + index) % len(customers)]
        status = rng.choices(states, weights)[0]
        issue = today - timedelta(days=rng.randint(0, 10) if status == "draft" else rng.randint(0, SPREAD_DAYS))
        planned.append((issue, customer_id, country, status, issue + timedelta(days=rng.choice(TERMS))))
    planned.sort(key=lambda p: (p[0], p[1]))  # numbers follow issue dates, as finalizing in turn would
    next_number(partner_id)  # makes the counter row if there is none (taking one number, given back below)
    last = db.session.scalar(select(InvoiceCounter.last_number).where(InvoiceCounter.partner_id == partner_id)) - 1
    now = utcnow()
    # Plain rows by COPY (PostgreSQL) or executemany (SQLite), with ids taken first so the
    # lines can name their invoice: 500,000 invoices for the benchmark in well under a minute.
    for start in range(0, len(planned), BATCH):
        chunk = planned[start:start + BATCH]
        ids = new_ids(Invoice.__table__, len(chunk))
        rows, line_rows = [], []
        for invoice_id, (issue, customer_id, country, status, due) in zip(ids, chunk, strict=True):
            lines = _lines(rng, country)
            sums = money.totals(money.LineMoney(line["amount"], line["tax"]) for line in lines)
            number = None
            if status != "draft":
                last += 1
                number = invoice_number(last)
            rows.append((
                invoice_id, partner_id, customer_id, number, status, money.currency_for_country(country), issue, due,
                "Thank you for your business.", sums.subtotal, sums.tax, sums.total,
                sums.total if status == "paid" else 0, staff_id, now, now, now if number else None,
                "Issued with the wrong quantity" if status == "void" else None, now if status == "void" else None, 1,
            ))
            line_rows += [(invoice_id, *(line[name] for name in LINE_COLUMNS[1:])) for line in lines]
        insert_rows(Invoice.__table__, INVOICE_COLUMNS, rows)
        insert_rows(InvoiceLine.__table__, LINE_COLUMNS, line_rows)
    db.session.execute(update(InvoiceCounter).where(InvoiceCounter.partner_id == partner_id).values(last_number=last))
    rebuild_open_balances(partner_id)
    return made + count
