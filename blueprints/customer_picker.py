"""The customer picker: every form that names one of the partner's customers (the auto-pay
rule, the Invoices filter) draws it with the macro in templates/_customer_picker.html instead of
a <select> of every customer (100,000 options are megabytes).

The partner types the start of a word of the company (All Customers' search: services.search);
the matches come as radio buttons under the text field. With JavaScript they come as the
partner types, from GET /customers/pick?kind=…; without it, the form's own submit brings the
page back with them (the view reads the typed text with read_pick). A kind is one entry of
PICKERS: its field's name and id, and whether "Any customer" is a choice.
"""

from dataclasses import dataclass, field

from flask import Blueprint, abort, get_template_attribute, redirect, request, url_for

from blueprints.guards import require_staff
from extensions import db
from models import Customer
from request_input import int_value
from services.search import first_matches
from tenancy import current_partner_id, customers
from web import is_partial

bp = Blueprint("customer_picker", __name__)
require_staff(bp)

SUGGESTIONS = 10  # matches shown; more: "type more of the name"
TYPED_MAX = 200
# A choice reads "Harbor Vets, Northwind Dental LLC, Austin": the search finds legal names and cities too,
# and two customers may share a company name.
SHOWN = (Customer.id, Customer.company, Customer.legal_name, Customer.city)


@dataclass(frozen=True)
class Picker:
    name: str  # the chosen customer's id goes as this; the typed text as name + "_q"
    id: str  # the text field's id (an error summary links to it)
    label: str
    any_label: str | None = None  # a choice of no customer at all (a filter's "Any customer")


PICKERS = {
    "auto-pay": Picker("customer_id", "customer_id", "Customer"),
    "invoices": Picker("customer", "filter-customer", "Customer", any_label="Any customer"),
}


@dataclass
class Pick:
    """What a picker shows: the customer chosen, what was typed and its matches (rows of SHOWN)."""

    kind: str
    picker: Picker
    chosen: object = None
    typed: str = ""
    matches: list = field(default_factory=list)
    more: bool = False


def read_pick(kind: str, partner_id: int, chosen_id: int | None, typed: str = "") -> Pick:
    """The picker of `kind` with the partner's customer chosen_id (another partner's, or none:
    nothing chosen) and the active customers whose words start with what was typed."""
    pick = Pick(kind, PICKERS[kind], typed=typed.strip()[:TYPED_MAX])
    if chosen_id is not None:
        pick.chosen = db.session.execute(customers(partner_id, *SHOWN).where(Customer.id == chosen_id)).first()
    if pick.typed:
        active = customers(partner_id, *SHOWN).where(Customer.archived_at.is_(None))
        found, pick.more = first_matches(active, partner_id, pick.typed, SUGGESTIONS)
        pick.matches = [row for row in found if not pick.chosen or row.id != pick.chosen.id]
    return pick


def pick_from(kind: str, partner_id: int, values) -> Pick:
    """The picker of `kind` as a request's values (a form's, or a GET's) left it."""
    picker = PICKERS[kind]
    return read_pick(kind, partner_id, int_value(values.get(picker.name), low=1), values.get(f"{picker.name}_q", ""))


@bp.get("/customers/pick")
def pick():
    """The matches of what was typed, as radio buttons (htmx swaps them under the text field).
    A full page asks All Customers' search, which shows the same matches."""
    kind = request.args.get("kind", "")
    if kind not in PICKERS:
        abort(404)
    found = pick_from(kind, current_partner_id(), request.args)
    if not is_partial():
        return redirect(url_for("customers.index", q=found.typed or None), code=303)
    return get_template_attribute("_customer_picker.html", "choices")(found, announce=True)
