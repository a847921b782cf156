"""The Add-customer flow over HTTP, as a partner does it: details, users, Create Customer.

A partner who gets an error page tries the same step again a moment later,
as a person would (reload, or resubmit the form); everything the server said
is counted, so the checks afterwards can compare it with the database.
"""

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from benchmarks.browser import Browser, Response, hidden

CUSTOMER_PATH = re.compile(r"/customers/(\d+)$")
ERROR_PAGE_TEXT = "Something went wrong"
STACK_TRACE_SIGNS = ("Traceback", 'File "', "sqlalchemy.", "psycopg.", "OperationalError")
RETRY_PAUSE = 0.25


def details(label: str, n: int) -> dict:
    return {
        "company": f"Bench {label} Customer {n}",
        "legal_name": f"Bench {label} Customer {n} LLC",
        "ein": "",
        "country": "US",
        "address": f"{100 + n % 900} Main St",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
    }


def users(label: str, n: int) -> dict:
    return {
        "users-0-name": "Ava Patel", "users-0-email": f"ava.{n}@{label.lower()}.example.com",
        "users-1-name": "Liam Chen", "users-1-email": f"liam.{n}@{label.lower()}.example.com",
    }


class StepFailed(Exception):
    """The server answered something a working app never answers here."""


@dataclass
class Tally:
    """What one partner saw."""

    confirmed: list[int] = field(default_factory=list)  # "Customer created" seen on the customer's page
    landed_unconfirmed: list[int] = field(default_factory=list)  # created, but the message was lost
    statuses: Counter = field(default_factory=Counter)
    error_pages: int = 0  # 500s that showed the app's own error page
    error_times: list[float] = field(default_factory=list)  # time.monotonic() of each 500
    failures: list[str] = field(default_factory=list)  # anything else unexpected
    connection_errors: int = 0

    def merge(self, other: "Tally") -> None:
        self.confirmed += other.confirmed
        self.landed_unconfirmed += other.landed_unconfirmed
        self.statuses.update(other.statuses)
        self.error_pages += other.error_pages
        self.error_times += other.error_times
        self.failures += other.failures
        self.connection_errors += other.connection_errors


class Partner:
    """One signed-in partner creating customers one after another."""

    def __init__(self, browser: Browser, label: str, tally: Tally | None = None):
        self.browser = browser
        self.label = label
        self.tally = tally or Tally()
        self.page: Response | None = None

    def _send(self, method: str, path: str, form: dict | None, expect: int, deadline: float) -> Response:
        """One step, tried again after a 500 or a dropped connection until the deadline."""
        while True:
            try:
                response = self.browser.request(method, path, form=form)
            except OSError as error:
                self.tally.connection_errors += 1
                self.tally.failures.append(f"{method} {path}: {error!r}")
                response = None
            if response is not None:
                self.tally.statuses[response.status] += 1
                if response.status == expect:
                    return response
                if response.status != 500:
                    raise StepFailed(f"{method} {path}: {response.status} (expected {expect})")
                self._judge_error_page(method, path, response)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path}: still failing at the deadline")
            time.sleep(RETRY_PAUSE)

    def _judge_error_page(self, method: str, path: str, response: Response) -> None:
        self.tally.error_times.append(time.monotonic())
        text = response.text
        if ERROR_PAGE_TEXT in text and not any(sign in text for sign in STACK_TRACE_SIGNS):
            self.tally.error_pages += 1
        else:
            self.tally.failures.append(f"{method} {path}: a 500 without the app's error page: {text[:200]!r}")

    def create(self, n: int, deadline: float) -> int | None:
        """Run the whole flow once; the new customer's id, or None if it never finished."""
        try:
            page = self._send("GET", "/customers/new", None, 200, deadline)
            tokens = {"csrf_token": hidden(page.text, "csrf_token"), "draft_token": hidden(page.text, "draft_token")}
            step = self._send("POST", "/customers/new", {**tokens, **details(self.label, n), "action": "continue"},
                              303, deadline)
            if not step.location.endswith("/customers/new/users"):
                raise StepFailed(f"Continue went to {step.location!r}")
            self._send("GET", "/customers/new/users", None, 200, deadline)
            done = self._send("POST", "/customers/new/users", {**tokens, **users(self.label, n), "action": "create"},
                              303, deadline)
            match = CUSTOMER_PATH.search(done.location)
            if not match:
                raise StepFailed(f"Create Customer went to {done.location!r}")
            customer_id = int(match.group(1))
            landing = self._send("GET", urlsplit(done.location).path, None, 200, deadline)
            if "Customer created" in landing.text:
                self.tally.confirmed.append(customer_id)
            else:
                self.tally.landed_unconfirmed.append(customer_id)
            return customer_id
        except (StepFailed, ValueError) as error:
            self.tally.failures.append(f"{self.label} #{n}: {error}")
        except TimeoutError:
            pass  # the run ended while this customer was half-way: nothing may be half-written
        return None

    def run_until(self, stop_at: float, grace: float = 20.0) -> Tally:
        """Create customers until stop_at; a flow under way may finish within the grace."""
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            self.create(n, deadline=stop_at + grace)
        return self.tally
