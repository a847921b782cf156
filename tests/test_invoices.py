"""Invoices on the dashboard: the form, every lifecycle rule, bad input by the field, tenancy."""

import re
from datetime import date, timedelta

import pytest
from customer_helpers import PARTIAL, make_customer, make_tag, tag_customers, token
from sqlalchemy import select

from extensions import db
from models import Invoice, InvoiceCounter
from services.invoices import rebuild_open_balances

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


def _get(app, invoice_id) -> Invoice:
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        db.session.expunge(invoice)
        return invoice


def _act(client, invoice_id, what, **data):
    return client.post(f"/invoices/{invoice_id}/{what}",
                       data={"csrf_token": token(client, f"/invoices/{invoice_id}"), **data})


def test_the_new_form_has_the_interface_fields_and_buttons(signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/invoices/new").text
    for name in ("issue_date", "due_date", "memo", "lines-0-description", "lines-0-quantity",
                 "lines-0-unit_price", "lines-0-tax_rate", "csrf_token"):
        assert f'name="{name}"' in page
    for action in ("add-line", "save", "finalize"):
        assert f'name="action" value="{action}"' in page
    assert "remove-line-0" not in page  # a list of one line has no Remove
    assert f'value="{TODAY.isoformat()}"' in page or f'value="{(TODAY - timedelta(days=1)).isoformat()}"' in page


def test_lines_are_stored_rounded_and_the_totals_are_their_sums(app, signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, lines=(
        ("Half a cent", "0.5", "0.01", "50"),     # 0.005 -> 0.01; tax 0.005 -> 0.01
        ("Hours", "1.3333", "3.00"),              # 3.9999 -> 4.00
        ("Licences", "1,000", "$1,234.50", "13"),  # 1,234,500.00; tax 160,485.00
    )))
    invoice = _get(app, invoice_id)
    with app.app_context():
        lines = db.session.get(Invoice, invoice_id).lines
        assert [(line.amount, line.tax) for line in lines] == [(1, 1), (400, 0), (123450000, 16048500)]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (123450401, 16048501, 139498902)
    assert "$1,394,989.02" in signed_in.get(f"/invoices/{invoice_id}").text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("lines-0-quantity", "1e3", "Enter the quantity as a number, like 2 or 1.5"),
    ("lines-0-quantity", "NaN", "Enter the quantity as a number, like 2 or 1.5"),
    ("lines-0-quantity", "-0", "Quantity cannot be negative"),
    ("lines-0-quantity", "٣", "Enter the quantity as a number, like 2 or 1.5"),
    ("lines-0-quantity", "1.123456789012345", "Quantity can have at most 4 decimal places"),
    ("lines-0-quantity", "0", "Quantity must be more than 0"),
    ("lines-0-unit_price", "$1,000.005", "Unit price can have at most 2 decimal places"),
    ("lines-0-unit_price", "", "Enter the unit price"),
    ("lines-0-description", "", "Enter the description"),
    ("lines-0-description", "a\x0bb", "Description must not contain control characters"),
    ("lines-0-tax_rate", "101", "Tax rate must be 100% or less"),
    ("issue_date", "2026-02-30", "Enter the issue date as a real date, like 2026-05-31"),
    ("due_date", "", "Enter the due date"),
])
def test_bad_input_gets_a_message_by_its_field_and_saves_nothing(app, signed_in, customer_id, field, value, message):
    url = f"/customers/{customer_id}/invoices/new"
    data = {"csrf_token": token(signed_in, url), "action": "save", "memo": "", **_dates(),
            **_lines(("Support", "1", "10.00")), field: value}
    response = signed_in.post(url, data=data)
    assert response.status_code == 422
    field_id = field
    row = re.search(rf'<div class="field field-invalid" id="row-{field_id}">(.*?)</div>', response.text, re.S)
    assert row and message in row.group(1)
    assert f'<a href="#{field_id}">{message}</a>' in response.text  # the error summary links to it
    with app.app_context():
        assert db.session.scalar(select(Invoice.id)) is None


