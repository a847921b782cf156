"""CSV import of customers (invoices: test_imports_invoices.py): dry run, import, line numbers,
re-runs, BOM and semicolons, the invalid rows' CSV, the 10 MB limit on
/import only, large files in the worker, remembered columns."""

import csv
import io
import re

import pytest
from customer_helpers import PARTIAL, make_customer, token
from sqlalchemy import func, select

from extensions import db
from models import Customer, CustomerUser, ImportUpload
from services import imports

HEADER = "company,legal_name,ein,address,city,state,postal_code,country,external_id,users\r\n"
GOOD = [
    "Northwind Dental,Northwind Dental LLC,91-1144442,100 Main St,Austin,TX,78701,US,C-1,Ann Lee <ann@example.com>",
    "Harbor Vets,,,12 Wharf Rd,Halifax,NS,B3H 1A1,CA,C-2,Chloé Martin <chloe@example.com>; Bo Li <bo@example.com>",
]
BAD = [
    'Two Lines,,,"1 Elm St\nSuite 2",Austin,TX,78701,US,C-5,Ann Lee <ann5@example.com>',  # lines 4 and 5
    "Bad Zip,,,1 Elm St,Austin,TX,99999x,US,C-3,Ann Lee <ann3@example.com>",
    "=HYPERLINK(\"http://evil\"),,12-34,1 Elm St,Austin,TX,78701,US,C-4,",
]


def _file(rows, header=HEADER, newline="\r\n") -> bytes:
    return (header + newline.join(rows) + newline).encode()


def _dry_run(client, content: bytes, name="customers.csv", kind="customers"):
    return client.post("/import", data={"csrf_token": token(client, "/import"), "kind": kind, "action": "dry-run",
                                        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _import(client, upload_id: int, **columns):
    return client.post(f"/import/{upload_id}", data={"csrf_token": token(client, "/import"), "action": "import",
                                                     **columns})


def _counts(html: str) -> dict:
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def _upload_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(ImportUpload.id)))


