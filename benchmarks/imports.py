"""python -m benchmarks.imports [--rows 10000] [--bad 100]: time a CSV import of customers, then
one of invoices for them.

Self-contained: a fresh SQLite database in a temporary directory (or DATABASE_URL's, which it
empties: give it a scratch database), built by the migrations, one partner. The customers file
has `rows` customers, `bad` of them invalid (a ZIP code of 4 digits) at known lines, and a quoted
comma in every 50th row. The invoices file has `rows` lines, 3 or 4 per invoice (about rows / 3.5
invoices, each for one of the imported customers), `bad` of them invalid (a quantity that is no
number): each holds back its whole invoice. For each file it times the dry run, the import and a
second import of the same file, checks the counts and every invalid row's line number, that the
dry run wrote nothing and that the second run changed nothing, and prints the figures as JSON.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HEADER = "company,legal_name,ein,address,city,state,postal_code,country,external_id,users"
INVOICE_HEADER = "external_id,customer_external_id,issue_date,due_date,memo,description,quantity,unit_price,tax_rate"


def _every(rows: int, bad: int) -> int:
    return max(rows // max(bad, 1), 1)


def build_file(rows: int, bad: int) -> tuple[bytes, list[int]]:
    """The CSV and the line numbers of its bad rows (header: line 1)."""
    every = _every(rows, bad)
    lines, bad_lines, line = [HEADER], [], 2
    for n in range(rows):
        zip_code = "7870" if bad and n % every == every - 1 and len(bad_lines) < bad else "78701"
        if zip_code == "7870":
            bad_lines.append(line)
        legal = f'"Bench, Co {n}"' if n % 50 == 0 else f"Bench Co {n}"  # a quoted comma now and then
        lines.append(f"Bench Customer {n:05d},{legal},,{n} Main St,Austin,TX,{zip_code},US,B-{n},"
                     f"User {n} <user{n}@bench.example.com>")
        line += 1
    return ("\n".join(lines) + "\n").encode(), bad_lines


def build_invoices_file(rows: int, bad: int) -> tuple[bytes, list[int], int, int]:
    """The invoices CSV (customers of build_file's good rows), the line numbers of every row of
    an invoice holding a bad row, the number of invoices and that of those held back."""
    every = _every(rows, bad)
    lines, invalid_lines, invoice, line, bad_left, held_back = [INVOICE_HEADER], [], 0, 2, bad, 0
    while line - 2 < rows:
        size = min(3 + invoice % 2, rows - (line - 2))
        customer = (invoice * every) % rows if every > 1 else 0  # never a bad row of build_file
        rows_of_invoice, bad_here = [], False
        for k in range(size):
            quantity = "2"
            if bad_left and (line - 2) % every == every - 1:
                quantity, bad_here, bad_left = "two", True, bad_left - 1
            first = (f"B-{customer},2026-01-05,2026-02-04,Bench invoice {invoice}" if k == 0 else ",,,")
            lines.append(f"I-{invoice},{first},Line {k} of {invoice},{quantity},{10 + k}.50,8.25")
            rows_of_invoice.append(line)
            line += 1
        if bad_here:
            invalid_lines += rows_of_invoice
            held_back += 1
        invoice += 1
    return ("\n".join(lines) + "\n").encode(), invalid_lines, invoice, held_back


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("APP_ENV", "test")
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(scratch) / 'bench.sqlite3'}")
        os.environ["MAIL_OUTBOX_DIR"] = str(Path(scratch) / "mail")
        return run(args.rows, args.bad)


def run(rows: int, bad: int) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from app import create_app
    from extensions import db, init_migrations
    from keys import email_key
    from models import Customer, Invoice, InvoiceLine, Partner, StaffUser
    from services import imports
    from unit_of_work import unit_of_work

    MODELS = {"customers": Customer, "invoices": Invoice}
    app = create_app({"TESTING": True})
    init_migrations(app)
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        partner = Partner(name="Bench MSP")
        email = "bench@example.com"
        staff = StaffUser(partner=partner, name="Bench", email=email, email_key=email_key(email))
        staff.set_password("benchmark password 1")
        db.session.add_all([partner, staff])
        db.session.commit()
        content, bad_lines = build_file(rows, bad)
        figures = {"rows": rows, "bad": bad, "bytes": len(content), "database": db.engine.dialect.name}
        problems = []

        def timed(kind: str, file: bytes, action: str, name: str) -> dict:
            with unit_of_work():
                upload = imports.store_upload(partner.id, staff.id, kind, "bench.csv", file)
                imports.start(upload, "dry-run")
                if action == "import":
                    imports.start(upload, "import")
            started = time.perf_counter()
            report = imports.run(upload.id)
            figures[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
            return report.counts | {"lines": sorted({line for line, _field, _message in report.errors})}

        def check_runs(kind: str, file: bytes, invalid_lines: list[int], prefix: str = "") -> None:
            dry = timed(kind, file, "dry-run", f"{prefix}dry_run")
            if db.session.scalar(select(func.count()).select_from(MODELS[kind])):
                problems.append(f"the {kind} dry run wrote {kind}")
            first = timed(kind, file, "import", f"{prefix}import")
            second = timed(kind, file, "import", f"{prefix}second_import")
            good = rows - len(invalid_lines)
            expected = {"new": good, "update": 0, "unchanged": 0, "invalid": len(invalid_lines)}
            for name, report, want in (("dry run", dry, expected), ("import", first, expected),
                                       ("second import", second, expected | {"new": 0, "unchanged": good})):
                counts = {k: report[k] for k in want}
                if counts != want:
                    problems.append(f"{kind} {name}: {counts} != {want}")
                if report["lines"] != invalid_lines:
                    problems.append(f"{kind} {name}: invalid lines {report['lines'][:5]}… != {invalid_lines[:5]}…")

        check_runs("customers", content, bad_lines)
        figures["customers"] = db.session.scalar(select(func.count(Customer.id)))
        if figures["customers"] != rows - bad:
            problems.append(f"{figures['customers']} customers, not {rows - bad}")
        if not all(re.fullmatch(r"Bench Customer \d{5}", c) for c in db.session.scalars(select(Customer.company))):
            problems.append("a customer's company is not its row's")
        invoices_file, invalid_lines, invoice_count, held_back = build_invoices_file(rows, bad)
        check_runs("invoices", invoices_file, invalid_lines, prefix="invoices_")
        figures["invoices_in_file"] = invoice_count
        figures["invoices"] = db.session.scalar(select(func.count(Invoice.id)))
        figures["invoice_lines"] = db.session.scalar(select(func.count(InvoiceLine.id)))
        if figures["invoices"] != invoice_count - held_back:
            problems.append(f"{figures['invoices']} invoices, not {invoice_count - held_back}")
        if figures["invoice_lines"] != rows - len(invalid_lines):
            problems.append(f"{figures['invoice_lines']} invoice lines, not {rows - len(invalid_lines)}")
        figures["invoices_rows_per_second"] = round(rows / figures["invoices_import_seconds"])
        figures["rows_per_second"] = round(rows / figures["import_seconds"])
        figures["problems"] = problems
    print(json.dumps(figures, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
