"""Invoices on the dashboard: the form (new and edit draft), the invoice page and its actions,
the list across customers, and the customer page's Invoices tab.

The form works without JavaScript (every button posts the page) and with htmx (lines added
and removed in place, fields checked on blur, totals recomputed by the server as lines change).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

import money
from blueprints.blur import CheckUrls, answer_check
from blueprints.customer_page.shell import register_tab
from blueprints.customer_picker import pick_from
from blueprints.guards import require_staff
from blueprints.rows import row_action
from forms import rules, show_error
from forms.invoice import InvoiceForm, VoidForm
from forms.payment import RecordPaymentForm
from models import Customer, Invoice, Partner
from request_input import int_value
from services import invoice_sending, payments
from services import invoices as service
from services.errors import DomainError
from services.paging import keyset_page
from services.tags import TagFilter, partner_tags
from templating import format_day
from tenancy import (
    current_partner,
    current_partner_id,
    current_partner_locale,
    current_partner_time_zone,
    get_customer_or_404,
    get_or_404,
    scoped,
)
from unit_of_work import unit_of_work
from web import url_by_id

bp = Blueprint("invoices", __name__)
require_staff(bp)

FIELD_CHECK = CheckUrls("invoices.check_field")
LINE_CHECK = CheckUrls("invoices.check_line")
DEFAULT_TERMS = timedelta(days=30)  # a new draft's due date: net 30 from its issue date
PAGE_SIZE = 25
TAB_SIZE = 50


def _partner() -> Partner:
    """The signed-in partner's row (locale, time zone): the login carries only its name.
    Read once per request (the session's identity map keeps it)."""
    return current_partner()


def _today() -> date:
    return service.today_in(current_partner_time_zone())


def _get_invoice(invoice_id: int) -> Invoice:
    return get_or_404(Invoice, current_partner_id(), invoice_id)


def _money(cents: int, currency: str) -> str:
    return money.format_money(cents, currency, current_partner_locale())


# -- the form ------------------------------------------------------------------------------


def _blank_line() -> dict:
    return {"description": "", "quantity": "1", "unit_price": "", "tax_rate": ""}


def _draft_data(invoice: Invoice) -> dict:
    """A draft's values as its form shows them for editing."""
    return {
        "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
        "memo": invoice.memo, "version": str(invoice.version),
        "lines": [{"description": line.description, "quantity": money.plain_decimal(line.quantity),
                   "unit_price": money.plain_amount(line.unit_price),
                   "tax_rate": money.plain_decimal(line.tax_rate)} for line in invoice.lines] or [_blank_line()],
    }


def _render_form(form: InvoiceForm, customer: Customer, invoice: Invoice | None, *, status: int = 200,
                 focus_id: str | None = None):
    action = url_for(".edit", invoice_id=invoice.id) if invoice else url_for(".new", customer_id=customer.id)
    error_fields = [form[name] for name in form.FIELDS] + [f for row in form.lines for f in row.form]
    return render_template(
        "invoices/form.html", form=form, customer=customer, invoice=invoice, action=action,
        currency=invoice.currency if invoice else service.customer_currency(customer),
        locale=_partner().locale, error_fields=error_fields, focus_id=focus_id,
        rows_url=action, check_url=FIELD_CHECK, line_check_url=LINE_CHECK,
    ), status


def _rebuilt(form: InvoiceForm, rows: list[dict]) -> InvoiceForm:
    """The form as posted, with its lines changed (a line added or removed)."""
    data = {name: form[name].data for name in (*form.FIELDS, "version")}
    lines = [row if any(row.values()) else _blank_line() for row in rows]  # a new line: quantity 1
    return InvoiceForm(formdata=None, data={**data, "lines": lines})


def _answer(form: InvoiceForm, customer: Customer, invoice: Invoice | None):
    """What every post of the form does, new or edit: a row button, save, or save and finalize."""
    action = request.form.get("action", "save")
    if action == "add-line" or action.startswith("remove-line-"):
        return row_action(
            form.lines, action, actions="line", template="invoices/_line_rows.html",
            rebuild=lambda rows: _rebuilt(form, rows),
            full_page=lambda rows, focus_id: _render_form(_rebuilt(form, rows), customer, invoice, focus_id=focus_id),
            rows_url=url_for(".edit", invoice_id=invoice.id) if invoice else url_for(".new", customer_id=customer.id),
            check_url=LINE_CHECK, currency=invoice.currency if invoice else service.customer_currency(customer),
            locale=_partner().locale, oob_totals=True,
        )
    if action not in ("save", "finalize"):
        abort(400)
    if not form.validate():
        return _render_form(form, customer, invoice, status=422)
    existing = invoice
    try:
        with unit_of_work():
            if invoice is None:
                invoice = service.create_draft(customer, form.cleaned(), staff_id=current_user.id)
            else:
                service.update_draft(invoice, form.cleaned(), expected_version=form.expected_version())
            if action == "finalize":
                service.finalize(invoice, today=_today())
    except DomainError as error:
        if error.status == 409:
            raise
        show_error(form, error)
        # The draft itself was not saved either: the unit of work rolled it all back.
        return _render_form(form, customer, existing, status=422)
    flash(f"{invoice.number} finalized" if action == "finalize" else "Draft saved", "success")
    return redirect(url_for(".show", invoice_id=invoice.id), code=303)


@bp.route("/customers/<int:customer_id>/invoices/new", methods=["GET", "POST"])
def new(customer_id: int):
    customer = get_customer_or_404(customer_id)
    if request.method == "GET":
        today = _today()
        form = InvoiceForm(formdata=None, data={
            "issue_date": today.isoformat(), "due_date": (today + DEFAULT_TERMS).isoformat(), "lines": [_blank_line()],
        })
        return _render_form(form, customer, None)
    return _answer(InvoiceForm(), customer, None)


def _draft_or_409(invoice: Invoice) -> None:
    if not invoice.is_draft:
        raise service.NotAllowedNow(f"{invoice.number} is {invoice.status} and can no longer be edited")


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
def edit(invoice_id: int):
    invoice = _get_invoice(invoice_id)
    customer = get_customer_or_404(invoice.customer_id)
    if request.method == "GET":
        if not invoice.is_draft:
            return redirect(url_for(".show", invoice_id=invoice.id))
        return _render_form(InvoiceForm(formdata=None, data=_draft_data(invoice)), customer, invoice)
    _draft_or_409(invoice)
    return _answer(InvoiceForm(), customer, invoice)


@bp.post("/invoices/check/<name>")
def check_field(name: str):
    if name not in InvoiceForm.FIELDS:
        abort(404)
    return answer_check(InvoiceForm, name, FIELD_CHECK, "invoices/_fields.html")


@bp.post("/invoices/lines/check/<int:index>/<name>")
def check_line(index: int, name: str):
    return answer_check(InvoiceForm, f"lines-{index}-{name}", LINE_CHECK, "invoices/_line_fields.html")


@bp.post("/invoices/totals")
def totals():
    """The form's totals (and each line's amount, out of band) for the lines as typed so far."""
    currency = request.form.get("currency", "USD")
    if currency not in money.CURRENCIES:
        abort(400)
    return render_template("invoices/_totals.html", form=InvoiceForm(), currency=currency,
                           locale=_partner().locale, oob_lines=True, figures_only=True)


# -- one invoice ----------------------------------------------------------------------------


@bp.get("/invoices/<int:invoice_id>")
def show(invoice_id: int, *, status: int = 200, void_form: VoidForm | None = None,
         payment_form: RecordPaymentForm | None = None):
    invoice = _get_invoice(invoice_id)
    customer = get_customer_or_404(invoice.customer_id)
    return render_template(
        "invoices/show.html", invoice=invoice, customer=customer, today=_today(),
        shown_status=service.display_status(invoice, _today()), partner=_partner(),
        void_form=void_form or VoidForm(formdata=None), failed=status >= 400, sends=invoice_sending.sends(invoice),
        payments=payments.invoice_payments(invoice),
        payment_form=payment_form or RecordPaymentForm(formdata=None, data={"paid_on": _today().isoformat()}),
    ), status


@bp.post("/invoices/<int:invoice_id>/finalize")
def finalize(invoice_id: int):
    invoice = _get_invoice(invoice_id)
    with unit_of_work():
        service.finalize(invoice, today=_today())
    flash(f"{invoice.number} finalized", "success")
    return redirect(url_for(".show", invoice_id=invoice.id), code=303)


@bp.post("/invoices/<int:invoice_id>/void")
def void(invoice_id: int):
    invoice = _get_invoice(invoice_id)
    service.ensure_voidable(invoice)  # the state's answer (409) comes before the reason's
    form = VoidForm()
    if not form.validate():
        return show(invoice_id, status=422, void_form=form)
    with unit_of_work():
        service.void(invoice, form.reason.data)
    flash(f"{invoice.number} voided", "success")
    return redirect(url_for(".show", invoice_id=invoice.id), code=303)


@bp.post("/invoices/<int:invoice_id>/delete")
def delete(invoice_id: int):
    invoice = _get_invoice(invoice_id)
    with unit_of_work():
        service.delete_draft(invoice)
    flash("Draft deleted", "success")
    return redirect(url_for(".index"), code=303)


# -- lists ----------------------------------------------------------------------------------

# The company by a lookup per row shown: joined, SQLite would rather walk every customer
# and sort all their invoices than walk the invoices' index to the first page.
COMPANY = (select(Customer.company).where(Customer.partner_id == Invoice.partner_id, Customer.id == Invoice.customer_id)
           .scalar_subquery().label("company"))
SHOWN = (Invoice.id, Invoice.number, Invoice.status, Invoice.currency, Invoice.issue_date, Invoice.due_date,
         Invoice.total, Invoice.amount_paid, Invoice.customer_id, COMPANY)
STATUS_FILTERS = ("draft", "open", "overdue", "paid", "void")
DATE_BOUNDS = {"issued_from": lambda day: Invoice.issue_date >= day, "issued_to": lambda day: Invoice.issue_date <= day,
               "due_from": lambda day: Invoice.due_date >= day, "due_to": lambda day: Invoice.due_date <= day}


@lru_cache(maxsize=256)  # a select is immutable (filters make new ones); building it was a twentieth of the list's CPU
def _listed(partner_id: int):
    return scoped(Invoice, partner_id, *SHOWN)


def _date_arg(name: str) -> date | None:
    try:
        return rules.parse_date(request.args.get(name), label=name)
    except rules.RuleError:
        return None


@dataclass(frozen=True, slots=True)
class ListedInvoice:
    """One row of a list of invoices (templates/invoices/_table.html), every cell ready to show:
    the template only places them (a list of 25 or 50 rows spends most of its time in Jinja's
    per-call and per-attribute work)."""

    id: int
    url: str
    number: str | None
    company: str
    issued: str
    due: str
    total: str
    badge: Markup


def _list_rows(rows, today: date) -> list[ListedInvoice]:
    locale, show_url = current_partner_locale(), url_by_id("invoices.show", "invoice_id")
    # The status badge as every page shows it (the macro), rendered once per status the page shows.
    badge = cache(get_template_attribute("invoices/_status.html", "status_badge"))
    return [ListedInvoice(row.id, show_url(row.id), row.number, row.company, format_day(row.issue_date, locale),
                          format_day(row.due_date, locale), money.format_money(row.total, row.currency, locale),
                          badge(service.display_status(row, today))) for row in rows]


@bp.get("/invoices")
def index():
    partner_id, today = current_partner_id(), _today()
    query = _listed(partner_id)
    status = request.args.get("status", "")
    key, descending = (Invoice.id,), True  # newest first
    if status == "overdue":
        query = query.where(Invoice.status == "open", Invoice.due_date < today)
        key, descending = (Invoice.due_date, Invoice.id), False  # longest overdue first, over the status index
    elif status in STATUS_FILTERS:
        query = query.where(Invoice.status == status)
    else:
        status = ""
    currency = request.args.get("currency", "")
    if currency in money.CURRENCIES:
        query = query.where(Invoice.currency == currency)
    else:
        currency = ""
    pick = pick_from("invoices", partner_id, request.args)  # the customer filter: the customer picker
    customer_id = pick.chosen.id if pick.chosen else None  # another partner's id: no filter, as nonsense
    if customer_id:
        query = query.where(Invoice.customer_id == customer_id)
    tags = partner_tags(partner_id)
    tag_filter = TagFilter(tags, request.args.getlist("tag"), request.args.get("match", ""))
    query = tag_filter.apply(query, Invoice.customer_id)
    dates = {name: _date_arg(name) for name in DATE_BOUNDS}
    query = query.where(*(DATE_BOUNDS[name](value) for name, value in dates.items() if value is not None))

    after, before = int_value(request.args.get("after"), low=1), int_value(request.args.get("before"), low=1)
    page = keyset_page(query, key, size=PAGE_SIZE, descending=descending, after=_cursor(partner_id, key, after),
                       before=_cursor(partner_id, key, before) if not after else None, columns=True)
    params = {"status": status or None, "currency": currency or None, "customer": customer_id, **tag_filter.params(),
              **{name: value.isoformat() for name, value in dates.items() if value}}
    rows = _list_rows(page.rows, today)
    return render_template(
        "invoices/index.html", rows=rows, status=status, currency=currency, currencies=money.CURRENCIES,
        pick=pick, partner_tags=tags,
        tag_filter=tag_filter, dates=dates, receivables=_receivables(partner_id, today),
        next_url=_page_url(params, after=rows[-1].id) if rows and page.has_next else None,
        prev_url=_page_url(params, before=rows[0].id) if rows and page.has_prev else None,
        filtered=any(params.values()),
    )


def _cursor(partner_id: int, key: tuple, invoice_id: int | None) -> tuple | None:
    """The list's key of the invoice named by ?after= or ?before=, as SQL inside the page's own
    query (an id that is not the partner's invoice gives an empty page)."""
    if invoice_id is None:
        return None
    return (*(scoped(Invoice, partner_id).with_only_columns(column).where(Invoice.id == invoice_id)
              .scalar_subquery() for column in key[:-1]), invoice_id)


def _page_url(params: dict, **cursor) -> str:
    kept = {name: value for name, value in params.items() if value}
    return f"{url_for('.index')}?{urlencode({**kept, **cursor}, doseq=True)}"


def _receivables(partner_id: int, today: date, **scope) -> list[dict]:
    return [{"currency": each.currency, "outstanding": _money(each.outstanding, each.currency),
             "overdue": _money(each.overdue, each.currency)}
            for each in service.receivables(partner_id, today, **scope)]


def _tab_context(customer: Customer) -> dict:
    """The customer's Invoices tab: its receivables and its newest invoices."""
    today = _today()
    query = _listed(customer.partner_id).where(Invoice.customer_id == customer.id)
    page = keyset_page(query, (Invoice.id,), size=TAB_SIZE, descending=True, columns=True)
    return {"invoice_rows": _list_rows(page.rows, today), "more_invoices": page.has_next,
            "customer_receivables": _receivables(customer.partner_id, today, customer_id=customer.id)}


register_tab(bp, "invoices", "Invoices", "/customers/<int:customer_id>/invoices", "invoices/_tab.html",
             order=30, context=_tab_context)

