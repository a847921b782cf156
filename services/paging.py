"""Keyset pagination: each page costs the same however deep, given an index on the key.

The cursor is the key of the row a page starts after (or ends before), in the page's own
order; there is no OFFSET and no count of what lies before the cursor.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, tuple_

from extensions import db


@dataclass
class Page:
    rows: list[Any]
    has_next: bool  # rows follow the last one
    has_prev: bool  # rows come before the first one


def _beyond(key: tuple, values: tuple, *, greater: bool):
    if len(key) == 1:
        return key[0] > values[0] if greater else key[0] < values[0]
    return tuple_(*key) > tuple_(*values) if greater else tuple_(*key) < tuple_(*values)


def _fetch(query: Select, columns: bool) -> list:
    """A select of one entity gives its objects; of columns, rows (a list of shown columns)."""
    if columns:
        db.session.flush()  # what the ORM's execution would do first (autoflush); nothing, usually
        return db.session.connection().execute(query).all()
    result = db.session.execute(query)
    return result.scalars().all() if len(query.column_descriptions) == 1 else result.all()


def keyset_page(query: Select, key: tuple, *, size: int, after: tuple | None = None,
                before: tuple | None = None, descending: bool = False, columns: bool = False) -> Page:
    """One page of `query` ordered by the columns of `key` (ascending, or descending).

    after: the key of the row the page starts after; before: of the row it ends before
    (values, or SQL expressions such as a subquery reading the key of a row named by id).
    columns: the query selects columns only (no entity): its rows are read on the session's
    connection, without the ORM's execution (which costs a list page more than its query)."""
    forward = [column.desc() if descending else column for column in key]
    if before is not None:
        backward = [column if descending else column.desc() for column in key]
        backward_query = query.where(_beyond(key, before, greater=descending)).order_by(*backward)
        rows = _fetch(backward_query.limit(size + 1), columns)
        return Page(list(reversed(rows[:size])), has_next=True, has_prev=len(rows) > size)
    if after is not None:
        query = query.where(_beyond(key, after, greater=not descending))
    rows = _fetch(query.order_by(*forward).limit(size + 1), columns)
    return Page(list(rows[:size]), has_next=len(rows) > size, has_prev=after is not None)
