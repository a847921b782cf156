"""Every page of the app in the states a person sees, for the page-wide checks (the W3C
checker in test_html_valid.py, sideways scroll and axe-core in test_every_page.py).

A page is one entry (name, how to get there) in the list of the people who see it:
SIGNED_OUT (no login), PARTNER (signed in to the dashboard) or PORTAL (a customer's user).
"How to get there" is a path, formatted with the Site's names ("/customers/{customer}"),
or a function(page, site) that drives the browser to the state (and waits for it). Each
must work with and without JavaScript: the checker reads the server's HTML with
JavaScript off. FRAGMENTS are what htmx swaps in: function(page, site) -> HTML, read by
the checker only. VISITORS puts each list with its sign-in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from customer_helpers import make_customer, make_tag, tag_customers
from invoice_helpers import make_invoice
from playwright.sync_api import expect
from sqlalchemy import select
from test_portal import GOOD_PASSWORD, emails_to, link_in

from conftest import PASSWORD
from extensions import db
from models import Customer, CustomerUser, Invoice, Partner, PortalAccount
from services import customer_profile, staff_access
from services.invoice_sending import send_invoice
from services.invoices import partner_today
from unit_of_work import unit_of_work

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


@dataclass(frozen=True)
class Site:
    """What the pages show: the ids and links the entries' paths name."""

    app: object
    staff_id: int
    staff_email: str
    customer: int  # Northwind Dental: two users, tags, history
    user: int  # its first user
    tag: int
    archived: int  # an archived customer
    invitation: str  # an emailed set-password link not yet used
    used_invitation: str  # one that a newer invitation replaced (410)
    portal_email: str  # a portal login with a password and two companies
    staff_reset: str  # an emailed staff reset link not yet used
    invoice: int = 0  # an open invoice of `customer`, sent to its users and viewed in the portal
    webhook: int = 0  # an endpoint with a delivery that failed once
    upload: int = 0  # a large CSV import waiting for the worker (its progress bar)
    payment: int = 0  # a card payment of part of `invoice`, made in the portal


