"""The one place that scopes customer data to the signed-in partner.

Views never query Customer directly: they start from customers() so that
another partner's rows are simply not there (a 404, never a 403).
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from extensions import db
from models import Customer


def current_partner_id() -> int:
    return current_user.partner_id


def customers() -> Select:
    """A select of the signed-in partner's customers."""
    return select(Customer).where(Customer.partner_id == current_partner_id())


def get_customer_or_404(customer_id: int) -> Customer:
    customer = db.session.scalar(customers().where(Customer.id == customer_id))
    if customer is None:
        abort(404)
    return customer
