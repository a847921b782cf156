"""A partner's tags: create, edit, delete, and put on or take off customers.

Every query here is scoped by partner_id, and customer_tags carries the partner
in both of its foreign keys: a forged id cannot reach across partners.
"""

from functools import cache

from sqlalchemy import Row, Select, and_, bindparam, delete, exists, false, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from keys import tag_key
from models import Customer, Tag, customer_tags
from models.tag import COLORS
from services.errors import Conflict, DomainError, raised_for
from services.history import changes_between, record
from tenancy import customers, scoped

SUGGESTIONS = 8


@raised_for("uq_tags_partner_id_name_key")
class TagNameTaken(DomainError):
    """The partner has a tag of that name (another save came first). The views validate
    their form again, which names the tag."""

    field = "name"
    message = "You already have a tag of that name"


@raised_for("fk_customer_tags_partner_id_tags")
class TagGone(Conflict):
    """The tag was deleted while this request was putting it on customers or editing it."""

    message = "That tag was deleted a moment ago"


# -- reading -----------------------------------------------------------------

TAG_SHOWN = (Tag.id, Tag.name, Tag.name_key, Tag.color, Tag.description)


@cache
def _partner_tags_statement() -> Select:
    """Built once per process (the partner is a parameter), so SQLAlchemy reuses its compiled form."""
    return scoped(Tag, bindparam("partner_id"), *TAG_SHOWN).order_by(Tag.name_key)


def partner_tags(partner_id: int) -> list[Row]:
    """The partner's tags by name, as rows of TAG_SHOWN: every list page reads them (the filter,
    the chips, the bulk bar), and rows cost a third of what the ORM's Tag objects do."""
    return db.session.execute(_partner_tags_statement(), {"partner_id": partner_id}).all()


def find_tag(partner_id: int, tag_id: int) -> Tag | None:
    return db.session.scalar(scoped(Tag, partner_id).where(Tag.id == tag_id))


def find_tag_by_name(partner_id: int, name: str) -> Tag | None:
    return db.session.scalar(scoped(Tag, partner_id).where(Tag.name_key == tag_key(name)))


