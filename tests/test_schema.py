"""The schema: built by the migrations on an empty database, with the rules that must never break.

The first tests run `flask --app app db upgrade` as a deployment would, on an empty SQLite
file and, when TEST_DATABASE_URL names a PostgreSQL server, on a new database of their own
there (made and dropped by the test; the run's own database is never touched).
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extensions import db
from models import Customer, CustomerUser, Partner

ROOT = Path(__file__).parent.parent
MIGRATIONS = ROOT / "migrations" / "versions"


def flask(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "SECRET_KEY": "x" * 32}
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def _postgres_database():
    """A new, empty database on the test run's PostgreSQL server; dropped afterwards."""
    url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"{url.database}_schema_{secrets.token_hex(4)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "", 1)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = ["sqlite"]
if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
    BACKENDS.append("postgresql")


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """The URL of an empty database, as a deployment would give it in DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def migrated(empty_database):
    """The empty database after `flask --app app db upgrade`: (url, engine)."""
    result = flask("db", "upgrade", database_url=empty_database)
    assert result.returncode == 0, result.stderr
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    yield empty_database, engine
    engine.dispose()


def test_db_upgrade_builds_every_table_of_the_models_on_an_empty_database(migrated):
    url, engine = migrated
    tables = set(inspect(engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert {"partners", "staff_users", "customers", "customer_users", "alembic_version"} <= tables
    # The models and the migrations agree: autogenerate would find nothing to add.
    check = flask("db", "check", database_url=url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    # Running it again is harmless.
    again = flask("db", "upgrade", database_url=url)
    assert again.returncode == 0, again.stderr


def test_upgrading_drops_the_server_side_sessions_and_search_text_and_keeps_the_customers(empty_database):
    assert flask("db", "upgrade", "0006", database_url=empty_database).returncode == 0
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE web_sessions (id INTEGER PRIMARY KEY, session_id VARCHAR(255))"))
        conn.execute(text("INSERT INTO partners (id, name, created_at) VALUES (1, 'Acme', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO customers (id, partner_id, company, address, city, state, postal_code, country,"
            " created_at, company_sort, company_key, search_text, version, archived_at)"
            " VALUES (7, 1, 'Harbor', 'x', 'x', 'TX', '78701', 'US', '2026-01-01', 'harbor', 'harbor', 'harbor',"
            " 1, '2026-02-01')"))
    result = flask("db", "upgrade", database_url=empty_database)
    assert result.returncode == 0, result.stderr
    schema = inspect(engine)
    assert "web_sessions" not in schema.get_table_names() and "customer_drafts" in schema.get_table_names()
    assert "search_text" not in {c["name"] for c in schema.get_columns("customers")}
    assert "ix_customers_partner_archived_sort" in {i["name"] for i in schema.get_indexes("customers")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, company FROM customers")).all() == [(7, "Harbor")]
    engine.dispose()
    assert flask("db", "downgrade", "0006", database_url=empty_database).returncode == 0


def _customer(partner, **values):
    base = dict(company="Acme", address="1 Main", city="Austin", state="TX", postal_code="78701", country="US")
    return Customer(partner_id=partner.id, **{**base, **values})


def test_the_rules_hold_in_a_database_built_by_db_upgrade(migrated):
    _, engine = migrated
    with Session(engine) as session:
        a, b = Partner(name="A"), Partner(name="B")
        session.add_all([a, b])
        session.commit()
        # One EIN per partner; another partner may have the same one; no EIN never collides.
        session.add_all([_customer(a, ein="12-3456789"), _customer(b, ein="12-3456789"),
                         _customer(a, ein=None), _customer(a, ein=None)])
        session.commit()
        session.add(_customer(a, company="Other", ein="12-3456789"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # One email per customer, whatever its Unicode case.
        customer = _customer(a, company="Émile")
        customer.users = [CustomerUser(name="Élodie", email="élodie@example.com")]
        session.add(customer)
        session.commit()
        session.add(CustomerUser(customer_id=customer.id, name="Élodie", email="ÉLODIE@EXAMPLE.COM"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # The company is required by the schema itself.
        with pytest.raises(IntegrityError):
            session.execute(text(
                "INSERT INTO customers (partner_id, company, address, city, state, postal_code, country,"
                " created_at, company_sort, company_key)"
                " VALUES (:p, NULL, 'x', 'x', 'TX', '78701', 'US', CURRENT_TIMESTAMP, '', '')"), {"p": a.id})
        session.rollback()


@pytest.fixture
def two_partners(app):
    with app.app_context():
        a, b = Partner(name="A"), Partner(name="B")
        db.session.add_all([a, b])
        db.session.commit()
        yield a, b
        db.session.rollback()


def test_one_ein_per_partner_where_set(app, two_partners):
    a, b = two_partners
    db.session.add_all([_customer(a, ein="12-3456789"), _customer(b, ein="12-3456789"),
                        _customer(a, ein=None), _customer(a, ein=None)])
    db.session.commit()
    db.session.add(_customer(a, company="Other", ein="12-3456789"))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.parametrize(("first", "second"), [
    ("élodie@example.com", "ÉLODIE@example.com"),
    ("strasse@example.com", "STRAßE@example.com"),  # ß folds to ss
    ("ann@example.com", "ANN@EXAMPLE.COM"),
])
def test_one_email_per_customer_ignoring_unicode_case(app, two_partners, first, second):
    a, _ = two_partners
    customer = _customer(a)
    customer.users = [CustomerUser(name="One", email=first)]
    db.session.add(customer)
    db.session.commit()
    db.session.add(CustomerUser(customer_id=customer.id, name="Two", email=second))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_the_same_email_may_be_a_user_of_two_customers(app, two_partners):
    a, b = two_partners
    for partner in (a, a, b):
        customer = _customer(partner)
        customer.users = [CustomerUser(name="Ann", email="ann@example.com")]
        db.session.add(customer)
    db.session.commit()


@pytest.mark.parametrize("column", ["company", "address", "city", "state", "postal_code", "country"])
def test_required_columns_are_not_null_in_the_schema(app, two_partners, column):
    a, _ = two_partners
    values = {"company": "'Acme'", "address": "'x'", "city": "'x'", "state": "'TX'", "postal_code": "'78701'",
              "country": "'US'", column: "NULL"}
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            f"INSERT INTO customers (partner_id, {', '.join(values)}, created_at, company_sort,"  # noqa: S608
            f" company_key) VALUES (:p, {', '.join(values.values())}, CURRENT_TIMESTAMP, '', '')"), {"p": a.id})


def test_a_customer_belongs_to_a_partner_that_exists(app, two_partners):
    db.session.add(Customer(partner_id=999999, company="Orphan", address="1 Main", city="Austin", state="TX",
                            postal_code="78701", country="US"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_only_supported_countries_fit_in_the_schema(app, two_partners):
    a, _ = two_partners
    db.session.add(_customer(a, country="MX"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_upgrading_merges_the_portal_logins_of_one_email_keeping_the_newest_password(empty_database):
    assert flask("db", "upgrade", "0003", database_url=empty_database).returncode == 0
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    customer = ("INSERT INTO customers (id, partner_id, company, address, city, state, postal_code, country,"
                " created_at, company_sort, company_key, search_text, version)"
                " VALUES (:id, :p, :c, 'x', 'x', 'TX', '78701', 'US', '2026-01-01', :c, :c, :c, 1)")
    account = ("INSERT INTO portal_accounts (id, partner_id, email, email_key, password_hash, created_at,"
               " last_login_at) VALUES (:id, :p, :e, :k, :h, '2026-01-01', :l)")
    user = ("INSERT INTO customer_users (id, customer_id, name, email, email_key, created_at, portal_account_id)"
            " VALUES (:id, :c, 'Ann', :e, :k, '2026-01-01', :a)")
    token = ("INSERT INTO access_tokens (id, account_id, purpose, token_hash, created_at, expires_at, used_at)"
             " VALUES (:id, :a, 'invite', :h, '2026-01-01', '2026-12-31', :u)")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO partners (id, name, created_at) VALUES (1, 'A', '2026-01-01'),"
                          " (2, 'B', '2026-01-01')"))
        for id_, partner in ((1, 1), (2, 2), (3, 1)):
            conn.execute(text(customer), {"id": id_, "p": partner, "c": f"Co {id_}"})
        conn.execute(text(account), [
            # A's login: set first, signed in last.
            {"id": 1, "p": 1, "e": "ann@example.com", "k": "ann@example.com", "h": "old", "l": "2026-03-01"},
            # B's login of the same email: its password was set later.
            {"id": 2, "p": 2, "e": "Ann@Example.com", "k": "ann@example.com", "h": "new", "l": "2026-02-01"},
            {"id": 3, "p": 1, "e": "zoe@example.com", "k": "zoe@example.com", "h": None, "l": None},
        ])
        conn.execute(text(user), [
            {"id": 1, "c": 1, "e": "ann@example.com", "k": "ann@example.com", "a": 1},
            {"id": 2, "c": 2, "e": "Ann@Example.com", "k": "ann@example.com", "a": 2},
            {"id": 3, "c": 3, "e": "zoe@example.com", "k": "zoe@example.com", "a": 3},
        ])
        conn.execute(text(token), [
            {"id": 1, "a": 1, "h": "t1", "u": "2026-01-02"},  # A's password was set
            {"id": 2, "a": 2, "h": "t2", "u": "2026-01-05"},  # B's, later
            {"id": 3, "a": 1, "h": "t3", "u": None},  # A's newer invitation, unused
            {"id": 4, "a": 3, "h": "t4", "u": None},  # Zoe's, unused
        ])
    try:
        result = flask("db", "upgrade", database_url=empty_database)
        assert result.returncode == 0, result.stderr
        with engine.connect() as conn:
            accounts = conn.execute(text(
                "SELECT id, email_key, password_hash, last_login_at, session_epoch FROM portal_accounts ORDER BY id"
            )).all()
            assert [(a.id, a.email_key, a.password_hash, a.session_epoch) for a in accounts] == [
                (2, "ann@example.com", "new", 0), (3, "zoe@example.com", None, 0)]
            assert str(accounts[0].last_login_at).startswith("2026-03-01")  # the newest sign-in stays
            users = conn.execute(text(
                "SELECT id, portal_account_id, portal_first_seen_at FROM customer_users ORDER BY id")).all()
            assert [(u.id, u.portal_account_id) for u in users] == [(1, 2), (2, 2), (3, 3)]
            assert users[0].portal_first_seen_at is not None and users[2].portal_first_seen_at is None
            tokens = conn.execute(text("SELECT id, account_id, used_at FROM access_tokens ORDER BY id")).all()
            assert [t.account_id for t in tokens] == [2, 2, 2, 3]
            # A's unused link would now set the merged login's password: it no longer works.
            assert tokens[2].used_at is not None and tokens[3].used_at is None
    finally:
        engine.dispose()