def build_site(app, staff, hundred: list[int]) -> Site:
    """Besides the hundred customers and 8 tags: a customer with users, tags and history,
    an archived one, and a portal user of two companies."""
    customer = make_customer(app, staff, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    first_link = link_in(app, emails_to(app, "ann@example.com")[-1])
    second = make_customer(app, staff, company="Harbor Vets", ein="91-1144443",
                           users=(("Ann Lee", "ann@example.com"),))  # Ann's first link is now used
    tag = make_tag(app, staff, "Key account", color="green", description="Our largest customers")
    tag_customers(app, staff, tag, [customer, second])
    with app.app_context():
        with unit_of_work():
            record = db.session.get(Customer, customer)
            customer_profile.update_profile(record, {"legal_name": "Northwind Dental Group LLC"},
                                            expected_version=record.version, staff_id=staff.id)
            customer_profile.archive_customer(db.session.get(Customer, hundred[-1]), staff_id=staff.id)
            account = db.session.scalar(select(PortalAccount).where(PortalAccount.email == "ann@example.com"))
            account.set_password(GOOD_PASSWORD)
        user = db.session.scalar(select(CustomerUser.id).where(CustomerUser.customer_id == customer)
                                 .order_by(CustomerUser.id))
        with unit_of_work():
            staff_access.request_reset(staff.email)
    return Site(app=app, staff_id=staff.id, staff_email=staff.email, customer=customer, user=user, tag=tag,
                archived=hundred[-1],
                invitation=link_in(app, emails_to(app, "bob@example.com")[-1]), used_invitation=first_link,
                portal_email="ann@example.com", staff_reset=link_in(app, emails_to(app, staff.email)[-1]),
                invoice=(invoice := _sent_invoice(app, staff, customer)), webhook=_webhook(app, staff, customer),
                upload=_queued_upload(app, staff), payment=_card_payment(app, customer, invoice))


def _sent_invoice(app, staff, customer: int) -> int:
    """An open invoice, due in 30 days, sent once (the invoice page's send history)."""
    with app.app_context():
        today = partner_today(db.session.get(Partner, staff.partner_id))
    made = make_invoice(app, customer, issue=today, due=today + timedelta(days=30))
    with app.test_request_context(), unit_of_work():
        invoice = db.session.get(Invoice, made.id)
        send_invoice(invoice, invoice.customer, db.session.get(Partner, staff.partner_id), staff_id=staff.id,
                     today=today)
    return made.id


def _card_payment(app, customer: int, invoice: int) -> int:
    """$100.00 of the invoice paid in the portal with a saved Visa (its payment's id)."""
    from payment_helpers import card, method_row

    from services import payments

    method = card(app, customer)
    with app.test_request_context():
        attempt = payments.pay(db.session.get(Customer, customer),
                               [payments.Share(db.session.get(Invoice, invoice), 10000)], method_row(method), "e2e")
        return attempt.payments[0].id


def _webhook(app, staff, customer: int) -> int:
    """An endpoint (saved directly: the tests' site has no public server) with one event whose
    first delivery attempt failed (the delivery log)."""
    from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
    from services.events import emit

    with app.app_context(), unit_of_work():
        endpoint = WebhookEndpoint(partner_id=staff.partner_id, url="https://hooks.example.com/receivables/events",
                                   secret_salt="e2e", enabled=True)
        db.session.add(endpoint)
        db.session.flush()
        emit(staff.partner_id, "customer.updated", db.session.get(Customer, customer))
        delivery = db.session.scalar(select(WebhookDelivery))
        delivery.attempts = 1
        db.session.add(WebhookAttempt(delivery_id=delivery.id, worker="e2e", ok=False, status_code=503,
                                      error="HTTP 503: Service Unavailable"))
        return endpoint.id


def _queued_upload(app, staff) -> int:
    from models import ImportUpload

    with app.app_context(), unit_of_work():
        upload = ImportUpload(partner_id=staff.partner_id, staff_id=staff.id, kind="customers",
                              filename="customers-from-our-old-spreadsheet.csv", content=b"company\n",
                              mapping="{}", state="queued", total_rows=2400, done_rows=800)
        db.session.add(upload)
        db.session.flush()
        return upload.id


def import_without_a_file(page, site: Site) -> None:
    page.goto("/import")
    press(page, "button[value=dry-run]", ".error-summary")


def import_report(page, site: Site) -> None:
    """The dry run of the sample file with a bad row added: counts, an invalid line, the columns."""
    import tempfile
    from pathlib import Path

    sample = (Path(__file__).resolve().parents[2] / "static/samples/customers.csv").read_text()
    path = Path(tempfile.mkdtemp()) / "customers.csv"
    path.write_text(sample + "Bad Zip,,,1 Elm St,Austin,TX,9999,US,C-9,Bo Li <bo@example.com>\n")
    page.goto("/import")
    page.set_input_files("#file", str(path))
    press(page, "button[value=dry-run]", "#import-counts")


def webhook_added(page, site: Site) -> None:
    """An endpoint just added: its signing secret, shown once."""
    page.goto("/settings/webhooks")
    page.fill("#url", "https://93.184.215.14/hooks")
    press(page, "main form button[type=submit]", "#signing-secret")


# -- signing in --------------------------------------------------------------------

def signing_in(path: str, email: str, password: str, lands_on: str) -> Callable:
    """A sign-in at `path` as the Site's `email` (the name of its field)."""

    def sign_in(page, site: Site) -> None:
        page.goto(path)
        page.fill("#email", getattr(site, email))
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lands_on)

    return sign_in


# -- states that take more than an address ------------------------------------------

def press(page, button: str, then: str) -> None:
    """Press a button (a selector) and wait until `then` (a selector) shows."""
    page.click(button)
    expect(page.locator(then).first).to_be_visible()


MAIN_FORM = "main form[novalidate]:not(.tag-add)"


def api_key_made(page, site: Site) -> None:
    page.goto("/settings/api-keys")
    page.fill("#name", "QuickBooks sync")
    press(page, f"{MAIN_FORM} button[type=submit]", "#new-key")


def auto_pay_edit(page, site: Site) -> None:
    """A rule's Edit page (a rule for every customer is added first when there is none)."""
    page.goto("/settings/auto-pay")
    if not page.locator("main a[href$='/edit']").count():
        page.check("input[name=scope][value=all]")
        press(page, f"{MAIN_FORM} button[type=submit]", "main a[href$='/edit']")
    page.locator("main a[href$='/edit']").first.click()
    expect(page.locator("h1")).to_have_text("Edit auto-pay rule")


def auto_pay_edit_with_errors(page, site: Site) -> None:
    auto_pay_edit(page, site)
    page.fill("#offset_days", "soon")
    press(page, f"{MAIN_FORM} button[type=submit]", ".error-summary")


def auto_pay_name_sent(page, site: Site) -> None:
    """The name typed and the form sent without a choice (as without JavaScript): its matches to choose from."""
    page.goto("/settings/auto-pay")
    page.check("input[name=scope][value=customer]")
    page.fill("#customer_id", "harb")
    press(page, f"{MAIN_FORM} button[type=submit]", ".error-summary")


