"""All Customers: the partner's list, searchable, filtered by tags and paged."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import tuple_
from sqlalchemy.orm import selectinload, undefer

from blueprints.guards import require_staff
from extensions import db
from models import Customer
from services.search import matching
from services.tags import TagFilter, partner_tags
from tenancy import customers
from web import is_partial

bp = Blueprint("customers", __name__, url_prefix="/customers")
require_staff(bp)

PAGE_SIZE = 25


def _cursor(param: str) -> Customer | None:
    raw = request.args.get(param, "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return db.session.scalar(customers().where(Customer.id == int(raw)))


@bp.get("")
def index():
    q = request.args.get("q", "").strip()[:200]
    # The page's tag chips come in one more query (selectinload), not one per row.
    query = customers().options(undefer(Customer.user_count), selectinload(Customer.tags))
    if q:
        query = matching(query, q)  # services.search: a trigram index, not a scan
    archived = request.args.get("archived") == "1"  # archived customers only
    query = query.where(Customer.archived_at.is_not(None) if archived else Customer.archived_at.is_(None))
    tag_filter = TagFilter(current_user.partner_id, request.args.getlist("tag"), request.args.get("match", ""))
    query = tag_filter.apply(query)

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

    filtered = bool(q) or bool(tag_filter)
    has_any = filtered or archived or db.session.scalar(customers().with_only_columns(Customer.id).limit(1))
    context = dict(
        customers=rows,
        q=q,
        has_any=has_any,
        filtered=filtered,
        archived=archived,
        tag_filter=tag_filter,
        partner_tags=partner_tags(current_user.partner_id),
        # What links keep: the search, the tag filter, the archived view.
        params={"q": q or None, **tag_filter.params(), "archived": "1" if archived else None},
        next_after=rows[-1].id if rows and has_next else None,
        prev_before=rows[0].id if rows and has_prev else None,
    )
    if is_partial():
        return render_template("customers/_results.html", **context)
    return render_template("customers/index.html", **context)

