"""CSV import of invoices with their lines: one invoice per run of rows with the same external id,
judged by the dashboard's rules, imported whole or not at all, line numbers, customer matching,
status open numbering, re-runs, BOM and semicolons, the invalid rows' CSV, batches never split."""

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from customer_helpers import make_customer
from sqlalchemy import select
from test_imports import _counts, _dry_run, _import, _upload_id

from extensions import db
from models import Invoice
from services import imports

SAMPLES = Path(__file__).resolve().parent.parent / "static" / "samples"
HEADER = ("external_id,customer_external_id,customer_ein,customer,issue_date,due_date,memo,status,"
          "description,quantity,unit_price,tax_rate")
DUE = (date.today() + timedelta(days=30)).isoformat()
TODAY = date.today().isoformat()


def _file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def _errors(html: str) -> list[str]:
    return re.findall(r"<li>(Line .*?)</li>", html)


def _invoices(app) -> list[tuple]:
    """(external id, number, status, [(description, quantity, unit price)]) of each invoice."""
    with app.app_context():
        return [(invoice.external_id, invoice.number, invoice.status,
                 [(line.description, str(line.quantity.normalize()), line.unit_price) for line in invoice.lines])
                for invoice in db.session.scalars(select(Invoice).order_by(Invoice.id))]


@pytest.fixture
def sample_customers(signed_in, app):
    """The customers sample imported: Northwind Dental (CUST-001, EIN 91-1144442), Harbor Vets (CUST-002)."""
    _dry_run(signed_in, (SAMPLES / "customers.csv").read_bytes())
    assert _counts(_import(signed_in, _upload_id(app)).text)["new"] == 2
    return signed_in


def test_the_sample_imports_each_invoice_with_its_lines_and_a_second_run_changes_nothing(sample_customers, app):
    client = sample_customers
    page = client.get("/import").text
    link = re.search(r'href="([^"]*samples/invoices\.csv[^"]*)"', page)[1]
    sample = client.get(link.replace("&amp;", "&"))
    sample.close()
    assert sample.status_code == 200
    dry = _dry_run(client, sample.data, name="invoices.csv", kind="invoices")
    assert _counts(dry.text) == {"new": 8, "update": 0, "unchanged": 0, "invalid": 0}
    assert _invoices(app) == []
    assert _counts(_import(client, _upload_id(app)).text) == {"new": 8, "update": 0, "unchanged": 0, "invalid": 0}
    invoices = _invoices(app)
    assert [(external_id, len(lines)) for external_id, _n, _s, lines in invoices] == [
        ("INV-1001", 3), ("INV-1002", 2), ("INV-1003", 3)]
    assert invoices[1][3] == [("Firewall replacement", "1", 123450), ("Installation (hours)", "4", 11000)]
    with app.app_context():
        firewall = db.session.scalar(select(Invoice).where(Invoice.external_id == "INV-1002"))
        assert (firewall.subtotal, firewall.tax, firewall.total) == (167450, 10185, 177635)
        assert db.session.scalar(select(Invoice.currency).where(Invoice.external_id == "INV-1003")) == "CAD"
    again = _dry_run(client, sample.data, name="invoices.csv", kind="invoices")
    assert _counts(again.text) == {"new": 0, "update": 0, "unchanged": 8, "invalid": 0}
    assert _counts(_import(client, _upload_id(app)).text) == {"new": 0, "update": 0, "unchanged": 8, "invalid": 0}
    assert _invoices(app) == invoices


def test_a_bad_line_holds_back_its_whole_invoice_and_every_row_says_why(sample_customers, app):
    content = _file(
        f'A-1,CUST-001,,,{TODAY},{DUE},"Two\nparagraphs",,Support,1,100.00,',  # lines 2 and 3 (a quoted break)
        "A-1,,,,,,,,Backup,2,10.00,",  # line 4
        "A-1,,,,,,,,Backup,abc,10.00,",  # line 5: the bad quantity
        "A-1,,,,,2099-01-01,,,Extra,1,1.234,",  # line 6: another due date, a price with 3 decimals
        f"B-1,CUST-002,,,{TODAY},{DUE},,,Help desk,2,45.00,15",  # line 7: another invoice, valid
    )
    response = _dry_run(sample_customers, content, kind="invoices")
    assert _counts(response.text) == {"new": 1, "update": 0, "unchanged": 0, "invalid": 4}
    errors = _errors(response.text)
    assert any(e.startswith("Line 5: quantity: ") for e in errors)
    assert "Line 6: due_date: Line 2 (the invoice&#39;s first row) gives another due_date: leave it empty or the " \
           "same on the invoice&#39;s other rows" in errors
    assert any(e.startswith("Line 6: unit_price: ") for e in errors)
    assert [e for e in errors if e.startswith(("Line 2:", "Line 4:"))] == [
        f"Line {n}: row: Not imported: line 5 of the same invoice is invalid, and an invoice is imported with all "
        "of its lines or not at all" for n in (2, 4)]
    assert _counts(_import(sample_customers, _upload_id(app)).text)["invalid"] == 4
    assert [external_id for external_id, *_rest in _invoices(app)] == ["B-1"]


