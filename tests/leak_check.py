"""No card or account number in a page, a log line or the database, ever.

Every test card and account number the processor's test data knows (and the real-looking card
the sandbox refuses) is looked for, with any spaces or dashes between digits dropped:
- in every response the app sends during the run (an after_request hook on the test app),
- in every log record emitted during the run (a handler on the root logger),
- in every row of every table at the end of each test that made a processor token (the
  clean_database fixture dumps the database before it empties it).
A find is kept with where it was; the run fails at its end if there is one (conftest's
pytest_sessionfinish), and test_no_card_numbers checks the checker.
"""

import logging
import re

from sqlalchemy import func, select, text

from payments.sandbox import TEST_ACCOUNTS, TEST_CARDS

NUMBERS = frozenset({*TEST_CARDS, *TEST_ACCOUNTS, "4111111111111111"})
_SEPARATORS = re.compile(r"[\s\-\u00a0]")
FOUND: list[str] = []


def numbers_in(content: str) -> set[str]:
    squeezed = _SEPARATORS.sub("", content)
    return {number for number in NUMBERS if number in squeezed}


def check(where: str, content: str) -> None:
    for number in numbers_in(content):
        FOUND.append(f"{number[:4]}…{number[-4:]} in {where}")


SEEN = {"responses": 0}


def watch_responses(app) -> None:
    @app.after_request
    def _scan(response):
        SEEN["responses"] += 1
        if not response.direct_passthrough and (response.mimetype or "").startswith(("text/", "application/json")):
            check(f"the response to {_request_line()}", response.get_data(as_text=True))
        return response


def _request_line() -> str:
    from flask import request

    return f"{request.method} {request.path}"


class LogWatcher(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        check(f"a log record of {record.name}", self.format(record))


def dump_database(db) -> None:
    """Every row of every table, as text, when the test made a processor token."""
    with db.engine.connect() as conn:
        if not conn.execute(select(func.count()).select_from(text("sandbox_tokens"))).scalar():
            return
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                check(f"the table {table.name}", " ".join(str(value) for value in row))
