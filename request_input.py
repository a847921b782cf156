"""What a request carries, read one way: integers, `next` targets, and a guard against bytes no
form can hold. Views never call int() on request data, nor redirect to a raw `next`.

- Integers: ASCII digits only (str.isdigit() also passes "²" and "١٢"), within the column's
  range. In a URL the `int` converter (replaced app-wide) answers 404 otherwise; in a query or
  a form, int_value() answers None and the view treats that as absent or as a 400.
- A query string or form holding a NUL byte or bytes that are not UTF-8 is a 400 before any
  view runs: no database is asked to store or compare them.
- `next`: only a path on this host, judged as a browser would read it.
"""

import re
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import FieldList

# PostgreSQL's integer (int4): every id, version and cursor column is one.
INT4_MAX = 2_147_483_647
_DIGITS = re.compile(r"[0-9]{1,20}")  # ASCII only; longer is out of any range we use
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL


def int_value(raw: str | None, *, low: int = 0, high: int = INT4_MAX) -> int | None:
    """raw as an integer in low..high, or None when it is absent, not ASCII digits or out of range."""
    if raw is None or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def int_or_400(raw: str | None, *, low: int = 0, high: int = INT4_MAX) -> int:
    """int_value() for a value the request must carry well-formed: anything else is a 400."""
    value = int_value(raw, low=low, high=high)
    if value is None:
        abort(400)
    return value


class IdConverter(IntegerConverter):
    """`<int:...>` in every rule: ASCII digits within int4's range (or the rule's own min and
    max), else no match (404) instead of a number the database cannot compare."""

    regex = _DIGITS.pattern

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = INT4_MAX,  # noqa: A002
                 signed: bool = False) -> None:
        if signed:
            raise ValueError("ids are never negative")
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)

    def to_python(self, value: str) -> int:
        number = int_value(value, low=self.min, high=self.max)
        if number is None:
            raise ValidationError()
        return number


class RowList(FieldList):
    """A FieldList whose row numbers (users-N-email) are read by int_value: WTForms' own
    reading calls int() on anything str.isdigit() passes, and "users-²-email" was a 500."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = int_value(key[offset:].split(self._field_separator, 1)[0])
                if index is not None:
                    yield index


def safe_next(target: str | None, default: str) -> str:
    """target if a browser would read it as a path on this host, else default.

    Browsers drop tabs and newlines anywhere in a URL, strip leading and trailing spaces and
    controls, and read a backslash as a slash: "/\\t/evil.com" and "/\\\\evil.com" both open
    //evil.com, another host. So any control character or space refuses the target, and the
    path is judged with backslashes read as slashes. A space at either end is refused too."""
    if not target or _CONTROL.search(target) or target != target.strip():
        return default
    normalized = target.replace("\\", "/")
    parts = urlsplit(normalized)
    if not normalized.startswith("/") or normalized.startswith("//") or parts.scheme or parts.netloc:
        return default
    return normalized


def _bad_bytes(raw: bytes) -> bool:
    """A urlencoded string whose decoded bytes hold a NUL or are not UTF-8."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return True
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def refuse_unreadable_input() -> None:
    """A 400 for a NUL byte or invalid UTF-8 in the query string or the form, keys included.
    (Werkzeug would hand them on: a NUL to the database, bad bytes re-quoted as "%FF".)"""
    if _bad_bytes(request.query_string):
        abort(400)
    if request.mimetype == "application/x-www-form-urlencoded":
        # Cached: the form is parsed from these same bytes afterwards.
        if _bad_bytes(request.get_data(cache=True)):
            abort(400)
    elif request.mimetype == "multipart/form-data" and any(
        # Werkzeug decodes parts with errors="replace": U+FFFD marks bytes that were not UTF-8.
        "\x00" in text or "\ufffd" in text for item in request.form.items(multi=True) for text in item
    ):
        abort(400)


def install_request_input(app: Flask) -> None:
    """Before the blueprints and the other extensions: the converter must be there when rules
    are added, and the guard must run before anything reads the request."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_input)
