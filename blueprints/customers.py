"""All Customers: the partner's list, searchable, filtered by tags and paged.

A page costs two queries whatever its size (tests/test_customers.py counts them): the
partner's tags (the filter, the chips, the bulk bar), and the page's rows, which carry all
the rest: only the shown columns, each row's tag ids, and the count of matches capped at
COUNT_UP_TO + 1 rows (the same on every row, computed once); the cursor is a subquery in it.
An empty first page asks besides whether the partner has any customer at all. One round
trip instead of three: on PostgreSQL each costs the server's share of the CPU too.

A search walks one typed word's rows of customer_words in the list's order, a tag filter one
tag's rows of customer_tags (whose count reads that index alone), the plain list its own
(partner_id, company_sort, id) index: each page costs the same however deep and however many
customers match.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import Row, String, cast, func, select

from blueprints.guards import require_staff
from extensions import db
from models import Customer, customer_tags
from request_input import int_value
from services.paging import keyset_page
from services.search import matching
from services.tags import TagFilter, partner_tags
from templating import format_day, iso
from tenancy import current_partner_id, current_partner_locale, current_partner_time_zone, customers
from web import is_partial, url_by_id

bp = Blueprint("customers", __name__, url_prefix="/customers")
require_staff(bp)

PAGE_SIZE = 25
COUNT_UP_TO = 1000  # exact up to here, then "more than 1,000": the count stops at 1,001 rows
# Keyset pagination over (company_sort, id): each page costs the same,
# however deep, thanks to the (partner_id, company_sort, id) index.
LIST_KEY = (Customer.company_sort, Customer.id)
SHOWN = (Customer.id, Customer.company, Customer.legal_name, Customer.city, Customer.state,
         Customer.country, Customer.created_at, Customer.user_count)


@dataclass
class ListRow:
    """One customer as the list shows it."""

    id: int
    company: str
    legal_name: str | None
    place: str
    user_count: int
    added: str  # the day it was created, as the `date` filter shows it
    added_iso: str  # and as the `iso` filter writes it, for <time datetime>
    url: str
    tags: list[Row]  # services.tags.partner_tags rows


def _id_param(name: str) -> int | None:
    return int_value(request.args.get(name), low=1)


def _cursor(partner_id: int, param: str) -> tuple | None:
    """The list's key (company_sort, id) of the customer named by ?after= or ?before=, as SQL
    inside the page's own query: an id that is not the partner's customer gives an empty page."""
    customer_id = _id_param(param)
    if customer_id is None:
        return None
    sort = customers(partner_id).with_only_columns(Customer.company_sort).where(Customer.id == customer_id)
    return (sort.scalar_subquery(), customer_id)


def _start(has_prev: bool) -> int | None:
    """Where the page's first row stands in the list: 1 on the first page, else ?start=, which
    Previous and Next carry for the range label only (keyset paging cannot count what lies
    before the cursor). None: not known (an address without it, or nonsense)."""
    if not has_prev:
        return 1
    start = _id_param("start")
    return start if start is not None and start > 1 else None


def _with_count_and_tags(query, partner_id: int, matches, tags: list[Row]):
    """query with two more columns: `list_total`, how many customers the list holds (matches: a
    select of their ids), counted no further than COUNT_UP_TO + 1 (an uncorrelated subquery,
    which both databases compute once per statement); and, once the partner has tags, each
    row's `tag_ids` ("3,7"), from customer_tags' primary key (customer_id, tag_id)."""
    capped = matches.order_by(None).limit(COUNT_UP_TO + 1).correlate(None).subquery()
    columns = [select(func.count()).select_from(capped).scalar_subquery().label("list_total")]
    if tags:
        columns.append(
            select(func.aggregate_strings(cast(customer_tags.c.tag_id, String), ","))
            .where(customer_tags.c.partner_id == partner_id, customer_tags.c.customer_id == Customer.id)
            .correlate(Customer).scalar_subquery().label("tag_ids"))
    return query.add_columns(*columns)


def _rows(found: list, tags: list[Row]) -> list[ListRow]:
    """The page's rows with their tags (names and colors from the partner's tags, in the
    partner's order: by name), links from one pattern, dates formatted here rather than by
    two filter calls per row in the template."""
    locale, zone = current_partner_locale(), current_partner_time_zone()
    numbered = {tag.id: (n, tag) for n, tag in enumerate(tags)}  # n: the tag's place by name
    tags_of = {row.id: [] for row in found}
    for row in found:
        if tags and row.tag_ids:
            tags_of[row.id] = [tag for _n, tag in sorted(numbered[int(tag_id)] for tag_id in row.tag_ids.split(","))]
    link = url_by_id("customer_page.profile", "customer_id")
    return [
        ListRow(id=row.id, company=row.company, legal_name=row.legal_name,
                place=f"{row.city}, {row.state}, {row.country}", user_count=row.user_count,
                added=format_day(row.created_at, locale, zone), added_iso=iso(row.created_at),
                url=link(row.id), tags=tags_of[row.id])
        for row in found
    ]


def _range(start: int | None, shown: int, total: int) -> tuple[int, int] | None:
    """The label's "26–50", when the position is known and fits the count (None: not shown)."""
    if start is None or not shown or (total <= COUNT_UP_TO and start + shown - 1 > total):
        return None
    return start, start + shown - 1


