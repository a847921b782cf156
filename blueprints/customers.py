"""All Customers: the partner's list, searchable and paged, and each customer's page."""

from flask import Blueprint, render_template, request
from sqlalchemy import tuple_
from sqlalchemy.orm import undefer

from blueprints.guards import require_staff
from extensions import db
from models import Customer
from models.customer import fold
from tenancy import customers, get_customer_or_404
from web import is_partial

bp = Blueprint("customers", __name__, url_prefix="/customers")
require_staff(bp)

PAGE_SIZE = 25


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _cursor(param: str) -> Customer | None:
    raw = request.args.get(param, "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return db.session.scalar(customers().where(Customer.id == int(raw)))


@bp.get("")
def index():
    q = request.args.get("q", "").strip()[:200]
    query = customers().options(undefer(Customer.user_count))
    if q:
        query = query.where(Customer.search_text.like(_like_pattern(fold(q)), escape="\\"))

    # Keyset pagination over (company_sort, id): each page costs the same,
    # however deep, thanks to the (partner_id, company_sort, id) index.
    after, before = _cursor("after"), _cursor("before")
    key = (Customer.company_sort, Customer.id)
    if before is not None:
        query = query.where(tuple_(*key) < (before.company_sort, before.id))
        rows = db.session.scalars(
            query.order_by(Customer.company_sort.desc(), Customer.id.desc()).limit(PAGE_SIZE + 1)
        ).all()
        has_prev, rows = len(rows) > PAGE_SIZE, list(reversed(rows[:PAGE_SIZE]))
        has_next = True
    else:
        if after is not None:
            query = query.where(tuple_(*key) > (after.company_sort, after.id))
        rows = db.session.scalars(query.order_by(*key).limit(PAGE_SIZE + 1)).all()
        has_next, rows = len(rows) > PAGE_SIZE, list(rows[:PAGE_SIZE])
        has_prev = after is not None

    has_any = bool(q) or db.session.scalar(customers().with_only_columns(Customer.id).limit(1))
    context = dict(
        customers=rows,
        q=q,
        has_any=has_any,
        next_after=rows[-1].id if rows and has_next else None,
        prev_before=rows[0].id if rows and has_prev else None,
    )
    if is_partial():
        return render_template("customers/_results.html", **context)
    return render_template("customers/index.html", **context)


@bp.get("/<int:customer_id>")
def show(customer_id: int):
    customer = get_customer_or_404(customer_id)
    return render_template("customers/show.html", customer=customer)
