"""Many rows at once, for seeds: PostgreSQL takes them by COPY, SQLite as the driver's own
executemany (SQLAlchemy's per-row parameter handling would cost several times as much).
In the caller's transaction (the session's, or the connection given)."""

from collections.abc import Sequence
from contextlib import contextmanager

from sqlalchemy import Table
from sqlalchemy.schema import AddConstraint, DropConstraint

from extensions import db


def insert_rows(table: Table, columns: Sequence[str], rows: Sequence[tuple], connection=None) -> None:
    """Insert `rows` (tuples of Python values in `columns`' order) into `table`."""
    if not rows:
        return
    connection = connection or db.session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    # The columns' own conversions (dates, exact decimals as text), as SQLAlchemy would apply them.
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    if any(convert):
        rows = [tuple(f(v) if f else v for f, v in zip(convert, row, strict=True)) for row in rows]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})",  # noqa: S608 - names from code
        rows,
    )


def new_ids(table: Table, count: int, connection=None) -> list[int]:
    """`count` primary keys for rows about to be inserted with them: from the table's own
    sequence on PostgreSQL; on SQLite past the largest id (the caller's transaction must
    already hold the write lock: have written something)."""
    connection = connection or db.session.connection()
    if connection.dialect.name == "postgresql":
        return list(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {int(count)})"  # noqa: S608
        ).scalars())
    start = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()  # noqa: S608
    return list(range(start + 1, start + count + 1))


@contextmanager
def foreign_keys_checked_once(*tables: Table):
    """Around many inserts into `tables` in one transaction (the seed). On PostgreSQL their
    foreign keys are dropped and added back before the transaction ends: checked once, as one
    join over the whole table, rather than row by row. Row by row was two thirds of the word
    index's load time, and for customer_tags it grew with every batch (the check's plan, made
    before the new customers had statistics: 24 s of 100,000 customers' seed). The tables are
    locked until the transaction ends; on an error the rollback brings the keys back as they were."""
    connection = db.session.connection()
    keys = [key for table in tables for key in table.foreign_key_constraints] \
        if connection.dialect.name == "postgresql" else []
    for key in keys:
        connection.execute(DropConstraint(key))
    yield
    for key in keys:
        connection.execute(AddConstraint(key))