def test_a_due_date_before_the_issue_date_is_refused_by_the_due_date(signed_in, customer_id):
    response = _post_new(signed_in, customer_id, issue_offset=5, due_offset=4)
    assert response.status_code == 422
    assert "The due date must be on or after the issue date" in response.text


def test_an_issue_date_in_the_future_is_fine(signed_in, customer_id):
    _invoice_id(_post_new(signed_in, customer_id, action="finalize", issue_offset=10, due_offset=40))


def test_finalize_refuses_a_due_date_in_the_past_by_the_field(app, signed_in, customer_id):
    response = _post_new(signed_in, customer_id, action="finalize", issue_offset=-40, due_offset=-5)
    assert response.status_code == 422
    assert "The due date has passed: choose today or a later date to finalize" in response.text
    with app.app_context():
        assert db.session.scalar(select(Invoice.id)) is None  # nothing half-done: not even the draft


def test_finalize_refuses_a_zero_total(app, signed_in, customer_id):
    response = _post_new(signed_in, customer_id, action="finalize", lines=(("Free check-up", "1", "0"),))
    assert response.status_code == 422
    assert "The total must be above zero to finalize" in response.text
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, lines=(("Free check-up", "1", "0"),)))
    response = _act(signed_in, invoice_id, "finalize")
    assert response.status_code == 422 and "The total must be above zero" in response.text
    assert _get(app, invoice_id).status == "draft"


def test_a_draft_is_edited_then_finalized_with_the_next_number(app, signed_in, customer_id):
    first = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    draft = _invoice_id(_post_new(signed_in, customer_id))
    edit = f"/invoices/{draft}/edit"
    page = signed_in.get(edit).text
    assert 'value="1,234.50"' in page and 'value="8.875"' in page
    version = re.search(r'name="version" type="hidden" value="([0-9]+)"', page).group(1)
    response = signed_in.post(edit, data={"csrf_token": token(signed_in, edit), "action": "save", "version": version,
                                          "memo": "Edited", **_dates(), **_lines(("Audit", "2", "50"))})
    assert _invoice_id(response) == draft
    assert _get(app, draft).total == 10000
    assert _act(signed_in, draft, "finalize").status_code == 303
    assert (_get(app, first).number, _get(app, draft).number) == ("INV-0001", "INV-0002")


def test_an_edit_from_an_old_version_is_refused(app, signed_in, customer_id):
    draft = _invoice_id(_post_new(signed_in, customer_id))
    edit = f"/invoices/{draft}/edit"
    data = {"csrf_token": token(signed_in, edit), "action": "save", "version": "1", "memo": "",
            **_dates(), **_lines(("Audit", "2", "50"))}
    assert signed_in.post(edit, data=data).status_code == 303
    response = signed_in.post(edit, data=data)  # the same form, posted again from the old page
    assert response.status_code == 409 and "Someone else changed this invoice" in response.text


