"""python -m benchmarks.imports [--rows 10000] [--bad 100]: time a CSV import of customers.

Self-contained: a fresh SQLite database in a temporary directory (or DATABASE_URL's, which it
empties: give it a scratch database), built by the migrations, one partner. The file has `rows`
customers, `bad` of them invalid (a ZIP code of 4 digits) at known lines, and a quoted comma in
every 50th row. It times the dry run, the import and a second import of
the same file, checks the counts and every invalid row's line number, that the dry run wrote no
customer and that the second run changed nothing, and prints the figures as JSON.
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


def build_file(rows: int, bad: int) -> tuple[bytes, list[int]]:
    """The CSV and the line numbers of its bad rows (header: line 1)."""
    every = max(rows // max(bad, 1), 1)
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
    from models import Customer, Partner, StaffUser
    from services import imports
    from unit_of_work import unit_of_work

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

        def timed(action: str, name: str) -> dict:
            with unit_of_work():
                upload = imports.store_upload(partner.id, staff.id, "customers", "bench.csv", content)
                imports.start(upload, "dry-run")
                if action == "import":
                    imports.start(upload, "import")
            started = time.perf_counter()
            report = imports.run(upload.id)
            figures[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
            return report.counts | {"lines": sorted({line for line, _field, _message in report.errors})}

        dry = timed("dry-run", "dry_run")
        if db.session.scalar(select(func.count(Customer.id))):
            problems.append("the dry run wrote customers")
        first = timed("import", "import")
        second = timed("import", "second_import")
        expected = {"new": rows - bad, "update": 0, "unchanged": 0, "invalid": bad}
        for name, report, want in (("dry run", dry, expected), ("import", first, expected),
                                   ("second import", second, expected | {"new": 0, "unchanged": rows - bad})):
            counts = {k: report[k] for k in want}
            if counts != want:
                problems.append(f"{name}: {counts} != {want}")
            if report["lines"] != bad_lines:
                problems.append(f"{name}: invalid lines {report['lines'][:5]}… != {bad_lines[:5]}…")
        figures["customers"] = db.session.scalar(select(func.count(Customer.id)))
        if figures["customers"] != rows - bad:
            problems.append(f"{figures['customers']} customers, not {rows - bad}")
        if not all(re.fullmatch(r"Bench Customer \d{5}", c) for c in db.session.scalars(select(Customer.company))):
            problems.append("a customer's company is not its row's")
        figures["rows_per_second"] = round(rows / figures["import_seconds"])
        figures["problems"] = problems
    print(json.dumps(figures, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
