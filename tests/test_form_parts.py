"""The pieces every form is built from: the blur check, row lists, the customer page's tabs.

Shown here with the forms billing will add (an invoice's lines, an Invoices tab), so that
adding them needs no new plumbing.
"""

import re
from pathlib import Path

import pytest
from customer_helpers import make_customer
from flask import Flask
from fresh_app import run_fresh_app
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, StringField
from wtforms.validators import StopValidation

from blueprints.blur import CheckUrls, answer_check
from conftest import PASSWORD
from forms import checks
from forms.customer import CustomerDetailsForm
from forms.rows import change_rows, posted_rows

ROOT = Path(__file__).parent.parent


def decimal_rule(places: int):
    def rule(_form, field):
        if not re.fullmatch(rf"\d+(\.\d{{1,{places}}})?", (field.data or "").strip()):
            raise StopValidation(f"Enter a number with up to {places} decimal places")
    return rule


class LineForm(Form):
    """An invoice line, as billing will have it: the amount is judged with quantity and price."""

    DEPENDS = {"amount": ("quantity", "unit_price")}
    description = StringField("Description")
    quantity = StringField("Quantity", validators=[decimal_rule(4)])
    unit_price = StringField("Unit price", validators=[decimal_rule(2)])
    amount = StringField("Amount")


class InvoiceForm(Form):
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=3)


def invoice(*lines) -> InvoiceForm:
    data = MultiDict()
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return InvoiceForm(formdata=data)


# -- the blur check --------------------------------------------------------------

def test_a_line_field_is_judged_and_redrawn_with_the_fields_that_depend_on_it():
    form = invoice({"quantity": "2", "unit_price": "10"}, {"quantity": "1e3", "unit_price": "5", "amount": "5"})
    row, fields = checks.check(form, "lines-1-quantity")
    assert row is form.lines.entries[1].form
    assert [field.name for field in fields] == ["lines-1-quantity", "lines-1-amount"]
    assert fields[0].errors == ["Enter a number with up to 4 decimal places"]
    assert form.lines.entries[0].form.quantity.errors == []


def test_a_dependent_the_partner_has_not_typed_in_is_redrawn_without_a_message():
    form = invoice({"quantity": "2", "unit_price": "12.345"})
    _row, fields = checks.check(form, "lines-0-unit_price")
    assert fields[0].errors and fields[1].name == "lines-0-amount" and fields[1].errors == []


@pytest.mark.parametrize("name", ["lines-1-quantity", "lines-0-price", "lines", "total", "lines-99999-quantity"])
def test_a_check_of_a_field_the_form_does_not_have_is_refused(name):
    with pytest.raises(KeyError):
        checks.check(invoice({"quantity": "1"}), name)


def test_the_dependents_of_a_field_are_read_from_the_form_declaration():
    assert checks.dependents(CustomerDetailsForm, "country") == ("state", "postal_code")
    assert checks.dependents(CustomerDetailsForm, "state") == ("postal_code",)
    assert checks.dependents(LineForm, "unit_price") == ("amount",)
    assert checks.dependents(LineForm, "description") == ()


LINE_FIELDS = """
{% from "_forms.html" import text_field %}
{% macro field_row(form, field, check_url=None, oob=False) -%}
{{ text_field(field, check_url=check_url(field), oob=oob) }}
{%- endmacro %}
"""


