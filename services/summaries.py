"""Invoice summaries (/settings/summaries): a periodic email to each customer's users listing its
open invoices with their balances and a link to pay. Off until the partner sets it up.

Periods start on the start date and every week or month after it (a month's day past the end of a
shorter month falls on its last day). A period's summary is due from 00:00 of its first day on the
partner's calendar, goes once per customer (summary_deliveries is unique on (customer,
period_start)), and only within the window, like a reminder; only the current period is ever sent.
A customer with no open balance gets none; a customer left out gets none.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from extensions import db
from models import Customer, SummarySchedule, summary_excluded_customers
from services.reminders import is_listed, listed_customers, switch_customer


@dataclass(frozen=True)
class SummaryValues:
    enabled: bool
    period: str  # weekly, monthly
    start_date: date


def schedule(partner_id: int) -> SummarySchedule | None:
    return db.session.get(SummarySchedule, partner_id)


def save(partner_id: int, values: SummaryValues) -> None:
    current = schedule(partner_id)
    if current is None:
        current = SummarySchedule(partner_id=partner_id)
        db.session.add(current)
    current.enabled, current.period, current.start_date = values.enabled, values.period, values.start_date
    db.session.flush()


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def period_start(period: str, start: date, today: date) -> date | None:
    """The first day of the period `today` is in (None before the start date)."""
    if today < start:
        return None
    if period == "weekly":
        return start + timedelta(days=(today - start).days // 7 * 7)
    months = (today.year - start.year) * 12 + today.month - start.month
    first = _add_months(start, months)
    return first if first <= today else _add_months(start, months - 1)


def leave_out(customer: Customer, *, left_out: bool) -> None:
    switch_customer(summary_excluded_customers, customer, listed=left_out)


def is_left_out(customer: Customer) -> bool:
    return is_listed(summary_excluded_customers, customer)


def left_out(partner_id: int) -> list[Customer]:
    return listed_customers(summary_excluded_customers, partner_id)


def scheduled_partners() -> list[SummarySchedule]:
    return list(db.session.scalars(select(SummarySchedule).where(SummarySchedule.enabled)
                                   .order_by(SummarySchedule.partner_id)))
