"""Overview: the partner's landing page after sign-in. Outstanding and overdue per currency,
the aging table by customer and the same as a bar chart (SVG drawn here, no JavaScript), each
figure a link to the invoices behind it (the Invoices list filtered by status, customer and
due-date range)."""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from urllib.parse import urlencode

from flask import Blueprint, render_template, url_for

import money
from blueprints.guards import require_staff
from services.aging import BUCKETS, Aging, Bucket, aging
from services.invoices import today_in
from tenancy import current_partner_id, current_partner_locale, current_partner_time_zone
from web import url_by_id

bp = Blueprint("overview", __name__)
require_staff(bp)

# The chart's drawing, in SVG user units (the SVG scales to its box).
CHART_WIDTH, CHART_HEIGHT, PLOT_TOP, PLOT_BOTTOM = 420, 210, 26, 172


def invoices_url(today: date, *, status: str = "open", bucket: Bucket | None = None,
                 customer_id: int | None = None, currency: str | None = None, base: str | None = None) -> str:
    """The Invoices list of what a figure sums: open invoices (overdue for a past-due bucket),
    of the customer, in the bucket's due-date range, in the figure's currency. base: the
    list's url_for, when the caller has it (the page links some 300 figures)."""
    return f"{base or url_for('invoices.index')}?{_list_query(today, status, bucket, customer_id, currency)}"


@lru_cache(maxsize=4096)  # the same figures' links on every view of the page; urlencode is most of its cost
def _list_query(today: date, status: str, bucket: Bucket | None, customer_id: int | None, currency: str | None) -> str:
    params = {"status": "overdue" if bucket and bucket.newest else status}
    if currency:
        params["currency"] = currency
    if customer_id:
        params["customer"] = customer_id
    if bucket:
        due_from, due_to = bucket.due_range(today)
        params |= {name: day.isoformat() for name, day in (("due_from", due_from), ("due_to", due_to)) if day}
    return urlencode(params)


def _svg(value: float) -> str:
    """A coordinate as the chart draws it: one decimal (an SVG user unit is a fraction of a pixel)."""
    return f"{value:.1f}"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    axis: str
    amount: str  # exact, for its accessible name
    short: str  # "$5.9K", drawn above the bar
    url: str
    # The bar's rectangle and its texts' positions, formatted for the SVG (_svg) here rather
    # than by a filter per attribute in the template.
    x: str
    y: str
    width: str
    height: str
    middle: str  # x of the bar's centre: its texts are centred on it
    value_y: str  # baseline of the amount drawn above the bar


def chart_bars(amounts: dict[str, int], currency: str, locale: str, today: date, base: str | None = None) -> list[Bar]:
    """One bar per bucket, heights relative to the largest."""
    largest = max(amounts.values()) or 1
    slot = CHART_WIDTH / len(BUCKETS)  # each bar 60% of its slot, centred
    bars = []
    for position, bucket in enumerate(BUCKETS):
        cents = amounts[bucket.key]
        height = (PLOT_BOTTOM - PLOT_TOP) * cents / largest
        x, y, width = position * slot + slot * 0.2, PLOT_BOTTOM - height, slot * 0.6
        bars.append(Bar(bucket.label, bucket.axis, money.format_money(cents, currency, locale),
                        money.format_money_short(cents, currency, locale),
                        invoices_url(today, bucket=bucket, currency=currency, base=base),
                        x=_svg(x), y=_svg(y), width=_svg(width), height=_svg(max(height, 1)),
                        middle=_svg(x + width / 2), value_y=_svg(y - 7)))
    return bars


@dataclass(frozen=True, slots=True)
class CustomerLine:
    """One customer's row of the aging table, every cell ready to show (the table has 50 rows
    of seven linked figures: made in Jinja, they were most of the page's time)."""

    company: str
    url: str  # the customer's Invoices tab
    cells: list[tuple[str, str | None, str]]  # (bucket label, link or None for nothing owed, amount)
    total_url: str
    total: str


def customer_lines(report: Aging, today: date, locale: str, base: str) -> list[CustomerLine]:
    tab_url = url_by_id("invoices.invoices", "customer_id")
    lines = []
    for row in report.customers:
        cells = []
        for bucket in BUCKETS:
            cents = row.amounts[bucket.key]
            cells.append((bucket.label, invoices_url(today, bucket=bucket, customer_id=row.customer_id, base=base),
                          money.format_money(cents, row.currency, locale)) if cents else (bucket.label, None, ""))
        lines.append(CustomerLine(row.company, tab_url(row.customer_id), cells,
                                  invoices_url(today, customer_id=row.customer_id, base=base),
                                  money.format_money(row.total, row.currency, locale)))
    return lines


@bp.get("/overview")
def index():
    partner_id, locale, today = current_partner_id(), current_partner_locale(), today_in(current_partner_time_zone())
    report = aging(partner_id, today)
    base = url_for("invoices.index")
    return render_template(
        "overview/index.html", report=report, customer_lines=customer_lines(report, today, locale, base),
        buckets=BUCKETS, today=today, locale=locale,
        invoices_url=partial(invoices_url, base=base),
        chart={row.currency: chart_bars(row.amounts, row.currency, locale, today, base)
               for row in report.currencies},
        chart_size=(CHART_WIDTH, CHART_HEIGHT), plot_bottom=PLOT_BOTTOM,
    )
