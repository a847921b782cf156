"""The benchmark's data: the schema, one partner with N customers (and their users and tags)
and M invoices.

Customers and users come from the app's own `flask seed-demo` (timed: it must
make 100,000 in under a minute), then invoices from `seed-demo --invoices M` (timed
on its own); tags are added here with plain SQL, when the schema has them.
"""

import subprocess
import sys
import time

from sqlalchemy import create_engine, inspect, text

from benchmarks.server import ROOT

# (name, color, every how many customers carry it). seed-demo itself puts VIP (1 in 50),
# Managed (1 in 4) and Net 30 (1 in 3) on its customers.
TAGS = [("Overdue", "red", 10), ("Onboarding", "teal", 25)]


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)


def prepare(env: dict, customers: int, invoices: int, email: str, password: str) -> dict:
    """Build the schema and the data; how long seeding took."""
    flask(env, "db", "upgrade")
    started = time.perf_counter()
    flask(env, "seed-demo", "--customers", str(customers), "--invoices", "0", "--email", email, "--password", password)
    seed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    flask(env, "seed-demo", "--customers", "0", "--invoices", str(invoices), "--email", email, "--password", password)
    invoice_seed_seconds = time.perf_counter() - started
    engine = create_engine(sqlalchemy_url(env["DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            partner_id = conn.execute(text(
                "SELECT partner_id FROM staff_users WHERE email_key = :e"), {"e": email.lower()}).scalar_one()
            tagged = _add_tags(conn, partner_id) if inspect(conn).has_table("customer_tags") else False
        # Fresh planner statistics (and PostgreSQL's GIN pending list merged), as autovacuum
        # would leave them a minute after a bulk load; on SQLite, as PRAGMA optimize would.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    finally:
        engine.dispose()
    return {"seed_seconds": round(seed_seconds, 1), "invoice_seed_seconds": round(invoice_seed_seconds, 1),
            "partner_id": partner_id, "tags": tagged}


def _add_tags(conn, partner_id: int) -> bool:
    for name, color, every in TAGS:
        tag_id = conn.execute(text(
            "INSERT INTO tags (partner_id, name, name_key, color, created_at)"
            " VALUES (:p, :name, :key, :color, CURRENT_TIMESTAMP) RETURNING id"),
            {"p": partner_id, "name": name, "key": name.lower(), "color": color}).scalar_one()
        # Spread by a hash of the id: "id % n" would follow the demo data's own cycles
        # (company names repeat every 500 customers) and bunch a tag in a few letters.
        conn.execute(text(
            "INSERT INTO customer_tags (partner_id, customer_id, tag_id, company_sort, archived)"
            " SELECT partner_id, id, :t, company_sort, archived_at IS NOT NULL FROM customers WHERE partner_id = :p"
            " AND (id * 2654435761 + :t) % 4294967296 % :every = 0"),
            {"t": tag_id, "p": partner_id, "every": every})
    return True


def page_cursors(url: str, partner_id: int) -> dict:
    """The id that starts a page 80% of the way down the list (a deep page)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM customers WHERE partner_id = :p"),
                                 {"p": partner_id}).scalar_one()
            invoices = conn.execute(text("SELECT count(*) FROM invoices WHERE partner_id = :p"),
                                    {"p": partner_id}).scalar_one()
            deep = conn.execute(text(
                "SELECT id FROM customers WHERE partner_id = :p ORDER BY company_sort, id LIMIT 1 OFFSET :n"),
                {"p": partner_id, "n": total * 4 // 5}).scalar_one()
    finally:
        engine.dispose()
    return {"total": total, "deep_after": deep, "invoices": invoices}


def make_partners(env: dict, count: int, password: str) -> dict[str, tuple[str, int]]:
    """count partners, each with one login; label -> (email, staff id)."""
    from models.login import hash_password

    password_hash = hash_password(password)  # what StaffUser.set_password stores
    engine = create_engine(sqlalchemy_url(env["DATABASE_URL"]))
    partners = {}
    try:
        with engine.begin() as conn:
            for n in range(1, count + 1):
                label = f"P{n:02d}"
                email = f"owner@partner{n:02d}.example.com"
                partner_id = conn.execute(text(
                    "INSERT INTO partners (name, created_at) VALUES (:n, CURRENT_TIMESTAMP) RETURNING id"),
                    {"n": f"Partner {label}"}).scalar_one()
                staff_id = conn.execute(text(
                    "INSERT INTO staff_users (partner_id, name, email, email_key, password_hash, created_at)"
                    " VALUES (:p, :name, :e, :e, :h, CURRENT_TIMESTAMP) RETURNING id"),
                    {"p": partner_id, "name": f"Owner {label}", "e": email, "h": password_hash}).scalar_one()
                partners[label] = (email, staff_id)
    finally:
        engine.dispose()
    return partners
