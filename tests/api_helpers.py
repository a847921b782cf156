"""API keys for tests, made the way the dashboard and the CLI make them."""

from extensions import db
from services.api_keys import create_key
from unit_of_work import unit_of_work

CUSTOMER = {"company": "Northwind Dental", "legal_name": "Northwind Dental LLC", "ein": "91-1144442",
            "address": "100 Main St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
            "users": [{"name": "Ann Lee", "email": "ann@example.com"}]}


def make_key(app, staff, scope: str = "write") -> str:
    with app.app_context(), unit_of_work():
        return create_key(partner_id=staff.partner_id, staff_id=staff.id, scope=scope, name="Tests")[1]


def bearer(key: str, **headers) -> dict:
    return {"Authorization": f"Bearer {key}", **headers}


def revoke(app, key: str) -> None:
    from services.api_keys import find_key, revoke_key

    with app.app_context(), unit_of_work():
        revoke_key(find_key(key))
    with app.app_context():
        db.session.remove()


def make_key_row(app, staff) -> int:
    """A key of the staff's partner: its id (for routes that take one)."""
    from services.api_keys import find_key

    key = make_key(app, staff)
    with app.app_context():
        return find_key(key).id
