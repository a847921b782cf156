"""Browser fixtures: the app served on 127.0.0.1, Chromium driven by Playwright.

Debian's Chromium at /usr/bin/chromium (playwright install cannot download here).
With CI=true a missing browser fails the run; elsewhere the browser tests skip, saying why.
"""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from customer_helpers import make_tag, tag_customers
from test_customers import add_customers
from werkzeug.serving import make_server

from conftest import PASSWORD
from e2e import pages
from e2e.axe import assert_no_axe_violations  # noqa: F401 - the browser tests import it from here

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}
TAGS = ["Managed", "Net 30", "VIP", "Overdue", "Onboarding", "Quarterly billing", "Priority support", "Legacy"]
PLACES = [{}, {"city": "Montréal", "state": "QC", "postal_code": "H2Y 1C6", "country": "CA"},
          {"city": "San Francisco", "state": "CA", "postal_code": "94103"}]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def missing_tool(message: str) -> None:
    """Skip, saying why; with CI=true, fail: CI must run every check."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true needs every check to run", pytrace=False)
    pytest.skip(message)


@contextmanager
def serving(app):
    """The app served on 127.0.0.1 at a port of its own, in a thread: its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served for the whole run."""
    with serving(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing_tool(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("Playwright for Python is not installed (pip install -e '.[dev]')")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, live_server, *, viewport=DESKTOP, **options):
    """A page in a context of its own, watching for script errors and CSP refusals."""
    context = browser.new_context(base_url=live_server, viewport=viewport, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def console(message):
        # A 4xx answer to htmx logs "Failed to load resource": that is the app speaking, not a fault.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(f"console: {message.text}")

    page.on("console", console)
    page.problems = problems
    return context, page


@pytest.fixture
def page(browser, live_server):
    context, page = new_page(browser, live_server)
    yield page
    context.close()
    assert page.problems == [], "\n".join(page.problems)


@pytest.fixture
def user_page(browser, live_server):
    """A customer's user's own browser: not the partner's, whose page is signed_in_page."""
    context, page = new_page(browser, live_server)
    yield page
    context.close()
    assert page.problems == [], "\n".join(page.problems)


@pytest.fixture
def page_no_js(browser, live_server):
    context, page = new_page(browser, live_server, java_script_enabled=False)
    yield page
    context.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")  # the landing page
    page.goto("/customers")  # where the dashboard's tests start


@pytest.fixture
def signed_in_page(page, partner):
    sign_in(page, partner.email)
    return page


@pytest.fixture
def signed_in_page_no_js(page_no_js, partner):
    sign_in(page_no_js, partner.email)
    return page_no_js


@pytest.fixture
def hundred(app, partner):
    """100 customers with long names and places; the first ten carry all 8 tags."""
    ids = add_customers(app, partner.partner_id, [
        {"company": f"{name} {n:03d}", "legal_name": f"{name} {n:03d} Holdings Incorporated", **PLACES[n % 3]}
        for n, name in enumerate(["Harbor Architects and Engineers", "Cedar Logistics", "Blue Dental"] * 34)
        if n < 100
    ])
    for index, name in enumerate(TAGS):
        tag_customers(app, partner, make_tag(app, partner, name), ids[:10] + ids[10 + index::9])
    return ids


@pytest.fixture
def site(app, partner, hundred):
    """Every page's data: the hundred customers and 8 tags, and what pages.build_site adds."""
    return pages.build_site(app, partner, hundred)
