"""A customer's saved payment methods: add one from the processor's token, archive, make default.

The app never sees a card or an account number: the processor's form hands it a token, and
`add_from_token` asks the gateway what the token stands for (payments.gateway.PaymentMethod:
brand, last four, expiry, holder, bank routing) and keeps that. Methods are never edited:
archive one and add it again.

The default: the first active method a customer adds becomes it; archiving the default makes
the newest remaining active method the default (none when none is left); make_default moves
it. At most one per customer, by a partial unique index too (a concurrent change is a Conflict).

Writes join the caller's unit of work and record the customer's history; a portal user's
change is recorded with the user's name in the entry's subject (history's actor is staff).
"""

from sqlalchemy import select

from extensions import db
from models import Customer, CustomerUser, PaymentMethod, StaffUser
from models._time import utcnow
from payments.gateway import GatewayError, PaymentGateway
from payments.rules import BRAND_NAMES
from services.errors import Conflict, DomainError, raised_for
from services.events import emit
from services.history import record
from tenancy import scoped


@raised_for("uq_payment_methods_one_default")
class DefaultChanged(Conflict):
    """Another request changed the customer's default method at the same time."""

    message = "The default payment method was changed at the same time. Reload and try again."


@raised_for("uq_payment_methods_token")
class AlreadyAdded(DomainError):
    """The token was saved already (the return from the processor's form was replayed)."""

    status = 409
    message = "That payment method was added already."


class TokenRefused(DomainError):
    """The processor does not know the token, or it is not one the app may use."""

    status = 422


def label(method: PaymentMethod) -> str:
    """"Visa •••• 4242", "Bank account •••• 6789": how pages and history name a method."""
    name = BRAND_NAMES.get(method.brand, method.kind_name) if method.is_card else method.kind_name
    return f"{name} •••• {method.last4}"


# -- reading ---------------------------------------------------------------------------------

def _customers_methods(customer: Customer | PaymentMethod):
    """A select of the customer's methods (of a method's customer)."""
    customer_id = customer.customer_id if isinstance(customer, PaymentMethod) else customer.id
    return scoped(PaymentMethod, customer.partner_id).where(PaymentMethod.customer_id == customer_id)


def active_methods(customer: Customer) -> list[PaymentMethod]:
    """The customer's active methods: the default first, then the newest first."""
    query = _customers_methods(customer).where(PaymentMethod.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(PaymentMethod.is_default.desc(), PaymentMethod.id.desc())))


def default_method(customer: Customer) -> PaymentMethod | None:
    return db.session.scalar(_customers_methods(customer).where(
        PaymentMethod.is_default, PaymentMethod.archived_at.is_(None)))


def find_method(customer: Customer, method_id: int, *, active: bool = True) -> PaymentMethod | None:
    """The customer's method with this id (an active one unless active=False), or None: another
    customer's or partner's method is not there."""
    query = _customers_methods(customer).where(PaymentMethod.id == method_id)
    if active:
        query = query.where(PaymentMethod.archived_at.is_(None))
    return db.session.scalar(query)


# -- writing ---------------------------------------------------------------------------------

def _who(staff_id: int | None, user: CustomerUser | None) -> str:
    return f", by {user.name} <{user.email}> in the portal" if user is not None and staff_id is None else ""


def _record(method: PaymentMethod, action: str, staff_id: int | None, user: CustomerUser | None) -> None:
    record(partner_id=method.partner_id, staff_id=staff_id, action=action, customer_id=method.customer_id,
           subject=label(method) + _who(staff_id, user))


def add_from_token(customer: Customer, token: str, gateway: PaymentGateway, *, staff_id: int | None = None,
                   user: CustomerUser | None = None) -> PaymentMethod:
    """Save the method the processor's token stands for, added by a partner's staff (staff_id)
    or by a customer's portal user (user). The first active method becomes the default."""
    if (staff_id is None) == (user is None):
        raise ValueError("a method is added by staff or by a portal user, one of them")
    try:
        details = gateway.payment_method(token)
    except GatewayError as error:
        raise TokenRefused(error.message) from None
    if details.kind == "bank_account" and details.country == "CA" and not details.mandate_accepted_at:
        raise TokenRefused("The pre-authorized debit agreement was not accepted. Add the account again.")
    existing = db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.token == token))
    if existing is not None:
        raise AlreadyAdded()
    mandate = {}
    if details.kind == "bank_account" and details.country == "CA":
        mandate = {"pad_accepted_by": _accepted_by(staff_id, user, details.holder_name),
                   "pad_accepted_at": details.mandate_accepted_at, "pad_text": details.mandate_text}
    method = PaymentMethod(
        partner_id=customer.partner_id, customer_id=customer.id, token=details.token, kind=details.kind,
        brand=details.brand, last4=details.last4, exp_month=details.exp_month, exp_year=details.exp_year,
        holder_name=details.holder_name, country=details.country, routing_number=details.routing_number,
        institution_number=details.institution_number, transit_number=details.transit_number,
        is_default=default_method(customer) is None, created_by_staff_id=staff_id,
        created_by_user_id=user.id if user is not None else None, **mandate,
    )
    db.session.add(method)
    db.session.flush()
    _record(method, "payment_method.added", staff_id, user)
    emit(method.partner_id, "payment_method.created", method)
    return method


def _accepted_by(staff_id: int | None, user: CustomerUser | None, holder: str) -> str:
    """Who accepted a PAD agreement: the portal user who added the account, or, when the partner's
    staff added it for the customer, the account holder named on the form."""
    if user is not None:
        return f"{user.name} <{user.email}>"
    staff = db.session.get(StaffUser, staff_id)
    return f"{holder}, entered by {staff.name} <{staff.email}>"


def archive(method: PaymentMethod, *, staff_id: int | None = None, user: CustomerUser | None = None) -> None:
    """Archive an active method. If it was the default, the newest remaining active method
    becomes the default."""
    if method.archived_at is not None:
        return
    was_default = method.is_default
    method.is_default = False
    method.archived_at = utcnow()
    db.session.flush()
    _record(method, "payment_method.archived", staff_id, user)
    emit(method.partner_id, "payment_method.archived", method)
    if was_default:
        newest = db.session.scalar(
            _customers_methods(method).where(PaymentMethod.archived_at.is_(None))
            .order_by(PaymentMethod.id.desc()).limit(1))
        if newest is not None:
            newest.is_default = True
            db.session.flush()


def make_default(method: PaymentMethod, *, staff_id: int | None = None, user: CustomerUser | None = None) -> None:
    """Make an active method the customer's default (the old default stops being it)."""
    if method.is_default:
        return
    current = db.session.scalar(_customers_methods(method).where(PaymentMethod.is_default))
    if current is not None:
        current.is_default = False
        db.session.flush()  # the old default goes before the new one comes: one at a time
    method.is_default = True
    db.session.flush()
    _record(method, "payment_method.default", staff_id, user)
