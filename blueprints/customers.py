"""All Customers: the partner's list, searchable, filtered by tags and paged."""

from flask import Blueprint, render_template, request
from sqlalchemy.orm import selectinload, undefer

from blueprints.guards import require_staff
from extensions import db
from models import Customer
from request_input import int_value
from services.paging import keyset_page
from services.search import matching
from services.tags import TagFilter, partner_tags
from tenancy import current_partner_id, customers
from web import is_partial

bp = Blueprint("customers", __name__, url_prefix="/customers")
require_staff(bp)

PAGE_SIZE = 25
# Keyset pagination over (company_sort, id): each page costs the same,
# however deep, thanks to the (partner_id, company_sort, id) index.
LIST_KEY = (Customer.company_sort, Customer.id)


def _cursor(partner_id: int, param: str) -> tuple | None:
    """The list's key (company_sort, id) of the customer named by ?after= or ?before=."""
    customer_id = int_value(request.args.get(param), low=1)
    if customer_id is None:
        return None
    row = db.session.execute(
        customers(partner_id).with_only_columns(*LIST_KEY).where(Customer.id == customer_id)
    ).first()
    return tuple(row) if row else None


@bp.get("")
def index():
    partner_id = current_partner_id()
    q = request.args.get("q", "").strip()[:200]
    # The page's tag chips come in one more query (selectinload), not one per row.
    query = customers(partner_id).options(undefer(Customer.user_count), selectinload(Customer.tags))
    if q:
        query = matching(query, q)  # services.search: a trigram index, not a scan
    archived = request.args.get("archived") == "1"  # archived customers only
    query = query.where(Customer.archived_at.is_not(None) if archived else Customer.archived_at.is_(None))
    tag_filter = TagFilter(partner_id, request.args.getlist("tag"), request.args.get("match", ""))
    query = tag_filter.apply(query)

    page = keyset_page(query, LIST_KEY, size=PAGE_SIZE,
                       after=_cursor(partner_id, "after"), before=_cursor(partner_id, "before"))
    rows = page.rows

    filtered = bool(q) or bool(tag_filter)
    has_any = filtered or archived or db.session.scalar(customers(partner_id).with_only_columns(Customer.id).limit(1))
    context = dict(
        customers=rows,
        q=q,
        has_any=has_any,
        filtered=filtered,
        archived=archived,
        tag_filter=tag_filter,
        partner_tags=partner_tags(partner_id),
        # What links keep: the search, the tag filter, the archived view.
        params={"q": q or None, **tag_filter.params(), "archived": "1" if archived else None},
        next_after=rows[-1].id if rows and page.has_next else None,
        prev_before=rows[0].id if rows and page.has_prev else None,
    )
    if is_partial():
        return render_template("customers/_results.html", **context)
    return render_template("customers/index.html", **context)

