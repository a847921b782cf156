"""One unit of work per request (or per item of a CLI job): the one place that commits.

Services add, change and flush rows but never commit or roll back. A view wraps what it
changes in `with unit_of_work():` (or decorates itself with `@unit_of_work()`): at the end
the work is flushed and committed once, and only if something was written; any error rolls
all of it back. An IntegrityError met there (a concurrent request took the same EIN,
email or tag name first) becomes the DomainError registered for its constraint
(services.errors.raised_for), or a Conflict: the one place that turns a constraint into a
field's message.

On PostgreSQL a request reads outside any transaction (read_outside_transactions); a unit of
work still opens one for everything it does.
"""

import logging
import re
from contextlib import ContextDecorator

from flask import g
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import Pool

from extensions import SESSION_INFO, db
from services.errors import CONSTRAINTS, Conflict, DomainError

log = logging.getLogger(__name__)

_DEPTH = "unit_of_work_depth"
_WROTE = "unit_of_work_wrote"
_READS_OUTSIDE = "reads_outside_transactions"  # db.session.info: this request's reads autocommit
_READ_OUTSIDE_MARK = {_READS_OUTSIDE: True}
_FLIPPED = "autocommit_for_reads"  # a pooled connection's info: set back at checkin


def read_outside_transactions() -> None:
    """A request's hook on PostgreSQL (create_app adds it for no other database): what it runs
    outside a unit of work runs without a transaction (psycopg in autocommit), so a read-only
    request sends no BEGIN and no ROLLBACK, and psycopg's prepared statements (which a
    ROLLBACK throws away) survive from one request to the next. A unit of work still opens
    one transaction for all it does. The mark goes on the request's session when it is made
    (extensions.Session), or on the one the app context already has."""
    setattr(g, SESSION_INFO, _READ_OUTSIDE_MARK)
    if db.session.registry.has():
        db.session.info[_READS_OUTSIDE] = True


def read_first(query, params: dict):
    """The first row of a read-only Core query (plain columns, no ORM entities).

    Inside the request's transaction when it has one (a unit of work, or a session that has
    read already), so the read sees what that transaction wrote. Otherwise on a pooled
    connection of its own, outside any transaction, without making an ORM Session: a blur
    check's duplicate lookup is then one statement, with no session to open and close around
    it (about a fifth of the check's CPU) and, on PostgreSQL, no BEGIN or ROLLBACK."""
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().execute(query, params).first()
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Else psycopg would BEGIN, and the connection's return ROLLBACK. SQLite's driver
            # begins nothing for a read, and SQLAlchemy would undo AUTOCOMMIT with a PRAGMA.
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(query, params).first()


def _dbapi_connection():
    return db.session.connection().connection.dbapi_connection


class unit_of_work(ContextDecorator):  # noqa: N801 - reads as a statement: `with unit_of_work():`
    """Commit once at the end if anything was written; roll back on any error.
    Nested units join the outermost one, which alone commits."""

    def __enter__(self):
        info = db.session.info
        info[_DEPTH] = info.get(_DEPTH, 0) + 1
        if info[_DEPTH] == 1:
            info[_WROTE] = False
            if info.get(_READS_OUTSIDE):
                # psycopg begins a transaction at the unit's first statement, as it always did.
                try:
                    _dbapi_connection().autocommit = False
                except BaseException:  # the database is down: no unit was entered
                    info[_DEPTH] = 0
                    raise
        return self

    def __exit__(self, kind, error, _traceback) -> bool:
        session = db.session
        if session.info[_DEPTH] > 1:
            session.info[_DEPTH] -= 1
            return False  # the outer unit decides
        try:
            return self._end(session, error)
        finally:
            session.info[_DEPTH] = 0  # the last flush and the commit were still inside the unit

    @staticmethod
    def _end(session, error) -> bool:
        try:
            if error is None:
                session.flush()  # a constraint met here is still this unit's to report
                if session.info.pop(_WROTE, False):
                    session.commit()
                else:
                    session.rollback()  # only read: nothing to commit
                return False
        except (IntegrityError, StaleDataError) as met:
            session.rollback()
            translated = domain_error(met)
            if translated is met:
                raise
            raise translated from met
        except BaseException:
            session.rollback()
            raise
        session.rollback()
        if isinstance(error, IntegrityError | StaleDataError) and (translated := domain_error(error)) is not error:
            raise translated from error
        return False


@event.listens_for(Session, "after_begin")
def _reads_autocommit(session, _transaction, connection) -> None:
    if session.info.get(_READS_OUTSIDE) and not session.info.get(_DEPTH):
        pooled = connection.connection
        pooled.dbapi_connection.autocommit = True
        pooled.info[_FLIPPED] = True


@event.listens_for(Pool, "checkin")
def _transactions_again(dbapi_connection, record) -> None:
    # The pool hands connections out as it made them (the CLI and the worker use transactions).
    if record.info.pop(_FLIPPED, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


def _outside_a_unit(session) -> bool:
    return bool(session.info.get(_READS_OUTSIDE)) and not session.info.get(_DEPTH)


@event.listens_for(Session, "before_flush")
def _refuse_flush_outside_a_unit(session, _context, _instances) -> None:
    # Outside a unit of work a write would commit at once, alone: it must be inside one.
    if _outside_a_unit(session) and (session.new or session.deleted or any(
            session.is_modified(obj) for obj in session.dirty)):
        raise RuntimeError("a write outside a unit of work")


@event.listens_for(Session, "after_flush")
def _flushed(session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        if _outside_a_unit(state.session):
            raise RuntimeError("a write outside a unit of work")
        state.session.info[_WROTE] = True


# SQLite names the columns, not the constraint: "UNIQUE constraint failed: tags.partner_id, tags.name_key".
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def constraint_name(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)  # psycopg: PostgreSQL says which constraint
    if diag is not None:
        return diag.constraint_name
    match = _SQLITE_UNIQUE.match(str(error.orig))
    if not match:
        return None
    columns = [part.strip().split(".") for part in match.group(1).split(",")]
    table = db.metadata.tables.get(columns[0][0])
    if table is None:
        return None
    wanted = [column for _table, column in columns]
    unique = [c for c in table.constraints if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)]
    for constraint in (*unique, *(index for index in table.indexes if index.unique)):
        if [c.name for c in constraint.columns] == wanted:
            return constraint.name
    return None


def _is_race(error: IntegrityError) -> bool:
    """A unique or foreign-key violation: two requests met; anything else is a bug."""
    code = getattr(error.orig, "sqlstate", None)
    if code is not None:
        return code in ("23505", "23503")
    return str(error.orig).startswith(("UNIQUE constraint failed", "FOREIGN KEY constraint failed"))


def domain_error(error: IntegrityError | StaleDataError) -> DomainError | IntegrityError:
    """The error registered for the violated constraint; a Conflict for another unique or
    foreign-key violation, or for a row whose version another request moved on (or deleted)
    between this request's read and its write; anything else (NOT NULL, CHECK) is a bug and
    stays itself."""
    if isinstance(error, StaleDataError):
        log.warning("concurrent write refused by a version check: %s", error)
        return Conflict()
    name = constraint_name(error)
    if name in CONSTRAINTS:
        return CONSTRAINTS[name]()
    if _is_race(error):
        log.warning("concurrent write refused by %s: %s", name or "a constraint", error.orig)
        return Conflict()
    return error
