"""Row lists: a FieldList of row forms the partner adds to and removes from
(users now, invoice lines next). Rows are plain dicts of the row form's fields, so a
draft, a form's data and a service all take them as they are."""

from typing import NamedTuple

from wtforms import FieldList

from request_input import int_value


def field_names(entries: FieldList) -> list[str]:
    """The fields of one row, in their order (the first is focused when a row is added)."""
    row_form = entries.unbound_field.args[0]  # FieldList(FormField(RowForm))
    return list(row_form()._fields)


def blank_row(entries: FieldList) -> dict:
    return {name: "" for name in field_names(entries)}


def posted_rows(entries: FieldList) -> list[dict]:
    """The rows as typed (trimmed), kept even when not yet valid."""
    return [{name: (row.form[name].data or "").strip() for name in field_names(entries)}
            for row in entries.entries]


def focus_id(entries: FieldList, index: int) -> str:
    """The id of row `index`'s first input: where focus goes when the row appears."""
    return f"{entries.name}-{index}-{field_names(entries)[0]}"


class RemovedRow(NamedTuple):
    """What "remove-N" took away, to be said aloud: "Removed User 2, Ann Lee"."""

    number: int  # from 1, as the row's heading showed it
    label: str  # its first field (a user's name), maybe empty


def _removed_index(action: str) -> int | None:
    return int_value(action.removeprefix("remove-")) if action.startswith("remove-") else None


def removed_row(entries: FieldList, rows: list[dict], action: str) -> RemovedRow | None:
    """The row that "remove-N" takes from `rows`, or None for any other action."""
    index = _removed_index(action)
    if index is None or index >= len(rows):
        return None
    return RemovedRow(index + 1, rows[index].get(field_names(entries)[0], ""))


def change_rows(entries: FieldList, rows: list[dict], action: str) -> tuple[list[dict], str] | None:
    """"add" or "remove-N" on `rows` of the list `entries`: the new rows (renumbered by their
    place) and the id of the input to focus, or None when the action is neither. A list holds
    at most entries.max_entries rows and never ends with no row at all."""
    rows = list(rows)
    if action == "add":
        if entries.max_entries is None or len(rows) < entries.max_entries:
            rows.append(blank_row(entries))
        return rows, focus_id(entries, len(rows) - 1)
    index = _removed_index(action)
    if index is not None:
        if index < len(rows):
            rows.pop(index)
        rows = rows or [blank_row(entries)]
        return rows, focus_id(entries, min(index, len(rows) - 1))
    return None
