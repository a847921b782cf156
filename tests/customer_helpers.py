"""Helpers shared by the customer page, tags and history tests: data made the way the app makes it."""

import re
import secrets
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from conftest import PASSWORD, csrf_token
from extensions import db
from keys import email_key
from models import Customer, CustomerUser, HistoryEntry, StaffUser, Tag, customer_tags
from services import tags as tag_service
from services.customers import create_customer
from unit_of_work import unit_of_work

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
DETAILS = {
    "company": "Northwind Dental",
    "legal_name": "Northwind Dental LLC",
    "ein": "91-1144442",
    "country": "US",
    "address": "100 Main St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


def make_customer(app, staff, users=(("Ann Lee", "ann@example.com"),), **details) -> int:
    """A customer made by Create Customer, with its users. Returns its id."""
    with app.app_context(), unit_of_work():
        customer = create_customer(
            partner_id=staff.partner_id, staff_id=staff.id, details={**DETAILS, **details},
            users=[{"name": n, "email": e} for n, e in users], draft_token=secrets.token_hex(16),
        )
        return customer.id


def make_draft_invoice(app, staff, customer_id) -> int:
    """A draft invoice of one line ($100.00, due in 30 days), as the invoice form makes it."""
    from services import invoices

    values = invoices.DraftValues(date.today(), date.today() + timedelta(days=30), "",
                                  [invoices.LineValues("Support", Decimal("1"), 10000)])
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        return invoices.create_draft(customer, values, staff_id=staff.id).id


def make_tag(app, staff, name, color="blue", description=None) -> int:
    with app.app_context():
        with unit_of_work():
            tag = tag_service.create_tag(
                staff.partner_id, staff_id=staff.id, name=name, color=color, description=description
            )
        return tag.id


def tag_customers(app, staff, tag_id, customer_ids) -> None:
    with app.app_context(), unit_of_work():
        tag = db.session.get(Tag, tag_id)
        tag_service.add_tag_to_customers(tag, list(customer_ids), staff_id=staff.id)


def second_staff(app, staff, email="dana@acme-it.example.com") -> StaffUser:
    """Another login of the same partner."""
    with app.app_context():
        other = StaffUser(partner_id=staff.partner_id, name="Dana Park", email=email, email_key=email_key(email))
        other.set_password(PASSWORD)
        db.session.add(other)
        db.session.commit()
        db.session.refresh(other)
        db.session.expunge(other)
        return other


def load_customer(app, customer_id) -> Customer:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        customer.users  # noqa: B018 - load them before the session closes
        customer.tags  # noqa: B018
        db.session.expunge_all()
        return customer


def user_emails(app, customer_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(CustomerUser.email).where(CustomerUser.customer_id == customer_id).order_by(CustomerUser.id)
        ))


def tag_names_on(app, customer_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(Tag.name).join(customer_tags, customer_tags.c.tag_id == Tag.id)
            .where(customer_tags.c.customer_id == customer_id).order_by(Tag.name_key)
        ))


def history_of(app, customer_id=None, partner_id=None) -> list[tuple[str, str | None, list]]:
    """(action, subject, changes) of a customer's history, or of a partner's tag log, oldest first."""
    with app.app_context():
        query = select(HistoryEntry).order_by(HistoryEntry.id)
        if customer_id is not None:
            query = query.where(HistoryEntry.customer_id == customer_id)
        else:
            query = query.where(HistoryEntry.partner_id == partner_id, HistoryEntry.customer_id.is_(None))
        return [(e.action, e.subject, e.changes) for e in db.session.scalars(query)]


def token(client, url) -> str:
    return csrf_token(client.get(url).text)


def post(client, url, data=None, *, page=None, headers=None, follow=False):
    """POST as the browser would, with the CSRF token of the page it came from."""
    form = {"csrf_token": token(client, page or url), **(data or {})}
    return client.post(url, data=form, headers=headers, follow_redirects=follow)


def htmx_post(client, url, data=None, *, page):
    """POST as htmx would: the token in the X-CSRFToken header, a fragment wanted."""
    headers = {**PARTIAL, "X-CSRFToken": token(client, page)}
    return client.post(url, data=data or {}, headers=headers)


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<div class="flash[^"]*">(.*?)</div>', html, re.S)]


def make_billing_things(app, staff, customer_id) -> dict:
    """What billing routes take an id of, made for the staff's partner: a saved card, a payment of
    an open invoice, a webhook endpoint with one delivery queued, an import upload, an auto-pay rule."""
    from payment_helpers import card

    from models import AutoPayRule, ImportUpload, WebhookDelivery, WebhookEndpoint
    from services import invoices, payments
    from services.events import emit

    method_id = card(app, customer_id, staff=staff)
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        invoice = invoices.create_draft(customer, invoices.DraftValues(
            date.today(), date.today() + timedelta(days=30), "", [invoices.LineValues("Support", Decimal("1"), 10000)]),
            staff_id=staff.id)
        invoices.finalize(invoice, today=date.today())
        payment = payments.record_offline(invoice, 2500, date.today(), "check", "1001", staff_id=staff.id)
        endpoint = WebhookEndpoint(partner_id=staff.partner_id, url="https://hooks.example.com/in",
                                   secret_salt=secrets.token_hex(16))
        upload = ImportUpload(partner_id=staff.partner_id, staff_id=staff.id, kind="customers",
                              filename="customers.csv", content=b"company\r\nAcme\r\n")
        rule = AutoPayRule(partner_id=staff.partner_id, scope="all", offset_days=0, max_retries=2)
        db.session.add_all([endpoint, upload, rule])
        db.session.flush()
        event = emit(staff.partner_id, "customer.updated", customer)
        delivery_id = db.session.scalar(select(WebhookDelivery.id).where(
            WebhookDelivery.event_id == event.id, WebhookDelivery.endpoint_id == endpoint.id))
        return {"method_id": method_id, "payment_id": payment.id, "endpoint_id": endpoint.id,
                "delivery_id": delivery_id, "upload_id": upload.id, "rule_id": rule.id}