def _count_text(total: int, archived: bool, q: str) -> str:
    """ "137 customers", "1 archived customer", "More than 1,000 customers match “harbor”"."""
    number = f"More than {COUNT_UP_TO:,}" if total > COUNT_UP_TO else f"{total:,}"
    text = f"{number} {'archived ' if archived else ''}{'customer' if total == 1 else 'customers'}"
    return f"{text} {'matches' if total == 1 else 'match'} “{q}”" if q else text


@bp.get("")
def index():
    partner_id = current_partner_id()
    q = request.args.get("q", "").strip()[:200]
    tags = partner_tags(partner_id)
    archived = request.args.get("archived") == "1"  # archived customers only
    query = customers(partner_id).with_only_columns(*SHOWN).where(
        Customer.archived_at.is_not(None) if archived else Customer.archived_at.is_(None))
    tag_filter = TagFilter(tags, request.args.getlist("tag"), request.args.get("match", ""))
    if q:
        query, key, matches = matching(query, partner_id, q, archived)  # services.search: the word index
        key = key or LIST_KEY  # (q has no word: nothing matches)
        probes = tag_filter.carried_by(partner_id, archived, key)  # each match's tags
        query, matches = query.where(*probes), matches.where(*probes)
    else:
        query, key, matches = tag_filter.walk(query, partner_id, archived, LIST_KEY)  # the tag's own index

    query = _with_count_and_tags(query, partner_id, matches, tags)
    after, before = _cursor(partner_id, "after"), _cursor(partner_id, "before")
    page = keyset_page(query, key, size=PAGE_SIZE, after=after, before=before)
    if not page.rows and (after is not None or before is not None):
        # The cursor is not one of this list's customers (or the list changed): start over.
        page = keyset_page(query, key, size=PAGE_SIZE)
    filtered = bool(q) or bool(tag_filter)
    if page.rows:
        total = page.rows[0].list_total
        has_any = True
    else:
        total = 0
        has_any = filtered or archived or db.session.scalar(
            customers(partner_id).with_only_columns(Customer.id).limit(1)) is not None
    rows = _rows(page.rows, tags)
    start = _start(page.has_prev)
    shown_range = _range(start, len(rows), total)
    if shown_range is None:
        start = None  # it did not fit: the links do not carry it on either
    list_url = url_for("customers.index")
    context = dict(
        heading="Search results" if q else "Archived customers" if archived else "All Customers",
        partial=is_partial(),
        customers=rows,
        q=q,
        has_any=has_any,
        filtered=filtered,
        archived=archived,
        tag_filter=tag_filter,
        partner_tags=tags,
        tag_links={tag.id: f"{list_url}?{urlencode({'tag': tag.name})}" for tag in tags},
        count_text=_count_text(total, archived, q),
        shown_range=shown_range,
        # What links keep: the search, the tag filter, the archived view.
        params={"q": q or None, **tag_filter.params(), "archived": "1" if archived else None},
        next_after=rows[-1].id if rows and page.has_next else None,
        next_start=start + len(rows) if start else None,
        prev_before=rows[0].id if rows and page.has_prev else None,
        prev_start=max(start - PAGE_SIZE, 1) if start else None,
    )
    if context["partial"]:
        return render_template("customers/_results.html", **context)
    return render_template("customers/index.html", **context)