def auto_pay_check(page, site: Site) -> str:
    page.goto("/settings/auto-pay")
    return post_fragment(page, "/settings/auto-pay/check/offset_days", {**form_values(page), "offset_days": "soon"})


def with_errors(path: str, button: str = f"{MAIN_FORM} button[type=submit]") -> Callable:
    """The page's main form sent with its text fields empty: the error summary and messages."""

    def setup(page, site: Site) -> None:
        page.goto(path.format(**vars(site)))
        for field in page.locator(f"{MAIN_FORM} input.input").all():
            field.fill("")
        press(page, button, ".error-summary")

    return setup


def fill_details(page) -> None:
    page.goto("/customers/new")
    page.fill("#company", "Blue Harbor Dental")
    page.fill("#address", "1 Main St")
    page.fill("#city", "Austin")
    page.select_option("#state", "TX")
    page.fill("#postal_code", "78701")


def step_2(page, site: Site) -> None:
    fill_details(page)
    press(page, "button[value=continue]", "#users-0-name")


def step_2_with_errors(page, site: Site) -> None:
    step_2(page, site)
    page.fill("#users-0-email", "not an email")
    press(page, ".actions button[value=create]", ".error-summary")


def step_2_with_two_users(page, site: Site) -> None:
    step_2(page, site)
    press(page, "button[value=add]", "#users-1-name")


def second_page(page, site: Site) -> None:
    page.goto("/customers")
    press(page, "a[rel=next]", "a[rel=prev]")


def edit_conflict(page, site: Site) -> None:
    """409: someone else saved the profile while the partner was editing it."""
    page.goto(f"/customers/{site.customer}/edit")
    page.fill("#city", "Dallas")
    with site.app.app_context(), unit_of_work():
        record = db.session.get(Customer, site.customer)
        customer_profile.update_profile(record, {"city": "Houston"}, expected_version=record.version,
                                        staff_id=site.staff_id)
    press(page, f"{MAIN_FORM} button[type=submit]", ".conflict, .error-summary, [role=alert]")


def tag_field_open(page, site: Site) -> None:
    """The customer's "+ Tag" opened (a <details>: no JavaScript needed)."""
    page.goto(f"/customers/{site.customer}")
    press(page, "#add-tag", "#tag-name")


def more_menu_open(page, site: Site) -> None:
    page.goto(f"/customers/{site.customer}")
    press(page, ".menu > summary", "#archive-customer")


def draft_invoice(page, site: Site) -> None:
    """A draft of two lines, saved: its page, with Edit, Finalize and Delete."""
    page.goto(f"/customers/{site.customer}/invoices/new")
    page.fill("#lines-0-description", "Managed services")
    page.fill("#lines-0-unit_price", "1,234.50")
    page.fill("#lines-0-tax_rate", "8.875")
    press(page, "button[value=add-line]", "#lines-1-description")
    page.fill("#lines-1-description", "On-site visit")
    page.fill("#lines-1-unit_price", "90")
    press(page, ".actions button[value=save]", "[data-status]")


def open_invoice(page, site: Site) -> None:
    draft_invoice(page, site)
    press(page, ".header-actions button[type=submit]", "[data-status=open]")


def portal_home(page, site: Site) -> None:
    page.goto("/portal/choose")
    press(page, "main form button", "h1")


def portal_pay(page, site: Site) -> None:
    page.goto(f"/portal/invoices/{site.invoice}")  # Northwind Dental's: the portal shows that company
    page.goto("/portal/pay")


def portal_pay_with_errors(page, site: Site) -> None:
    portal_pay(page, site)
    press(page, "button.button-primary[value=pay]", ".error-summary")  # not the hidden default button


def portal_invoices(page, site: Site) -> None:
    portal_home(page, site)
    page.goto("/portal/invoices")


def portal_payment_methods(page, site: Site) -> None:
    portal_home(page, site)
    page.goto("/portal/payment-methods")


SANDBOX_CARD = "/sandbox-processor/card?return_to=/portal/payment-methods"
SANDBOX_BANK = "/sandbox-processor/bank?return_to=/portal/payment-methods"