def customer_counts(partner_id: int, tag_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """{tag id: (active customers, archived customers)} for the partner's tags in use
    (or only those of tag_ids). Totals come from the (tag_id, customer_id) index alone;
    the archived ones, few, from the archived customers' own index."""
    ids = tag_ids if tag_ids is not None else scoped(Tag, partner_id).with_only_columns(Tag.id)
    totals = db.session.execute(
        select(customer_tags.c.tag_id, func.count())
        .where(customer_tags.c.tag_id.in_(ids))  # the partner's tag ids: an index-only count
        .group_by(customer_tags.c.tag_id)
    )
    archived = dict(db.session.execute(
        select(customer_tags.c.tag_id, func.count())
        .join(Customer, Customer.id == customer_tags.c.customer_id)
        .where(Customer.partner_id == partner_id, Customer.archived_at.is_not(None),
               customer_tags.c.tag_id.in_(ids))
        .group_by(customer_tags.c.tag_id)
    ).all())
    return {tag_id: (total - archived.get(tag_id, 0), archived.get(tag_id, 0)) for tag_id, total in totals}


def suggestions(partner_id: int, text: str, *, exclude: set[int]) -> list[Tag]:
    """Tags whose name contains what the partner typed, names starting with it first."""
    key = tag_key(text)
    if not key:
        return []
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = scoped(Tag, partner_id).where(Tag.name_key.like(f"%{escaped}%", escape="\\"))
    if exclude:
        query = query.where(Tag.id.not_in(exclude))
    starts_first = (~Tag.name_key.like(f"{escaped}%", escape="\\"))
    return list(db.session.scalars(query.order_by(starts_first, Tag.name_key).limit(SUGGESTIONS)))


def next_color(partner_id: int) -> str:
    """A tag made by typing takes the next color of the palette, so tags differ."""
    count = db.session.scalar(scoped(Tag, partner_id).with_only_columns(func.count(Tag.id)))
    return COLORS[(count + 1) % len(COLORS)]


# -- the partner's tags (one entry each in the tag log) ------------------------

def _tag_values(tag: Tag) -> dict:
    return {"name": tag.name, "color": tag.color, "description": tag.description}


def _lock(tag: Tag, *, shared: bool = False) -> None:
    """Lock the tag's row until commit (PostgreSQL; SQLite serializes writers): a delete
    takes it exclusively and waits for the requests putting the tag on customers, which
    share it; whoever comes second finds the tag gone (TagGone) or counts what was added."""
    locked = db.session.scalar(select(Tag.id).where(Tag.id == tag.id).with_for_update(read=shared))
    if locked is None:
        raise TagGone()


def _created(tag: Tag, staff_id: int) -> None:
    record(partner_id=tag.partner_id, staff_id=staff_id, action="tag.created", subject=tag.name,
           changes=changes_between({}, _tag_values(tag)))


def create_tag(partner_id: int, *, staff_id: int, name: str, color: str, description: str | None = None) -> Tag:
    """A name taken meanwhile makes the unit of work raise TagNameTaken."""
    tag = Tag(partner_id=partner_id, created_by_id=staff_id, name=name, color=color, description=description or None)
    db.session.add(tag)
    db.session.flush()
    _created(tag, staff_id)
    return tag


def update_tag(tag: Tag, *, staff_id: int, name: str, color: str, description: str | None) -> list[dict]:
    """Rename, recolor or describe: one entry in the tag log, whatever the customers."""
    before = _tag_values(tag)
    changes = changes_between(before, {"name": name, "color": color, "description": description or None})
    if not changes:
        return []
    _lock(tag)
    tag.name, tag.color, tag.description = name, color, description or None
    db.session.flush()
    record(partner_id=tag.partner_id, staff_id=staff_id, action="tag.updated", subject=before["name"],
           changes=changes)
    return changes


def delete_tag(tag: Tag, *, staff_id: int) -> int:
    """Delete the tag and take it off its customers. Returns how many lost it."""
    _lock(tag)
    removed = db.session.execute(
        delete(customer_tags)
        .where(customer_tags.c.partner_id == tag.partner_id, customer_tags.c.tag_id == tag.id)
        .returning(customer_tags.c.customer_id)
    ).all()
    record(
        partner_id=tag.partner_id, staff_id=staff_id, action="tag.deleted", subject=tag.name,
        changes=[*changes_between(_tag_values(tag), {"name": None, "color": None, "description": None}),
                 {"field": "customers", "before": len(removed), "after": 0}],
    )
    db.session.delete(tag)
    return len(removed)


# -- tags on customers (one entry in each customer's history) --------------------

def _insert_ignoring_existing(table, rows: list[dict] | Select, returned):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returned`: only the new rows come back,
    so two requests making the same row at once make it once, not an error. rows: values,
    or a select of the table's columns in order."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - the two databases we run on
        statement = insert(table)
    if isinstance(rows, Select):
        statement = statement.from_select(list(table.c.keys()), rows)
    else:
        statement = statement.values(rows)
    if dialect in ("postgresql", "sqlite"):
        statement = statement.on_conflict_do_nothing()
    return db.session.scalars(statement.returning(returned)).all()


def _record_on_customers(tag: Tag, customer_ids, action: str, staff_id: int) -> None:
    for customer_id in customer_ids:
        record(partner_id=tag.partner_id, staff_id=staff_id, action=action, customer_id=customer_id,
               subject=tag.name)


def add_tag_to_customers(tag: Tag, customer_ids: list[int], *, staff_id: int) -> int:
    """Put the tag on these customers (of the tag's partner). Returns how many did not have it."""
    if not customer_ids:
        return 0
    _lock(tag, shared=True)
    # Each row copies its customer's place in the list, read under a share lock: a rename or
    # an archive of the customer at the same moment either waits for this insert and then
    # follows it (follow_customer), or is waited for and copied as it ends.
    rows = (customers(tag.partner_id, Customer.partner_id, Customer.id, literal(tag.id), Customer.company_sort,
                      Customer.archived_at.is_not(None))
            .where(Customer.id.in_(customer_ids)).with_for_update(read=True))
    added = _insert_ignoring_existing(customer_tags, rows, customer_tags.c.customer_id)
    _record_on_customers(tag, added, "tag.added", staff_id)
    return len(added)


def remove_tag_from_customers(tag: Tag, customer_ids: list[int], *, staff_id: int) -> int:
    """Take the tag off these customers. Returns how many had it."""
    if not customer_ids:
        return 0
    removed = db.session.scalars(
        delete(customer_tags)
        .where(
            customer_tags.c.partner_id == tag.partner_id,
            customer_tags.c.tag_id == tag.id,
            customer_tags.c.customer_id.in_(customer_ids),
        )
        .returning(customer_tags.c.customer_id)
    ).all()
    _record_on_customers(tag, removed, "tag.removed", staff_id)
    return len(removed)


def follow_customer(partner_id: int, customer_id: int, **place) -> None:
    """The customer's tag rows take its new place in the list (company_sort=, archived=), in the
    transaction that moved it: services.search.index_customer after a rename,
    services.customer_profile after an archive or a restore."""
    db.session.execute(update(customer_tags).where(
        customer_tags.c.partner_id == partner_id, customer_tags.c.customer_id == customer_id).values(**place))


def apply_by_name(customer: Customer, name: str, *, staff_id: int) -> tuple[Tag, bool, int]:
    """Put the tag of that name on the customer, creating the tag if the partner has none.
    Returns (tag, created, 1 if the customer did not have it yet else 0)."""
    tag = find_tag_by_name(customer.partner_id, name)
    created = False
    if tag is None:  # insert-or-get: a tag of that name made a moment ago by someone else is used
        row = {"partner_id": customer.partner_id, "created_by_id": staff_id, "name": name, "name_key": tag_key(name),
               "color": next_color(customer.partner_id), "description": None}
        made = _insert_ignoring_existing(Tag.__table__, [row], Tag.__table__.c.id)
        tag = db.session.get(Tag, made[0]) if made else find_tag_by_name(customer.partner_id, name)
        created = bool(made)
        if created:
            _created(tag, staff_id)
    return tag, created, add_tag_to_customers(tag, [customer.id], staff_id=staff_id)


# -- All Customers filtered by tags ---------------------------------------------------

MAX_FILTER_TAGS = 20


class TagFilter:
    """?tag=NAME (repeatable) with match=any (the default) or match=all.

    All Customers walks one tag's rows of customer_tags in the list's order (walk): a page
    costs the same whether the tag is on 20 customers or on 20,000. A search's matches, or
    several tags with match=any, are walked by their own index and probe the tags' rows for
    each customer (carried_by). The invoices take each tag as an IN subquery over
    customer_tags' (tag_id, customer_id) index (apply).
    A name the partner has no tag of matches no customer. The names are looked up among the
    partner's tags (partner_tags(), which the list loads anyway), not in a query of their own.
    """

    def __init__(self, known: list[Row], names: list[str], match: str):
        seen, self.names = set(), []
        for name in names:
            name = name.strip()[:200]
            if name and tag_key(name) not in seen:
                seen.add(tag_key(name))
                self.names.append(name)
        self.names = self.names[:MAX_FILTER_TAGS]
        self.match = "all" if match == "all" else "any"
        wanted = {tag_key(name) for name in self.names}
        self.tags = [tag for tag in known if tag.name_key in wanted]
        found = {tag.name_key for tag in self.tags}
        self.unknown = [name for name in self.names if tag_key(name) not in found]

    @property
    def shown(self) -> list[tuple[str, Row | None]]:
        """Each name asked for, with the partner's tag of that name (None: no such tag)."""
        by_key = {tag.name_key: tag for tag in self.tags}
        return [(name, by_key.get(tag_key(name))) for name in self.names]

    def __bool__(self) -> bool:
        return bool(self.names)

    def apply(self, query, customer_id=Customer.id):
        """The query's rows whose customer_id (a column: the customer's id, or an invoice's
        customer_id) carries the tags asked for."""
        if not self.names:
            return query
        if not self.tags or (self.match == "all" and self.unknown):
            return query.where(false())
        if self.match == "any":
            return query.where(_tagged_with([tag.id for tag in self.tags], customer_id))
        return query.where(*(_tagged_with([tag.id], customer_id) for tag in self.tags))

    def carried_by(self, partner_id: int, archived: bool, key: tuple) -> list:
        """Conditions that the customer a list's row stands for carries the tags asked for.
        key: that row's (company_sort, customer_id) columns, the customer's own or an index
        row's; each condition probes ix_customer_tags_list by its whole key."""
        if not self.names:
            return []
        if not self.tags or (self.match == "all" and self.unknown):
            return [false()]
        groups = [[tag.id for tag in self.tags]] if self.match == "any" else [[tag.id] for tag in self.tags]
        return [_carries(partner_id, archived, tag_ids, key) for tag_ids in groups]

    def walk(self, query: Select, partner_id: int, archived: bool, list_key: tuple) -> tuple[Select, tuple, Select]:
        """All Customers (query: a select of the partner's customers, archived or not as
        `archived` says, paged by list_key) narrowed to the tags asked for: (the query, the key
        that pages it, a select of the matches' ids for the count). When one tag decides (one
        tag, or match=all) the query walks that tag's rows of ix_customer_tags_list, whose
        (company_sort, customer_id) equal the customer's own, every other tag is a probe for
        the same customer, and the count reads customer_tags alone. Several tags with match=any
        are no one index's order: the list walks its own and probes each customer."""
        if not self.tags or (self.match == "any" and len(self.tags) > 1) or (self.match == "all" and self.unknown):
            query = query.where(*self.carried_by(partner_id, archived, list_key))
            return query, list_key, query.with_only_columns(Customer.id)
        walked = WALKED
        key = (walked.c.company_sort, walked.c.customer_id)
        mine = (walked.c.partner_id == partner_id, walked.c.tag_id == self.tags[0].id, walked.c.archived == archived)
        probes = [_carries(partner_id, archived, [tag.id], key) for tag in self.tags[1:]]
        query = query.join(walked, and_(*mine, walked.c.customer_id == Customer.id)).where(*probes)
        return query, key, select(walked.c.customer_id).where(*mine, *probes)

    def params(self) -> dict:
        """The filter as url_for arguments, for links that keep it."""
        return {"tag": self.names or None, "match": "all" if self.names and self.match == "all" else None}


# The aliases of the tag filter's statements, made once (a new alias builds its column
# collection when its columns are first read: more than the rest of the statement costs).
WALKED = customer_tags.alias("tagged")  # the rows of the tag whose index a list walks
PROBED = customer_tags.alias("probed")  # a tag the customer must also carry, in its own EXISTS


def _carries(partner_id: int, archived: bool, tag_ids: list[int], key: tuple):
    """The customer of key (company_sort, customer_id) carries one of these tags."""
    company_sort, customer_id = key
    tagged = PROBED
    return exists().where(tagged.c.partner_id == partner_id, tagged.c.tag_id.in_(tag_ids),
                          tagged.c.archived == archived, tagged.c.company_sort == company_sort,
                          tagged.c.customer_id == customer_id)


def _tagged_with(tag_ids: list[int], customer_id):
    """Rows whose customer_id carries any of these tags."""
    # "id + 0": with fresh statistics SQLite would rather look up every tagged customer
    # by id and sort them all (12 ms for a tag on 10,000 customers) than walk the sorted
    # list to the first page (1 ms); the expression keeps it walking. PostgreSQL walks either way.
    return (customer_id + 0).in_(select(customer_tags.c.customer_id).where(customer_tags.c.tag_id.in_(tag_ids)))
