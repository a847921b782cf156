"""Pooled connections: no ping at every checkout, only after a connection sat idle; on
PostgreSQL, reads outside a transaction and each unit of work one transaction."""

from contextlib import contextmanager

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import extensions
from conftest import csrf_token
from extensions import db
from models import Partner
from unit_of_work import read_outside_transactions, unit_of_work


@pytest.fixture
def pooled(app):
    """The app's engine with one connection in its pool, and that connection's backend pid."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a SQLite file never disconnects: no ping")
        db.engine.dispose()
        with db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        yield db.engine, pid
        db.engine.dispose()


def _terminate(engine, pid: int) -> None:
    """End that connection's backend from another connection, as a database restart would."""
    admin = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_that_sat_idle_is_pinged_and_replaced_if_dead(pooled, monkeypatch):
    engine, pid = pooled
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)
    _terminate(engine, pid)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_a_connection_just_returned_is_not_pinged(pooled, monkeypatch):
    engine, pid = pooled
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 3600.0)
    _terminate(engine, pid)
    # No ping: the dead connection is handed out, its first statement fails, and the pool
    # is invalidated, so the next checkout is a new connection (one request's error).
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_the_ping_leaves_no_transaction_open(pooled, monkeypatch):
    engine, pid = pooled
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
        assert dbapi.autocommit is False


# -- reads outside transactions (PostgreSQL) -----------------------------------------

@pytest.fixture
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite reads in its own way")


@contextmanager
def transaction_states(app):
    """For each statement run inside the block: (statement, autocommit, in a transaction)."""
    seen = []

    def record(conn, _cursor, statement, *_rest):
        dbapi = conn.connection.dbapi_connection
        seen.append((statement, dbapi.autocommit, dbapi.info.transaction_status != TransactionStatus.IDLE))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", record)


def test_a_read_only_request_opens_no_transaction(app, postgresql, signed_in):
    signed_in.get("/customers")
    token = csrf_token(signed_in.get("/customers/new").text)
    with transaction_states(app) as seen:
        assert signed_in.get("/customers?q=harbor").status_code == 200
        assert signed_in.get("/customers/new").status_code == 200
        # A blur check is a POST, and reads only: its duplicate lookup sends no BEGIN either.
        check = signed_in.post("/customers/new/check/company", data={"csrf_token": token, "company": "Harbor"},
                               headers={"HX-Request": "true", "HX-Request-Type": "partial"})
        assert check.status_code == 200
    assert any("company_key" in statement for statement, _, _ in seen)
    assert seen and all(autocommit and not in_transaction for _, autocommit, in_transaction in seen), seen


def test_a_unit_of_work_is_one_transaction_and_the_pool_gets_its_connections_back_as_they_were(
        app, postgresql, signed_in):
    token = csrf_token(signed_in.get("/customers").text)
    with transaction_states(app) as seen:
        assert signed_in.post("/logout", data={"csrf_token": token}).status_code == 303
    writes = [s for s in seen if s[0].startswith("UPDATE staff_users")]
    assert writes and all(not autocommit for _, autocommit, _ in writes)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False


def test_a_write_outside_a_unit_of_work_is_refused_before_it_is_made(app, postgresql):
    with app.test_request_context():
        read_outside_transactions()
        db.session.add(Partner(name="outside"))
        with pytest.raises(RuntimeError, match="outside a unit of work"):
            db.session.flush()
        db.session.rollback()
        with unit_of_work():
            db.session.add(Partner(name="inside"))
        assert db.session.scalar(select(Partner.name)) == "inside"
