"""The History tab: every change to the customer, newest first, a page at a time."""

from flask import request

from blueprints.customer_page.shell import bp, register_tab
from extensions import db
from models import StaffUser
from request_input import int_value
from services import history


def history_context(customer) -> dict:
    before = int_value(request.args.get("before"), low=1)
    entries, more = history.customer_history(customer, before_id=before)
    creator = db.session.get(StaffUser, customer.created_by_id) if customer.created_by_id else None
    return {"entries": entries, "more": more, "older_than": before, "creator": creator}


register_tab(bp, "history", "History", "/history", "customers/_history.html", order=90, context=history_context)
