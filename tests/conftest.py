"""Fixtures: one app and schema per run (built by the migrations), a clean database per test.

TEST_DATABASE_URL picks the database (PostgreSQL in CI's second pass);
by default each run gets a fresh SQLite file.
"""

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path

import leak_check
import pytest
from flask_migrate import upgrade
from sqlalchemy import event, text

from app import create_app
from extensions import db, init_migrations, limiter
from keys import email_key
from models import Partner, StaffUser

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("APP_ENV", "test")
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            if database_url.startswith("postgresql://") else database_url,
            "MAIL_OUTBOX_DIR": str(instance / "mail"),
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        _reset_schema()
        init_migrations(app)
        upgrade(directory=str(Path(__file__).parent.parent / "migrations"))
    leak_check.watch_responses(app)
    logging.getLogger().addHandler(leak_check.LogWatcher())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _reset_schema() -> None:
    """Start each run from an empty database, as a new deployment would."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def clean_database(app):
    yield
    with app.app_context():
        db.session.remove()
        leak_check.dump_database(db)
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    # The worker's cache of signed-in logins (sign_in.load_login): the next test's logins
    # may reuse these ids.
    app.extensions.pop("principals", None)
    limiter.reset()


def pytest_sessionfinish(session, exitstatus):
    """A card or account number seen anywhere during the run fails it (tests/leak_check.py)."""
    if leak_check.FOUND:
        session.config.get_terminal_writer().line(
            "Card or account numbers leaked:\n  " + "\n  ".join(sorted(set(leak_check.FOUND))), red=True)
        session.exitstatus = 1


@contextmanager
def statements(app):
    """The SQL statements run inside the block (a before_cursor_execute listener on the engine)."""
    seen = []
    with app.app_context():
        listener = lambda _conn, _cursor, statement, *_rest: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_partner(app, name: str, email: str) -> StaffUser:
    with app.app_context():
        partner = Partner(name=name)
        staff = StaffUser(partner=partner, name=name + " staff", email=email, email_key=email_key(email))
        staff.set_password(PASSWORD)
        db.session.add_all([partner, staff])
        db.session.commit()
        db.session.refresh(staff)
        db.session.expunge(staff)
        return staff


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no csrf_token"
    return match.group(1)


class Auth:
    """Signs a test client in as a partner's staff user."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )

    def token(self, url: str = "/customers") -> str:
        return csrf_token(self.client.get(url).text)


@pytest.fixture
def partner(app):
    return make_partner(app, "Acme IT", "owner@acme-it.example.com")


@pytest.fixture
def other_partner(app):
    return make_partner(app, "Rival MSP", "boss@rival.example.com")


@pytest.fixture
def signed_in(client, partner):
    """A client signed in as the partner's staff user."""
    response = Auth(client).login(partner.email)
    assert response.status_code == 303
    return client


@pytest.fixture(scope="session")
def api_base(tmp_path_factory):
    """A localstripe (a fake Stripe server) for the run, as tests/stripe_fakes.py starts it: its base URL."""
    from stripe_fakes import localstripe

    with localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log") as base:
        yield base


@pytest.fixture(scope="session")
def stripe_app(app, api_base):
    """The app on PAYMENT_GATEWAY=stripe, talking to the run's localstripe (tests/stripe_fakes.py)."""
    from stripe_fakes import make_stripe_app

    stripe_app = make_stripe_app(app, api_base)
    yield stripe_app
    with stripe_app.app_context():
        db.engine.dispose()


@pytest.fixture
def stripe_answers(stripe_app):
    """The stripe app's gateway on recorded responses: append the exchanges each step expects."""
    from stripe_fakes import Recorded

    from payments import _BUILT, gateway_for
    from payments.stripe_gateway import StripeGateway

    client = Recorded([])
    localstripes = gateway_for(stripe_app)  # the session's app: its gateway is put back after the test
    stripe_app.extensions[_BUILT]["stripe"] = StripeGateway(localstripes.settings, http_client=client)
    yield client
    stripe_app.extensions[_BUILT]["stripe"] = localstripes
    assert client.exchanges == [], "a recorded answer was never asked for"