def test_an_invoice_line_blur_check_is_one_route_and_one_field_template():
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.jinja_env.loader = ChoiceLoader([DictLoader({"lines/_fields.html": LINE_FIELDS}),
                                         FileSystemLoader(str(ROOT / "templates"))])

    @app.post("/invoices/<int:invoice_id>/lines/check/<int:index>/<name>")
    def check_line(invoice_id, index, name):
        return answer_check(InvoiceForm, f"lines-{index}-{name}",
                            CheckUrls("check_line", invoice_id=invoice_id), "lines/_fields.html")

    client = app.test_client()
    answer = client.post("/invoices/7/lines/check/0/quantity",
                         data={"lines-0-quantity": "-0", "lines-0-unit_price": "3", "lines-0-amount": "x"})
    assert answer.status_code == 200
    first, second = answer.text.split('<div class="field', 2)[1:]
    assert 'id="row-lines-0-quantity"' in first and "Enter a number with up to 4 decimal places" in first
    assert 'hx-post="/invoices/7/lines/check/0/quantity"' in first
    assert 'id="row-lines-0-amount" hx-swap-oob="outerMorph"' in second
    assert 'hx-post="/invoices/7/lines/check/0/amount"' in second
    assert client.post("/invoices/7/lines/check/3/quantity", data={"lines-0-quantity": "1"}).status_code == 404


# -- row lists -----------------------------------------------------------------

def test_adding_a_line_focuses_its_first_field_and_stops_at_the_limit():
    form = invoice({"description": " Support ", "quantity": "1"})
    rows = posted_rows(form.lines)
    assert rows == [{"description": "Support", "quantity": "1", "unit_price": "", "amount": ""}]
    rows, focus = change_rows(form.lines, rows, "add")
    assert len(rows) == 2 and focus == "lines-1-description"
    full = [*rows, rows[0]]
    assert change_rows(form.lines, full, "add") == (full, "lines-2-description")  # three at most


def test_removing_a_line_renumbers_the_rest_and_never_leaves_none():
    form = invoice({"description": "A"})
    rows = [{"description": name, "quantity": "", "unit_price": "", "amount": ""} for name in "ABC"]
    rows_after, focus = change_rows(form.lines, rows, "remove-2")
    assert [row["description"] for row in rows_after] == ["A", "B"] and focus == "lines-1-description"
    rows_after, focus = change_rows(form.lines, rows[:1], "remove-0")
    assert rows_after == [{"description": "", "quantity": "", "unit_price": "", "amount": ""}]
    assert change_rows(form.lines, rows, "rename-1") is None


# -- the customer page's tabs -----------------------------------------------------

ADD_A_TAB = """
import re
from flask import Blueprint
from jinja2 import ChoiceLoader, DictLoader
from blueprints.customer_page.shell import register_tab

bp = Blueprint("notes", __name__)
register_tab(bp, "notes", "Notes", "/customers/<int:customer_id>/notes", "notes/_tab.html",
             order=50, context=lambda customer: {"open_notes": 0})
app.register_blueprint(bp)
app.jinja_env.loader = ChoiceLoader([
    DictLoader({"notes/_tab.html": '<p id="notes-panel">{{ open_notes }} open notes</p>'}),
    app.jinja_env.loader,
])
customer_id, email, password = sys.argv[1:]
page = client.get("/login").text
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
client.post("/login", data={"email": email, "password": password, "csrf_token": token})
tab = client.get(f"/customers/{customer_id}/notes")
partial = client.get(f"/customers/{customer_id}/notes", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
report({"status": tab.status_code, "page": tab.text, "partial": partial.text})
"""


def test_another_blueprint_adds_a_customer_tab_with_one_entry_and_one_template(app, partner, database_url):
    customer_id = make_customer(app, partner)
    answer = run_fresh_app(ADD_A_TAB, str(customer_id), partner.email, PASSWORD, DATABASE_URL=database_url)
    assert answer["status"] == 200
    page = answer["page"]
    assert '<p id="notes-panel">0 open notes</p>' in page
    assert "<title>Notes: Northwind Dental · Receivables</title>" in page
    tabs = re.findall(r'id="tab-(\w+)"', page)
    assert tabs == ["profile", "users", "invoices", "reminders", "payment_methods", "notes", "history"]
    assert re.search(rf'href="/customers/{customer_id}/notes" id="tab-notes" aria-current="page"', page)
    assert answer["partial"].count('id="notes-panel"') == 1 and "<html" not in answer["partial"]