def test_the_invalid_rows_download_holds_every_row_of_a_refused_invoice_with_formulas_escaped(
        sample_customers, app):
    _dry_run(sample_customers, _file(f"A-1,CUST-001,,,{TODAY},{DUE},,,=SUM(A1),1,100.00,",
                                     "A-1,,,,,,,,@risk review,1,-5,"), kind="invoices")
    response = sample_customers.get(f"/import/{_upload_id(app)}/invalid-rows.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [*HEADER.split(","), "error"]
    assert [row[8] for row in rows[1:]] == ["'=SUM(A1)", "'@risk review"]
    assert rows[1][-1].startswith("Line 2: row: Not imported: line 3 ")
    assert rows[2][10] == "'-5" and rows[2][-1].startswith("Line 3: unit_price: ")


@pytest.mark.parametrize(("customer_cells", "found", "message"), [
    ("CUST-002,,", "Harbor Vets", None),
    (",911144442,", "Northwind Dental", None),
    (",,  harbor VETS ", "Harbor Vets", None),
    ("NOPE,,Northwind Dental", "Northwind Dental", None),  # an unknown external id, then the name
    ("NOPE,,", None, "Line 2: customer_external_id: No customer has the external ID “NOPE”"),
    (",12-34,", None, "Line 2: customer_ein: "),
    (",,Nobody Inc", None, "Line 2: customer: No customer is named “Nobody Inc”"),
    (",,Twin Co", None, "Line 2: customer: Several customers are named “Twin Co”: give customer_external_id or "
                        "customer_ein"),
    (",,", None, "Line 2: customer: Enter the customer"),
])
def test_the_customer_is_found_by_external_id_else_ein_else_company_name(sample_customers, app, partner,
                                                                        customer_cells, found, message):
    for ein, email in (("91-2222221", "a@twin.example.com"), ("91-2222222", "b@twin.example.com")):
        make_customer(app, partner, company="Twin Co", ein=ein, users=(("Twin", email),))
    response = _dry_run(sample_customers, _file(f"A-1,{customer_cells},{TODAY},{DUE},,,Support,1,100.00,"),
                        kind="invoices")
    if message:
        assert any(e.startswith(message) for e in _errors(response.text)), _errors(response.text)
        return
    assert _counts(response.text)["new"] == 1
    _import(sample_customers, _upload_id(app))
    with app.app_context():
        assert db.session.scalar(select(Invoice)).customer.company == found


def test_status_open_finalizes_in_file_order_and_an_open_invoice_is_never_edited(sample_customers, app):
    rows = [f"O-1,CUST-001,,,{TODAY},{DUE},,open,Support,1,100.00,",
            f"D-1,CUST-001,,,{TODAY},{DUE},,,Draft work,1,50.00,",
            f"O-2,CUST-002,,,{TODAY},{DUE},,OPEN,Support,2,100.00,",
            f"X-1,CUST-002,,,{TODAY},{DUE},,sent,Support,2,100.00,"]
    _dry_run(sample_customers, _file(*rows), kind="invoices")
    response = _import(sample_customers, _upload_id(app))
    assert _counts(response.text) == {"new": 3, "update": 0, "unchanged": 0, "invalid": 1}
    assert "Line 5: status: Enter draft or open (empty: draft)" in _errors(response.text)
    assert [(external_id, number, status) for external_id, number, status, _l in _invoices(app)] == [
        ("O-1", "INV-0001", "open"), ("D-1", None, "draft"), ("O-2", "INV-0002", "open")]
    _dry_run(sample_customers, _file(*rows[:3]), kind="invoices")
    assert _counts(_import(sample_customers, _upload_id(app)).text)["unchanged"] == 3
    changed = _dry_run(sample_customers, _file(rows[0].replace("100.00", "120.00"), rows[1]), kind="invoices")
    assert _counts(changed.text) == {"new": 0, "update": 0, "unchanged": 1, "invalid": 1}
    assert "Line 2: row: INV-0001 is open and can no longer be edited" in _errors(changed.text)


def test_a_bom_and_semicolons_are_read(sample_customers):
    content = "\ufeff" + HEADER.replace(",", ";") + f"\r\nA-1;CUST-001;;;{TODAY};{DUE};;;Support;1;1,234.50;8.25\r\n"
    assert _counts(_dry_run(sample_customers, content.encode(), kind="invoices").text) == {
        "new": 1, "update": 0, "unchanged": 0, "invalid": 0}


def test_a_large_file_in_the_worker_never_splits_an_invoice_across_batches(sample_customers, app, monkeypatch):
    monkeypatch.setattr(imports, "BACKGROUND_ROWS", 1)
    monkeypatch.setattr(imports, "BATCH", 2)
    content = _file(*[f"A-{n},CUST-001,,,{TODAY},{DUE},,,Line {k},1,10.00," for n in range(3) for k in range(3)])
    _dry_run(sample_customers, content, kind="invoices")
    upload_id = _upload_id(app)
    with app.app_context():
        assert imports.run_queued() == "Ran 1 import(s)."
    _import(sample_customers, upload_id)
    with app.app_context():
        assert imports.run_queued() == "Ran 1 import(s)."
    assert _counts(sample_customers.get(f"/import/{upload_id}").text) == {
        "new": 9, "update": 0, "unchanged": 0, "invalid": 0}
    assert [len(lines) for *_rest, lines in _invoices(app)] == [3, 3, 3]


def test_columns_are_recognized_by_their_aliases_and_a_hand_mapping_is_remembered(sample_customers, app):
    header = "Ref,Customer ID,Invoice date,Due,Item,Qty,Price"
    first = _dry_run(sample_customers, _file(f"A-1,CUST-001,{TODAY},{DUE},Support,1,100.00", header=header),
                     kind="invoices")
    assert _counts(first.text)["invalid"] == 1  # no external_id column: Ref is not a known name
    _import(sample_customers, _upload_id(app), **{"column-0": "external_id", "column-1": "customer_external_id",
                                                  "column-2": "issue_date", "column-3": "due_date",
                                                  "column-4": "description", "column-5": "quantity",
                                                  "column-6": "unit_price"})
    second = _dry_run(sample_customers, _file(f"A-1,CUST-001,{TODAY},{DUE},Support,1,100.00", header=header),
                      kind="invoices")
    assert _counts(second.text) == {"new": 0, "update": 0, "unchanged": 1, "invalid": 0}