SIGNED_OUT = [
    ("Sign in", "/login"),
    ("Sign in with errors", with_errors("/login")),
    ("Forgot password", "/forgot-password"),
    ("Forgot password with errors", with_errors("/forgot-password")),
    ("Choose a new password", "{staff_reset}"),
    ("Choose a new password with errors", with_errors("{staff_reset}")),
    ("Reset link unknown (404)", "/reset/not-a-token"),
    ("Portal sign in", "/portal/login"),
    ("Portal sign in with errors", with_errors("/portal/login")),
    ("Portal forgot password", "/portal/forgot-password"),
    ("Portal forgot password with errors", with_errors("/portal/forgot-password")),
    ("Portal set password", "{invitation}"),
    ("Portal set password with errors", with_errors("{invitation}")),
    ("Portal link already used (410)", "{used_invitation}"),
    ("Portal link unknown (404)", "/portal/set-password/not-a-token"),
    ("Not found (404)", "/no-such-page"),
]

PARTNER = [
    ("Overview", "/overview"),
    ("Invoice, open and sent", "/invoices/{invoice}"),
    ("All Customers", "/customers"),
    ("All Customers, second page", second_page),
    ("All Customers, search", "/customers?q=harb"),
    ("All Customers, search without results", "/customers?q=nothing-matches"),
    ("All Customers, tag filter", "/customers?tag=Managed&tag=VIP&match=all"),
    ("All Customers, archived", "/customers?archived=1"),
    ("Add customer, step 1", "/customers/new"),
    ("Add customer, step 1 with errors", with_errors("/customers/new", "button[value=continue]")),
    ("Add customer, step 2", step_2),
    ("Add customer, step 2 with two users", step_2_with_two_users),
    ("Add customer, step 2 with errors", step_2_with_errors),
    ("Customer, Profile", "/customers/{customer}"),
    ("Customer, Users", "/customers/{customer}/users"),
    ("Customer, History", "/customers/{customer}/history"),
    ("Customer, edit profile", "/customers/{customer}/edit"),
    ("Customer, edit profile with errors", with_errors("/customers/{customer}/edit")),
    ("Customer, edit profile conflict (409)", edit_conflict),
    ("Customer, add users", "/customers/{customer}/users/new"),
    ("Customer, edit a user", "/customers/{customer}/users/{user}/edit"),
    ("Customer, remove a user", "/customers/{customer}/users/{user}/remove"),
    ("Customer, + Tag open", tag_field_open),
    ("Customer, More open", more_menu_open),
    ("Customer, archive confirmation", "/customers/{customer}/archive"),
    ("Customer, archived", "/customers/{archived}"),
    ("Tags", "/tags"),
    ("Tags, new", "/tags/new"),
    ("Tags, new with errors", with_errors("/tags/new")),
    ("Tags, edit", "/tags/{tag}/edit"),
    ("Tags, delete", "/tags/{tag}/delete"),
    ("Tags, history", "/tags/history"),
    ("Customer not found (404)", "/customers/999999"),
    ("Invoices", "/invoices"),
    ("Invoices, overdue", "/invoices?status=overdue"),
    ("Customer, Invoices", "/customers/{customer}/invoices"),
    ("New invoice", "/customers/{customer}/invoices/new"),
    ("New invoice with errors", with_errors("/customers/{customer}/invoices/new", ".actions button[value=save]")),
    ("Invoice, draft", draft_invoice),
    ("Invoice, open", open_invoice),
    ("Settings", "/settings"),
    ("Webhooks", "/settings/webhooks"),
    ("Webhooks, endpoint added", webhook_added),
    ("Webhooks with errors", with_errors("/settings/webhooks")),
    ("Webhooks, delivery log", "/settings/webhooks/{webhook}"),
    ("Reminders", "/settings/reminders"),
    ("Reminders with errors", with_errors("/settings/reminders")),
    ("Customer, Reminders", "/customers/{customer}/reminders"),
    ("Customer, Payment methods", "/customers/{customer}/payment-methods"),
    ("Invoice summaries", "/settings/summaries"),
    ("Invoice summaries with errors", with_errors("/settings/summaries")),
    ("Auto-pay", "/settings/auto-pay"),
    ("Auto-pay with errors", with_errors("/settings/auto-pay")),
    ("Auto-pay, a customer's name sent without choosing", auto_pay_name_sent),
    ("Auto-pay, edit a rule", auto_pay_edit),
    ("Auto-pay, edit a rule with errors", auto_pay_edit_with_errors),
    ("Invoices, a customer's name typed without JavaScript", "/invoices?customer_q=harb"),
    ("Invoices, one customer's", "/invoices?customer={customer}"),
    ("Import", "/import"),
    ("Import with errors", import_without_a_file),
    ("Import, dry run report", import_report),
    ("Import, in progress", "/import/{upload}"),
    ("API keys", "/settings/api-keys"),
    ("API keys with errors", with_errors("/settings/api-keys")),
    ("API keys, a new key shown once", api_key_made),
    ("Invoice, record a payment with errors",
     with_errors("/invoices/{invoice}", "form[action$='/payments'] button[type=submit]")),
    ("Payment, with its refund form", "/payments/{payment}"),
    ("Payment, refund with errors", with_errors("/payments/{payment}", "form[action$='/refund'] button")),
]

