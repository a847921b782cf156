"""python -m benchmarks.automation_pass: one automation pass over many open invoices, timed.

Seeds a fresh database (SQLite in a temporary directory, or --database-url, an EMPTY
PostgreSQL database) with seed-demo's customers and N open invoices (default 100,000) due
from 40 days before the pass to 80 days after it, then times two passes as of the same moment:
the day before (a cold start: every reminder due within the window, the worst a pass meets),
the day itself (a day's work: the steps that fell due since), and the same moment again
(everything already in the ledger). Prints the figures as JSON; target: under 30 s a pass.
cpu_seconds is this process's own CPU time in the pass (not the database server's): on a
shared machine it says what the pass costs whatever else is running.

    python -m benchmarks.automation_pass [--invoices 100000] [--customers 2000] [--database-url URL]
"""

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from benchmarks.data import flask, sqlalchemy_url

AT = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)  # 10 am in New York, the demo partner's time zone


def seed(url: str, customers: int, invoices: int) -> int:
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development"}
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--customers", str(customers), "--email", "bench@example.com",
          "--password", "benchmark password 1234")
    from models import Customer, Invoice  # the app's own tables, written as one Core insert per batch

    engine = create_engine(sqlalchemy_url(url))
    rng = random.Random(14)  # noqa: S311 - the same invoices every run
    try:
        with engine.begin() as conn:
            partner_id, = conn.execute(text(
                "SELECT partner_id FROM staff_users WHERE email_key = 'bench@example.com'")).one()
            ids = list(conn.scalars(select(Customer.id).where(Customer.partner_id == partner_id)))
            last = conn.execute(text("SELECT COUNT(*) FROM invoices WHERE partner_id = :p"), {"p": partner_id}).scalar()
            today = AT.date()
            rows = []
            for n in range(invoices):
                due = today + timedelta(days=rng.randint(-40, 80))
                total = rng.randint(5_000, 900_000)
                rows.append({"partner_id": partner_id, "customer_id": ids[n % len(ids)],
                             "number": f"B-{last + n + 1:07d}", "status": "open", "currency": "USD",
                             "issue_date": due - timedelta(days=30), "due_date": due,
                             "memo": "", "subtotal": total, "tax": 0, "total": total, "amount_paid": 0,
                             "finalized_at": datetime.combine(due - timedelta(days=30), datetime.min.time()),
                             "version": 1})
                if len(rows) == 5000:
                    conn.execute(insert(Invoice), rows)
                    rows = []
            if rows:
                conn.execute(insert(Invoice), rows)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    finally:
        engine.dispose()
    return partner_id


def timed_passes(url: str) -> list[dict]:
    os.environ["DATABASE_URL"] = url
    from app import create_app
    from extensions import db
    from services.automation import run_pass

    app = create_app()
    figures = []
    with app.app_context():
        open_invoices = db.session.execute(text("SELECT COUNT(*) FROM invoices WHERE status = 'open'")).scalar()
        for moment in (AT - timedelta(days=1), AT, AT):
            started, cpu = time.perf_counter(), time.process_time()
            counts = run_pass(moment)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            db.session.remove()
            figures.append({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "open_invoices": open_invoices,
                            "reminders": counts.queued.get("reminders", 0),
                            "emails": counts.emails.get("reminders", 0), "recorded": dict(counts.recorded)})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--database-url",
                        help="an empty PostgreSQL database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        started = time.perf_counter()
        seed(url, args.customers, args.invoices)
        seeded = round(time.perf_counter() - started, 1)
        passes = timed_passes(url)
    print(json.dumps({"database": url.split(":", 1)[0], "seed_seconds": seeded, "at": AT.isoformat(),
                      "cold_start_the_day_before": passes[0], "the_days_pass": passes[1],
                      "the_same_moment_again": passes[2]}, indent=2))


if __name__ == "__main__":
    main()