def _customers(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(select(Customer.company, Customer.external_id, Customer.address)
                                  .order_by(Customer.id)).all()


def test_a_dry_run_reports_every_invalid_row_by_its_line_and_changes_nothing(signed_in, app):
    # Two Lines' address holds a line break: Bad Zip starts on line 6, the formula row on line 7.
    response = _dry_run(signed_in, _file(GOOD + BAD))
    assert response.status_code == 200
    assert _counts(response.text) == {"new": 2, "update": 0, "unchanged": 0, "invalid": 3}
    print(re.findall(r"<li>(Line .*?)</li>", response.text))
    assert "Line 4: address: " in response.text
    assert "Line 6: postal_code: " in response.text
    assert "Line 7: ein: " in response.text and "Line 7: users: " in response.text
    assert _customers(app) == []


def test_import_takes_the_valid_rows_and_a_second_run_changes_nothing(signed_in, app):
    _dry_run(signed_in, _file(GOOD + BAD))
    response = _import(signed_in, _upload_id(app))
    assert _counts(response.text) == {"new": 2, "update": 0, "unchanged": 0, "invalid": 3}
    assert _customers(app) == [("Northwind Dental", "C-1", "100 Main St"), ("Harbor Vets", "C-2", "12 Wharf Rd")]
    with app.app_context():
        assert sorted(db.session.scalars(select(CustomerUser.email))) == [
            "ann@example.com", "bo@example.com", "chloe@example.com"]
    again = _dry_run(signed_in, _file(GOOD + BAD))
    assert _counts(again.text) == {"new": 0, "update": 0, "unchanged": 2, "invalid": 3}
    assert _counts(_import(signed_in, _upload_id(app)).text) == {"new": 0, "update": 0, "unchanged": 2, "invalid": 3}
    assert len(_customers(app)) == 2


def test_a_row_matches_by_ein_else_company_and_postal_code(signed_in, app, partner):
    make_customer(app, partner)  # Northwind Dental, EIN 91-1144442, 78701, no external id
    make_customer(app, partner, company="Harbor Vets", ein="", country="CA", state="NS", postal_code="B3H 1A1",
                  city="Halifax", address="12 Wharf Rd", users=(("Chloé Martin", "chloe@example.com"),))
    _dry_run(signed_in, _file(GOOD))
    counts = _counts(_import(signed_in, _upload_id(app)).text)
    assert counts["new"] == 0 and counts["update"] + counts["unchanged"] == 2
    assert len(_customers(app)) == 2


def test_a_bom_and_semicolons_are_read(signed_in, app):
    content = "\ufeff" + HEADER.replace(",", ";") + \
        "Northwind Dental;;91-1144442;100 Main St;Austin;TX;78701;US;C-1;Ann Lee <ann@example.com>\r\n"
    response = _dry_run(signed_in, content.encode())
    assert _counts(response.text) == {"new": 1, "update": 0, "unchanged": 0, "invalid": 0}


def test_a_file_that_is_not_utf8_is_refused_by_the_field(signed_in):
    response = _dry_run(signed_in, HEADER.encode() + "Café,,,1 St,Austin,TX,78701,US,,A <a@b.com>\r\n".encode("cp1252"))
    assert response.status_code == 422 and "must be UTF-8" in response.text


def test_a_cell_too_long_for_csv_is_a_message_not_a_500(signed_in):
    response = _dry_run(signed_in, _file(GOOD + ["x" * 200_000]))
    assert response.status_code == 422 and "Line 4 cannot be read as CSV" in response.text


def test_the_invalid_rows_download_with_an_error_column_and_formulas_escaped(signed_in, app):
    _dry_run(signed_in, _file(GOOD + BAD + ["-2+3,,,@SUM(A1),Austin,TX,78701,US,+C-9,"]))
    response = signed_in.get(f"/import/{_upload_id(app)}/invalid-rows.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][-1] == "error" and len(rows) == 5
    assert rows[3][0] == "'=HYPERLINK(\"http://evil\")" and rows[3][-1].startswith("Line 7: ein: ")
    assert rows[4][:4] == ["'-2+3", "", "", "'@SUM(A1)"] and rows[4][8] == "'+C-9"


def test_uploads_up_to_10_mb_are_taken_on_import_only(signed_in, app):
    big = _file(GOOD * 8000)  # 1.7 MB: over the 1 MB elsewhere
    assert len(big) > 1024 * 1024
    # Sent as bytes (the test client would spool a large multipart body to a file it leaves open).
    fields = {"csrf_token": token(signed_in, "/import"), "kind": "customers", "action": "dry-run"}
    body = b"".join(f'--x\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n' + big + b"\r\n--x--\r\n"
    accepted = signed_in.post("/import", data=body, content_type="multipart/form-data; boundary=x")
    assert accepted.status_code == 200 and "Checking 0 of 16000 rows" in accepted.text  # queued for the worker
    # The same size elsewhere, and over 10 MB here: refused by the Content-Length (a raw body,
    # so the test client keeps it in memory).
    multipart = "multipart/form-data; boundary=x"
    assert signed_in.post("/settings", data=big, content_type=multipart).status_code == 413
    assert signed_in.post("/import", data=b"x" * (imports.MAX_BYTES + 1), content_type=multipart).status_code == 413


def test_a_large_file_runs_in_the_worker_with_a_progress_bar_that_stops(signed_in, app, monkeypatch):
    monkeypatch.setattr(imports, "BACKGROUND_ROWS", 1)
    monkeypatch.setattr(imports, "BATCH", 1)
    page = _dry_run(signed_in, _file(GOOD))
    assert "<progress" in page.text and 'hx-trigger="every 1s"' in page.text
    upload_id = _upload_id(app)
    running = signed_in.get(f"/import/{upload_id}/progress", headers=PARTIAL).text
    assert 'hx-trigger="every 1s"' in running and "0 of 2 rows" in running
    with app.app_context():
        assert imports.run_queued() == "Ran 1 import(s)."
    done = signed_in.get(f"/import/{upload_id}/progress", headers=PARTIAL).text
    assert "hx-trigger" not in done and "done" in done
    assert _counts(signed_in.get(f"/import/{upload_id}").text) == {"new": 2, "update": 0, "unchanged": 0,
                                                                  "invalid": 0}
    assert _customers(app) == []  # a dry run


def test_a_column_mapped_by_hand_is_remembered_for_the_next_file(signed_in, app):
    header = HEADER.replace("company,", "Firm,", 1)
    first = _dry_run(signed_in, _file(GOOD, header=header))
    assert _counts(first.text)["invalid"] == 2  # no company column
    _import(signed_in, _upload_id(app), **{"column-0": "company", **{f"column-{i}": f for i, f in enumerate(
        imports.CUSTOMER_FIELDS) if i}})
    assert len(_customers(app)) == 2
    second = _dry_run(signed_in, _file(GOOD, header=header))
    assert _counts(second.text) == {"new": 0, "update": 0, "unchanged": 2, "invalid": 0}


def test_another_partners_upload_is_a_404(signed_in, app, other_partner):
    with app.app_context():
        upload = ImportUpload(partner_id=other_partner.partner_id, kind="customers", filename="x.csv",
                              content=_file(GOOD), mapping="{}")
        db.session.add(upload)
        db.session.commit()
        theirs = upload.id
    assert signed_in.get(f"/import/{theirs}").status_code == 404
    assert signed_in.get(f"/import/{theirs}/invalid-rows.csv").status_code == 404
    assert _import(signed_in, theirs).status_code == 404


@pytest.mark.parametrize("kind", ["", "payments"])
def test_the_kind_is_checked(signed_in, kind):
    response = _dry_run(signed_in, _file(GOOD), kind=kind)
    assert response.status_code == 422 and "Choose what the file holds" in response.text


def test_the_sample_file_linked_from_the_page_imports_cleanly(signed_in):
    page = signed_in.get("/import").text
    link = re.search(r'href="([^"]*samples/customers\.csv[^"]*)"', page)[1]
    sample = signed_in.get(link.replace("&amp;", "&"))
    sample.close()
    assert sample.status_code == 200
    assert _counts(_dry_run(signed_in, sample.data).text) == {"new": 2, "update": 0, "unchanged": 0, "invalid": 0}
