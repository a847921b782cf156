"""Events for the partner's webhooks, queued in the unit of work of the change that made them.

`emit(partner_id, "invoice.finalized", invoice)` stores the event with its JSON body fixed now
({"id", "type", "created", "data": {"object": …}}) and queues one delivery per enabled endpoint
of the partner; nothing is stored when the partner has none. It flushes and never commits: the
event goes out only if the change commits. The object's shape is OBJECTS' entry for its class.
"""

import json
import secrets
from collections.abc import Callable
from datetime import UTC

from extensions import db
from models import Customer, Invoice, Payment, PaymentMethod, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models._time import utcnow
from tenancy import scoped

TYPES = (
    "customer.created", "customer.updated",
    "invoice.finalized", "invoice.paid", "invoice.voided", "invoice.sent",
    "payment.succeeded", "payment.failed", "payment.refunded",
    "payment_method.created", "payment_method.archived",
)

def _when(value) -> int | None:
    return int(value.replace(tzinfo=UTC).timestamp()) if value else None

def customer_object(customer: Customer) -> dict:
    return {
        "id": customer.id, "object": "customer",
        **{name: getattr(customer, name) for name in
           ("company", "legal_name", "ein", "address", "city", "state", "postal_code", "country")},
        "source": getattr(customer, "source", None), "external_id": getattr(customer, "external_id", None),
        "archived": customer.archived_at is not None, "created": _when(customer.created_at),
        "users": [{"id": user.id, "name": user.name, "email": user.email} for user in customer.users],
    }

def invoice_object(invoice: Invoice) -> dict:
    return {
        "id": invoice.id, "object": "invoice", "customer": invoice.customer_id, "number": invoice.number,
        "status": invoice.status, "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
        "memo": invoice.memo, "subtotal": invoice.subtotal, "tax": invoice.tax, "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "source": getattr(invoice, "source", None), "external_id": getattr(invoice, "external_id", None),
        "lines": [{"description": line.description, "quantity": str(line.quantity), "unit_amount": line.unit_price,
                   "tax_rate": None if line.tax_rate is None else str(line.tax_rate), "amount": line.amount,
                   "tax": line.tax} for line in invoice.lines],
    }

def payment_object(payment: Payment) -> dict:
    return {
        "id": payment.id, "object": "payment", "customer": payment.customer_id, "invoice": payment.invoice_id,
        "amount": payment.amount, "surcharge": payment.surcharge, "refunded": payment.refunded,
        "currency": payment.currency, "kind": payment.kind, "method": payment.method_label,
        "payment_method": payment.payment_method_id, "status": payment.status,
        "failure_message": payment.failure_message or None, "paid_on": payment.paid_on.isoformat(),
    }


def payment_method_object(method: PaymentMethod) -> dict:
    """What identifies the method to a person (brand, last 4 digits), never its token or a number."""
    return {
        "id": method.id, "object": "payment_method", "customer": method.customer_id, "kind": method.kind,
        "brand": method.brand or None, "last4": method.last4, "exp_month": method.exp_month,
        "exp_year": method.exp_year, "country": method.country, "default": method.is_default,
        "archived": method.archived_at is not None,
    }


# A model class -> its event object.
OBJECTS: dict[type, Callable[[object], dict]] = {Customer: customer_object, Invoice: invoice_object,
                                                 Payment: payment_object, PaymentMethod: payment_method_object}

def emit(partner_id: int, type_: str, obj) -> WebhookEvent | None:
    """Queue `type_` about `obj` to each enabled endpoint of the partner, in the caller's unit of work."""
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    endpoint_ids = list(db.session.scalars(
        scoped(WebhookEndpoint, partner_id, WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    ))
    if not endpoint_ids:
        return None
    db.session.flush()  # the object's ids and defaults, as the change left them
    now = utcnow()
    public_id = "evt_" + secrets.token_hex(12)
    body = json.dumps({"id": public_id, "type": type_, "created": _when(now),
                       "data": {"object": OBJECTS[type(obj)](obj)}}, separators=(",", ":"), default=str)
    event = WebhookEvent(partner_id=partner_id, public_id=public_id, type=type_, body=body, created_at=now)
    db.session.add(event)
    db.session.flush()
    db.session.add_all(WebhookDelivery(endpoint_id=endpoint_id, event_id=event.id, next_attempt_at=now)
                       for endpoint_id in endpoint_ids)
    db.session.flush()
    return event

