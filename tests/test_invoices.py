"""Invoices on the dashboard: the form, every lifecycle rule, bad input by the field, tenancy."""

import re
from datetime import date, timedelta

import pytest
from customer_helpers import PARTIAL, make_customer, make_tag, tag_customers, token
from sqlalchemy import select

from extensions import db
from models import Invoice, InvoiceCounter

TODAY = date.today()  # the partner's (America/New_York) differs from UTC's by at most a day: see _dates


def _dates(issue_offset=0, due_offset=30) -> dict:
    # A day of margin either side of the partner's clock, so the tests hold at any hour.
    return {"issue_date": (TODAY + timedelta(days=issue_offset)).isoformat(),
            "due_date": (TODAY + timedelta(days=due_offset)).isoformat()}


def _lines(*lines) -> dict:
    data = {}
    for n, (description, quantity, price, *rate) in enumerate(lines):
        data |= {f"lines-{n}-description": description, f"lines-{n}-quantity": quantity,
                 f"lines-{n}-unit_price": price, f"lines-{n}-tax_rate": rate[0] if rate else ""}
    return data


def _post_new(client, customer_id, action="save", lines=(("Managed services", "3", "1,234.50", "8.875"),),
              memo="Thank you", **dates):
    url = f"/customers/{customer_id}/invoices/new"
    data = {"csrf_token": token(client, url), "action": action, "memo": memo, **_dates(**dates), **_lines(*lines)}
    return client.post(url, data=data)


def _invoice_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.fullmatch(r"/invoices/([0-9]+)", response.headers["Location"]).group(1))


def _status(html: str) -> str:
    match = re.search(r'data-status="([a-z_]+)">([^<]*)<', html)
    return match.group(2)


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner)


def test_partner_creates_a_draft_and_sees_it_with_its_totals(signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id))
    page = signed_in.get(f"/invoices/{invoice_id}")
    # 3 x 1,234.50 = 3,703.50; 8.875% of it = 328.685 -> 328.69; total 4,032.19
    assert "$4,032.19" in page.text and "$328.69" in page.text
    assert _status(page.text) == "Draft"
    assert "INV-" not in page.text


def test_finalize_from_the_form_numbers_the_invoice(signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    page = signed_in.get(f"/invoices/{invoice_id}")
    assert "INV-0001" in page.text and _status(page.text) == "Open"