def test_open_invoices_are_locked_and_actions_that_do_not_apply_are_409(app, signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    edit = f"/invoices/{invoice_id}/edit"
    assert signed_in.get(edit).status_code == 302  # to the invoice page
    response = signed_in.post(edit, data={"csrf_token": token(signed_in, f"/invoices/{invoice_id}"), "action": "save",
                                          **_dates(), **_lines(("x", "1", "1"))})
    assert response.status_code == 409 and "INV-0001 is open and can no longer be edited" in response.text
    response = _act(signed_in, invoice_id, "finalize")
    assert response.status_code == 409 and "INV-0001 is already open: only a draft can be finalized" in response.text
    response = _act(signed_in, invoice_id, "delete")
    assert response.status_code == 409 and "only a draft can be deleted" in response.text


def test_void_needs_a_reason_and_locks_the_invoice(app, signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    response = _act(signed_in, invoice_id, "void", reason="  ")
    assert response.status_code == 422 and "Enter the reason for voiding" in response.text
    response = _act(signed_in, invoice_id, "void", reason="Billed the wrong customer")
    assert response.status_code == 303 and response.headers["Location"] == f"/invoices/{invoice_id}"
    page = signed_in.get(f"/invoices/{invoice_id}").text
    assert _status(page) == "Void" and "Billed the wrong customer" in page
    for action in ("void", "finalize", "delete"):
        response = _act(signed_in, invoice_id, action, reason="again")
        assert response.status_code == 409, action
    invoice = _get(app, invoice_id)
    assert (invoice.status, invoice.number, invoice.void_reason) == ("void", "INV-0001", "Billed the wrong customer")


def test_a_draft_cannot_be_voided_and_is_deleted_without_leaving_a_gap(app, signed_in, customer_id):
    draft = _invoice_id(_post_new(signed_in, customer_id))
    response = _act(signed_in, draft, "void", reason="no")
    assert response.status_code == 409 and "only an open invoice can be voided" in response.text
    response = _act(signed_in, draft, "delete")
    assert response.status_code == 303 and response.headers["Location"] == "/invoices"
    assert signed_in.get(f"/invoices/{draft}").status_code == 404
    again = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    assert _get(app, again).number == "INV-0001"


def test_an_open_invoice_past_its_due_date_shows_overdue(app, signed_in, customer_id):
    invoice_id = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        invoice.issue_date, invoice.due_date = TODAY - timedelta(days=40), TODAY - timedelta(days=3)
        rebuild_open_balances(invoice.partner_id)  # moved back in time by hand: summed again
        db.session.commit()
    assert _status(signed_in.get(f"/invoices/{invoice_id}").text) == "Overdue"
    listed = signed_in.get("/invoices?status=overdue").text
    assert "INV-0001" in listed and _status(listed) == "Overdue"
    assert "INV-0001" not in signed_in.get("/invoices?status=paid").text
    # Outstanding and overdue, formatted, per currency.
    assert re.search(r"Overdue</dt><dd>\$4,032\.19<", listed)


def test_another_partners_invoice_is_a_404_everywhere(app, signed_in, other_partner):
    theirs = make_customer(app, other_partner)
    from conftest import Auth
    other = app.test_client()
    Auth(other).login(other_partner.email)
    invoice_id = _invoice_id(_post_new(other, theirs, action="finalize"))
    assert signed_in.get(f"/customers/{theirs}/invoices/new").status_code == 404
    assert signed_in.get(f"/customers/{theirs}/invoices").status_code == 404
    for path in ("", "/edit"):
        assert signed_in.get(f"/invoices/{invoice_id}{path}").status_code == 404
    csrf = token(signed_in, "/invoices")
    for action in ("finalize", "void", "delete", "edit"):
        response = signed_in.post(f"/invoices/{invoice_id}/{action}", data={"csrf_token": csrf, "reason": "x"})
        assert response.status_code == 404
    assert "INV-0001" not in signed_in.get("/invoices").text
    assert "INV-0001" not in signed_in.get(f"/invoices?customer={theirs}").text
    assert _get(app, invoice_id).status == "open"


def test_posts_without_the_csrf_token_are_refused(signed_in, customer_id, app):
    draft = _invoice_id(_post_new(signed_in, customer_id))
    for action in ("finalize", "delete"):
        assert signed_in.post(f"/invoices/{draft}/{action}").status_code == 400
    assert signed_in.post(f"/customers/{customer_id}/invoices/new", data={"action": "save"}).status_code == 400
    assert _get(app, draft).status == "draft"


def test_numbers_are_per_partner(app, signed_in, customer_id, other_partner):
    from conftest import Auth
    theirs = make_customer(app, other_partner)
    other = app.test_client()
    Auth(other).login(other_partner.email)
    mine = [_invoice_id(_post_new(signed_in, customer_id, action="finalize")) for _ in range(2)]
    their = _invoice_id(_post_new(other, theirs, action="finalize"))
    assert [_get(app, i).number for i in mine] == ["INV-0001", "INV-0002"]
    assert _get(app, their).number == "INV-0001"
    with app.app_context():
        assert sorted(db.session.scalars(select(InvoiceCounter.last_number))) == [1, 2]


def test_add_and_remove_line_without_javascript_keep_what_was_typed(signed_in, customer_id):
    url = f"/customers/{customer_id}/invoices/new"
    data = {"csrf_token": token(signed_in, url), "memo": "Keep me", **_dates(),
            **_lines(("First", "2", "10"), ("Second", "1", "5"))}
    page = signed_in.post(url, data={**data, "action": "add-line"})
    assert page.status_code == 200
    assert 'name="lines-2-description"' in page.text and "Keep me" in page.text and 'value="First"' in page.text
    assert "$25.00" in page.text  # the totals, figured by the server
    page = signed_in.post(url, data={**data, "action": "remove-line-0"})
    assert 'value="First"' not in page.text and 'value="Second"' in page.text
    assert 'name="lines-1-description"' not in page.text


def test_add_line_with_htmx_answers_the_rows_and_the_totals(signed_in, customer_id):
    url = f"/customers/{customer_id}/invoices/new"
    data = {**_dates(), **_lines(("First", "2", "10", "10")), "action": "add-line"}
    response = signed_in.post(url, data=data, headers={**PARTIAL, "X-CSRFToken": token(signed_in, url)})
    assert response.status_code == 200
    assert 'id="line-rows"' in response.text and 'name="lines-1-description"' in response.text
    assert 'id="invoice-totals"' in response.text and "hx-swap-oob" in response.text and "$22.00" in response.text


def test_the_totals_follow_the_lines_as_typed(signed_in, customer_id):
    url = f"/customers/{customer_id}/invoices/new"
    data = {**_dates(), **_lines(("First", "2", "10", "10"), ("Bad", "1e3", "5")), "currency": "USD"}
    response = signed_in.post("/invoices/totals", data=data, headers={**PARTIAL, "X-CSRFToken": token(signed_in, url)})
    assert response.status_code == 200
    assert "$22.00" in response.text  # the line still being typed is left out
    assert 'id="line-amount-0"' in response.text and 'id="line-amount-1"' in response.text


def test_a_blur_check_answers_the_lines_field_with_its_message(signed_in, customer_id):
    url = f"/customers/{customer_id}/invoices/new"
    data = {**_dates(), **_lines(("First", "1e3", "10"))}
    response = signed_in.post("/invoices/lines/check/0/quantity", data=data,
                              headers={**PARTIAL, "X-CSRFToken": token(signed_in, url)})
    assert response.status_code == 200
    assert 'id="row-lines-0-quantity"' in response.text
    assert "Enter the quantity as a number, like 2 or 1.5" in response.text
    response = signed_in.post("/invoices/check/due_date", data={**data, "due_date": "2000-01-01"},
                              headers={**PARTIAL, "X-CSRFToken": token(signed_in, url)})
    assert "The due date must be on or after the issue date" in response.text
    assert signed_in.post("/invoices/check/nope", data=data,
                          headers={**PARTIAL, "X-CSRFToken": token(signed_in, url)}).status_code == 404


def test_the_customer_tab_and_the_list_filters(app, signed_in, partner, customer_id):
    other_customer = make_customer(app, partner, company="Second Co", ein=None)
    tag = make_tag(app, partner, "VIP")
    tag_customers(app, partner, tag, [other_customer])
    mine = _invoice_id(_post_new(signed_in, customer_id, action="finalize"))
    theirs = _invoice_id(_post_new(signed_in, other_customer))
    tab = signed_in.get(f"/customers/{customer_id}/invoices")
    assert tab.status_code == 200 and "INV-0001" in tab.text and f"/invoices/{theirs}" not in tab.text
    assert f"/customers/{customer_id}/invoices/new" in tab.text
    assert f"/invoices/{theirs}" in signed_in.get("/invoices?tag=VIP").text
    assert f"/invoices/{mine}" not in signed_in.get("/invoices?tag=VIP").text
    assert f"/invoices/{mine}" not in signed_in.get("/invoices?status=draft").text
    assert f"/invoices/{theirs}" in signed_in.get(f"/invoices?customer={other_customer}").text
    assert f"/invoices/{mine}" in signed_in.get("/invoices?currency=USD").text  # the Overview's per-currency links
    assert f"/invoices/{mine}" not in signed_in.get("/invoices?currency=CAD").text
    later = (TODAY + timedelta(days=400)).isoformat()
    assert "/invoices/" not in signed_in.get(f"/invoices?issued_from={later}").text.split("</form>")[-1]
    for nonsense in ("status=x", "currency=XYZ", "customer=%C2%B2", "issued_from=yesterday", "after=-1",
                     "before=99999999999"):
        assert signed_in.get(f"/invoices?{nonsense}").status_code == 200


def test_the_list_pages_by_keyset(app, signed_in, customer_id):
    ids = [_invoice_id(_post_new(signed_in, customer_id)) for _ in range(27)]
    first = signed_in.get("/invoices").text
    assert f"/invoices/{ids[-1]}\"" in first and f"/invoices/{ids[1]}\"" not in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url).text
    assert f"/invoices/{ids[0]}\"" in second and f"/invoices/{ids[1]}\"" in second
    assert f"/invoices/{ids[2]}\"" not in second
    assert 'rel="prev"' in second


def test_a_canadian_customer_is_billed_in_cad_and_keeps_it(app, signed_in, partner):
    canadian = make_customer(app, partner, company="Maple Co", ein=None, country="CA", state="ON",
                             postal_code="K1A 0B1", city="Ottawa")
    invoice_id = _invoice_id(_post_new(signed_in, canadian))
    assert _get(app, invoice_id).currency == "CAD"
    assert "CA$4,032.19" in signed_in.get(f"/invoices/{invoice_id}").text


def test_a_new_line_starts_with_a_quantity_of_one(signed_in, customer_id):
    url = f"/customers/{customer_id}/invoices/new"
    data = {"csrf_token": token(signed_in, url), **_dates(), **_lines(("First", "2", "10")), "action": "add-line"}
    page = signed_in.post(url, data=data).text
    assert re.search(r'id="lines-1-quantity" name="lines-1-quantity" type="text" value="1"', page)


def test_the_overdue_list_runs_longest_overdue_first_page_by_page(app, signed_in, customer_id, monkeypatch):
    from invoice_helpers import make_invoice

    import blueprints.invoices

    monkeypatch.setattr(blueprints.invoices, "PAGE_SIZE", 2)
    made = {days: make_invoice(app, customer_id, issue=TODAY - timedelta(days=days + 30),
                               due=TODAY - timedelta(days=days)) for days in (5, 50, 20)}
    make_invoice(app, customer_id, issue=TODAY, due=TODAY + timedelta(days=30))  # open, not overdue
    first = signed_in.get("/invoices?status=overdue").text
    assert re.findall(r">(INV-[0-9]+)</a>", first) == [made[50].number, made[20].number]
    after = re.search(r'href="(/invoices\?[^"]*after=[0-9]+)"', first).group(1).replace("&amp;", "&")
    assert re.findall(r">(INV-[0-9]+)</a>", signed_in.get(after).text) == [made[5].number]


def test_the_customer_filter_is_picked_by_typing_the_start_of_a_name(app, signed_in, partner, customer_id,
                                                                     other_partner):
    other = make_customer(app, partner, company="Harbor Architects", ein="92-1234567")
    numbers = {each: _invoice_id(_post_new(signed_in, each)) for each in (customer_id, other)}
    listed = signed_in.get("/invoices").text
    assert "Harbor Architects" not in listed.split('id="filter-customer"')[1].split("</form>")[0]  # no list of all
    found = signed_in.get("/invoices?customer_q=harb").text  # without JavaScript: the typed name, submitted
    assert f'name="customer" value="{other}"> <span>Harbor Architects' in found and "1 customer matches “harb”" in found
    assert 'name="customer" value="" checked> Any customer' in found
    chosen = signed_in.get(f"/invoices?customer={other}").text
    assert f'name="customer" value="{other}" checked> <span>Harbor Architects' in chosen
    assert f"/invoices/{numbers[other]}\"" in chosen and f"/invoices/{numbers[customer_id]}\"" not in chosen
    theirs = make_customer(app, other_partner, company="Harbor Rival", ein="93-1234567")
    refused = signed_in.get(f"/invoices?customer={theirs}&customer_q=harb").text
    assert "Harbor Rival" not in refused and f"/invoices/{numbers[customer_id]}\"" in refused  # no filter
