"""Every read of a tenant's rows starts here, with the partner named explicitly.

`scoped(Model, partner_id)` is a select of that partner's rows of any model with a
`partner_id` column (customers, tags, history, and later invoices and payments);
another partner's rows are simply not there (a 404, never a 403). Views take the
partner from the signed-in login once (`current_partner_id()`) and pass it down;
services and forms receive it as an argument and never read the login themselves.
"""

from typing import TypeVar

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Select, select

from extensions import db
from models import Customer, Partner

M = TypeVar("M")


def current_partner_id() -> int:
    """The signed-in staff login's partner (views only: require_staff has run)."""
    return current_user.partner_id


def current_partner() -> Partner:
    """The signed-in staff login's partner row: its settings (time zone, locale, legal name).
    Kept for the request: the session's identity map holds it only while something else does."""
    if "current_partner" not in g:
        g.current_partner = db.session.get(Partner, current_partner_id())
    return g.current_partner


def current_partner_locale() -> str:
    """The signed-in staff login's partner's locale, read with the login (sign_in.PartnerName): no query."""
    return current_user.partner.locale


def current_partner_time_zone() -> str:
    """The signed-in staff login's partner's time zone (its "today"), read with the login
    (sign_in.PartnerName): no query, for the lists and the Overview, which need no more of
    the partner (loading the row costs them more than their own queries)."""
    return current_user.partner.time_zone


def scoped(model: type[M], partner_id: int, *columns) -> Select:
    """A select of the partner's rows of `model`: whole rows, or only `columns` of them."""
    return select(*(columns or (model,))).where(model.partner_id == partner_id)


def customers(partner_id: int, *columns) -> Select:
    """A select of the partner's customers (or of some of their columns)."""
    return scoped(Customer, partner_id, *columns)


def get_or_404(model: type[M], partner_id: int, row_id: int) -> M:
    """The partner's row of `model` with this id, or a 404."""
    row = db.session.scalar(scoped(model, partner_id).where(model.id == row_id))
    if row is None:
        abort(404)
    return row


def get_customer_or_404(customer_id: int) -> Customer:
    """The signed-in partner's customer with this id, or a 404."""
    return get_or_404(Customer, current_partner_id(), customer_id)
