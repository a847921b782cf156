"""The CSV import in Chromium: a dry run, its report, Import, the invoices sample, and a large
file's progress bar that polls while the worker runs it and stops by itself when it is done."""

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from e2e.conftest import DESKTOP, PHONE, assert_no_axe_violations
from e2e.test_dashboard import screenshot_dir
from extensions import db
from models import Customer, Invoice
from services import imports

ROWS = [
    "Northwind Dental,Northwind Dental LLC,91-1144442,100 Main St,Austin,TX,78701,US,C-1,Ann Lee <ann@example.com>",
    "Harbor Vets,,,12 Wharf Rd,Halifax,NS,B3H 1A1,CA,C-2,Chloé Martin <chloe@example.com>",
    "Bad Zip,,,1 Elm St,Austin,TX,9999,US,C-3,Bo Li <bo@example.com>",
]
HEADER = "company,legal_name,ein,address,city,state,postal_code,country,external_id,users"


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def _customer_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Customer.id)))


def test_a_dry_run_then_import(app, signed_in_page, tmp_path, tmp_path_factory):
    page = signed_in_page
    page.click("nav >> text=Import")
    expect(page).to_have_url(re.compile(r"/import$"))
    expect(page.locator("a[href*='samples/customers.csv']")).to_be_visible()
    assert_no_axe_violations(page)
    page.set_input_files("#file", str(_csv(tmp_path)))
    page.click("button[value=dry-run]")
    expect(page.locator("[data-count=new]")).to_have_text("2")
    expect(page.locator("[data-count=invalid]")).to_have_text("1")
    expect(page.locator(".import-errors")).to_contain_text("Line 4: postal_code:")
    assert _customer_count(app) == 0
    assert_no_axe_violations(page)
    shots = screenshot_dir(tmp_path_factory)
    page.screenshot(path=str(shots / "import-report-desktop.png"), full_page=True)
    page.click("button[value=import]")
    expect(page.locator("h1")).to_contain_text("Import:")
    expect(page.locator("[data-count=new]")).to_have_text("2")
    assert _customer_count(app) == 2


SAMPLES = Path(__file__).resolve().parents[2] / "static" / "samples"


def _invoice_lines(app) -> list[int]:
    with app.app_context():
        return [len(invoice.lines) for invoice in db.session.scalars(select(Invoice).order_by(Invoice.id))]


def _upload(page, kind: str, path: Path) -> None:
    page.goto("/import")
    page.select_option("#kind", kind)
    page.set_input_files("#file", str(path))
    page.click("button[value=dry-run]")


def test_the_invoices_sample_imports_through_the_page(app, browser, live_server, partner, tmp_path_factory):
    from e2e.conftest import new_page, sign_in

    shots = screenshot_dir(tmp_path_factory)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = new_page(browser, live_server, viewport=viewport)
        sign_in(page, partner.email)
        if size == "desktop":  # the sample's customers first
            _upload(page, "customers", SAMPLES / "customers.csv")
            page.click("button[value=import]")
            expect(page.locator("[data-count=new]")).to_have_text("2")
        page.goto("/import")
        expect(page.locator("a[href*='samples/invoices.csv']")).to_be_visible()
        assert_no_axe_violations(page)
        page.screenshot(path=str(shots / f"import-invoices-page-{size}.png"), full_page=True)
        _upload(page, "invoices", SAMPLES / "invoices.csv")
        first_run = size == "desktop"
        expect(page.locator("[data-count=new]")).to_have_text("8" if first_run else "0")
        expect(page.locator("[data-count=unchanged]")).to_have_text("0" if first_run else "8")
        expect(page.locator("[data-count=invalid]")).to_have_text("0")
        expect(page.locator("#column-0")).to_have_value("external_id")
        assert _invoice_lines(app) == ([] if first_run else [3, 2, 3])
        assert_no_axe_violations(page)
        page.screenshot(path=str(shots / f"import-invoices-report-{size}.png"), full_page=True)
        page.click("button[value=import]")
        expect(page.locator("h1")).to_contain_text("Import:")
        expect(page.locator("[data-count=new]")).to_have_text("8" if first_run else "0")
        assert _invoice_lines(app) == [3, 2, 3]
        assert_no_axe_violations(page)
        context.close()
        assert page.problems == [], "\n".join(page.problems)


def test_a_large_file_shows_a_progress_bar_that_stops_polling_when_done(app, browser, live_server, partner,
                                                                        monkeypatch, tmp_path, tmp_path_factory):
    from e2e.conftest import new_page, sign_in

    monkeypatch.setattr(imports, "BACKGROUND_ROWS", 1)
    shots = screenshot_dir(tmp_path_factory)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = new_page(browser, live_server, viewport=viewport)
        sign_in(page, partner.email)
        polls = []
        page.on("request", lambda request, polls=polls: "/progress" in request.url and polls.append(request.url))
        page.goto("/import")
        page.set_input_files("#file", str(_csv(tmp_path)))
        page.click("button[value=dry-run]")
        expect(page.locator("progress#import-bar")).to_be_visible()
        expect(page.locator("#import-progress")).to_contain_text("Checking 0 of 3 rows")
        assert_no_axe_violations(page)
        page.screenshot(path=str(shots / f"import-progress-{size}.png"), full_page=True)
        page.wait_for_timeout(1500)
        assert polls, "the progress bar polls while the file waits"
        with app.app_context():
            assert imports.run_queued() == "Ran 1 import(s)."
        expect(page.locator("#import-progress")).to_contain_text("Dry run done.")
        settled = len(polls)
        page.wait_for_timeout(2500)
        assert len(polls) == settled, "polling stops once the run is done"
        page.click("text=See the report")
        expect(page.locator("[data-count=new]")).to_have_text("2")
        context.close()
        assert page.problems == [], "\n".join(page.problems)
