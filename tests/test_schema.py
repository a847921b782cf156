"""The schema: built by the migrations on an empty database, with the rules that must never break."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Customer, CustomerUser, Partner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_db_upgrade_builds_the_schema_on_an_empty_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "test", "SECRET_KEY": "x" * 32}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"partners", "staff_users", "customers", "customer_users", "alembic_version"} <= tables


def _customer(partner, **values):
    base = dict(company="Acme", address="1 Main", city="Austin", state="TX", postal_code="78701", country="US")
    return Customer(partner_id=partner.id, **{**base, **values})


@pytest.fixture
def two_partners(app):
    with app.app_context():
        a, b = Partner(name="A"), Partner(name="B")
        db.session.add_all([a, b])
        db.session.commit()
        yield a, b
        db.session.rollback()


def test_one_ein_per_partner(app, two_partners):
    a, b = two_partners
    db.session.add_all([_customer(a, ein="12-3456789"), _customer(b, ein="12-3456789"),
                        _customer(a, ein=None), _customer(a, ein=None)])
    db.session.commit()
    db.session.add(_customer(a, company="Other", ein="12-3456789"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_one_email_per_customer_ignoring_unicode_case(app, two_partners):
    a, _ = two_partners
    customer = _customer(a)
    customer.users = [CustomerUser(name="Élodie", email="élodie@example.com")]
    db.session.add(customer)
    db.session.commit()
    db.session.add(CustomerUser(customer_id=customer.id, name="Élodie", email="ÉLODIE@example.com"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_required_columns_are_not_null_in_the_schema(app, two_partners):
    a, _ = two_partners
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            "INSERT INTO customers (partner_id, company, address, city, state, postal_code, country,"
            " created_at, company_sort, company_key, search_text)"
            " VALUES (:p, NULL, 'x', 'x', 'TX', '78701', 'US', CURRENT_TIMESTAMP, '', '', '')"), {"p": a.id})


def test_only_supported_countries_fit_in_the_schema(app, two_partners):
    a, _ = two_partners
    db.session.add(_customer(a, country="MX"))
    with pytest.raises(IntegrityError):
        db.session.commit()
