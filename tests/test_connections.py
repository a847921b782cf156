"""Pooled connections: no ping at every checkout, only after a connection sat idle."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import extensions
from extensions import db


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
