"""Extensions, created here unbound and bound to the app in create_app."""

import sqlite3
import time

from flask import g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, Insert, MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

from signed_session import RememberedTokens

# Named constraints, so migrations can drop and alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


SESSION_INFO = "session_info"  # in flask.g: what a session made from then on starts with in its info


class Session(FlaskSession):
    """db.session's class. A session starts with g.session_info in its info when a request's
    hook has put one there (unit_of_work marks a request's reads on PostgreSQL this way), so
    the hook need not make a session for every request: one that reads no rows (a blur check
    reads on a connection of its own) makes none."""

    def __init__(self, db, **kwargs):
        super().__init__(db, **kwargs)
        self.info.update(g.get(SESSION_INFO, ()))


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
login_manager = LoginManager()
csrf = RememberedTokens()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_migrations(app) -> None:
    """Flask-Migrate for `flask db` and the tests' schema. Imported only then: it brings
    Alembic, 11 MB of a web worker's memory that no request uses."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, render_as_batch=True, compare_type=True)


def insert_or_else(model) -> Insert:
    """An INSERT of `model` with the backend's ON CONFLICT clauses (both backends have them)."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite_dialect}[db.session.get_bind().dialect.name]
    return dialect.insert(model)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys unchecked unless each connection asks.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


# A connection back from the pool is pinged only if it sat unused this long: under load
# connections never idle, so a request pays no round trip for it; after a quiet spell (or a
# database restart) the first checkout finds a dead connection before the request does.
IDLE_PING_SECONDS = 10.0


def ping_connections_that_sat_idle(engine: Engine) -> None:
    """Instead of pool_pre_ping (a round trip at every checkout)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        # Outside any transaction (psycopg would otherwise begin one): nothing to roll back.
        autocommit = getattr(dbapi_connection, "autocommit", None)
        try:
            if autocommit is False:
                dbapi_connection.autocommit = True
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            if autocommit is False:
                dbapi_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another (a new one).
            raise DisconnectionError("the connection died while it sat idle") from error