PORTAL = [
    ("Portal, choose a company", "/portal/choose"),
    ("Portal, home", portal_home),
    ("Portal, invoices", portal_invoices),
    ("Portal, an invoice", "/portal/invoices/{invoice}"),
    ("Portal, payment methods", portal_payment_methods),
    ("Sandbox processor, card form", SANDBOX_CARD),
    ("Sandbox processor, card form with errors", with_errors(SANDBOX_CARD)),
    ("Sandbox processor, US bank form", SANDBOX_BANK),
    ("Sandbox processor, Canadian bank form with errors", with_errors(SANDBOX_BANK + "&country=CA")),
    ("Portal, pay", portal_pay),
    ("Portal, pay with errors", portal_pay_with_errors),
    ("Portal, receipt", "/portal/payments/{payment}"),
]

def go(page, site: Site, where) -> None:
    """Bring the page to an entry's state."""
    if callable(where):
        where(page, site)
    else:
        page.goto(where.format(**vars(site)))


# -- htmx fragments ------------------------------------------------------------------

def form_values(page, form: str = "form.form") -> dict:
    return page.locator(form).evaluate("form => Object.fromEntries(new FormData(form))")


def post_fragment(page, url: str, data: dict) -> str:
    token = page.locator("input[name=csrf_token]").first.input_value()
    response = page.request.post(url, form=data, headers={**PARTIAL, "X-CSRFToken": token})
    return response.text()


def get_fragment(path: str) -> Callable:
    def fetch(page, site: Site) -> str:
        return page.request.get(path.format(**vars(site)), headers=PARTIAL).text()

    return fetch


def detail_check(page, site: Site) -> str:
    page.goto("/customers/new")
    return post_fragment(page, "/customers/new/check/postal_code",
                         {**form_values(page), "state": "TX", "postal_code": "10001"})


def user_check(page, site: Site) -> str:
    step_2(page, site)
    return post_fragment(page, "/customers/new/users/check/0/email",
                         {**form_values(page), "users-0-email": "not an email"})


def add_user_row(page, site: Site) -> str:
    step_2(page, site)
    return post_fragment(page, "/customers/new/users", {**form_values(page), "action": "add"})


def remove_user_row(page, site: Site) -> str:
    step_2_with_two_users(page, site)
    return post_fragment(page, "/customers/new/users", {**form_values(page), "action": "remove-1"})


def apply_missing_tag(page, site: Site) -> str:
    page.goto(f"/customers/{site.customer}")
    return post_fragment(page, f"/customers/{site.customer}/tags",
                         {**form_values(page, "form.tag-add"), "tag-name": ""})


def sandbox_card_check(page, site: Site) -> str:
    page.goto(SANDBOX_CARD)
    return post_fragment(page, "/sandbox-processor/card/check/number",
                         {**form_values(page), "number": "4242 4242 4242 4241"})


FRAGMENTS = [
    ("All Customers, search results", get_fragment("/customers?q=harb")),
    ("Customer, Users tab", get_fragment("/customers/{customer}/users")),
    ("Customer, tag suggestions", get_fragment("/customers/{customer}/tags/suggestions?tag-name=Ma")),
    ("Add customer, step 1 blur check", detail_check),
    ("Add customer, step 2 blur check", user_check),
    ("Add customer, step 2 add a user", add_user_row),
    ("Add customer, step 2 remove a user", remove_user_row),
    ("Customer, apply an empty tag", apply_missing_tag),
    ("Customer, archive confirmation", get_fragment("/customers/{customer}/archive")),
    ("Sandbox processor, card blur check", sandbox_card_check),
    ("Auto-pay, blur check", auto_pay_check),
    ("Customer picker, matches", get_fragment("/customers/pick?kind=auto-pay&customer_id_q=harb")),
    ("Customer picker, a filter's matches",
     get_fragment("/customers/pick?kind=invoices&customer_q=n&customer={customer}")),
]

# (who, how they sign in, their pages, the fragments htmx fetches for them)
VISITORS = [
    ("signed out", None, SIGNED_OUT, []),
    ("partner", signing_in("/login", "staff_email", PASSWORD, "**/overview"), PARTNER, FRAGMENTS),
    ("portal user", signing_in("/portal/login", "portal_email", GOOD_PASSWORD, "**/portal/choose"), PORTAL, []),
]
