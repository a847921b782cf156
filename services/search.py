"""Customer search: every word typed is the start of a word of the customer's company, legal
name or city, or of its EIN, in any order ("harb arch" finds "Harbor Architects").

Words are compared as keys.search_words folds them: case and accents aside, split at anything
that is not a letter or a digit. A hyphen between digits joins them, on both sides: the EIN
"91-1144442" is the word "911144442", found by "91-114" and by "91114" alike.

The index is the customer_words table: one row per prefix of each of a customer's words
(harbor: h, ha, har, harb, harbo, harbor), carrying the customer's sort key. A search looks
up one typed word by equality and walks its rows in the list's order, (company_sort,
customer_id), joining each to its customer; every other typed word is a primary-key probe
for the same customer. So a page costs the same whether the word is on 4 customers or on
40,000: nothing is counted or sorted first.

The rows are written by this module, in the transaction that writes the customer
(services.customers, services.customer_profile, the seed's bulk insert), never by triggers.
"""

from sqlalchemy import Select, and_, delete, exists, false, select

from extensions import db
from keys import search_words
from models import Customer, customer_words
from services.bulk import insert_rows
from services.tags import follow_customer

MAX_WORDS = 8  # typed words looked up; more are ignored

# The aliases of a search's statements, made once: a new alias builds its column collection
# the first time its columns are read, which cost more than the rest of the statement.
HIT = customer_words.alias("hit")  # the driving word's rows
ALSO = customer_words.alias("also")  # another typed word's row, in its own EXISTS
GONE = Customer.__table__.alias("gone")  # the partner's archived customers


def indexed_words(company: str, legal_name: str | None, ein: str | None, city: str) -> set[str]:
    """Every prefix of every word a customer is found by."""
    text = " ".join(part for part in (company, legal_name, city, ein) if part)
    return {word[:end] for word in search_words(text) for end in range(1, len(word) + 1)}


WordRow = tuple[int, str, str, int]  # customer_words' (partner_id, word, company_sort, customer_id)


def word_rows(partner_id: int, customer_id: int, values) -> list[WordRow]:
    """The customer_words rows of one customer, from its company, legal_name, ein, city and
    company_sort (a mapping: a row's values)."""
    words = indexed_words(values["company"], values.get("legal_name"), values.get("ein"), values["city"])
    return [(partner_id, word, values["company_sort"], customer_id) for word in words]


def add_to_index(rows: list[WordRow], connection=None) -> None:
    """Write the word rows of customers new to the index, in the session's transaction (or
    connection's), in key order. A seed of 100,000 customers writes some 3 million rows:
    PostgreSQL takes them by COPY, SQLite as the driver's own executemany (SQLAlchemy's
    per-row parameter handling, or inserts in random key order, would each cost several
    times as much)."""
    insert_rows(customer_words, ("partner_id", "word", "company_sort", "customer_id"), sorted(rows), connection)


INDEXED = ("company", "legal_name", "ein", "city", "company_sort")


def indexed_values(customer: Customer) -> dict:
    """What a customer's words are made of (keep it before an edit, for reindex)."""
    return {name: getattr(customer, name) for name in INDEXED}


def index_customer(customer: Customer, before: dict | None = None) -> None:
    """Write a new customer's words (it must have its id: flushed), or rewrite them after an
    edit, given its indexed_values from before the edit; a new sort key moves its tag rows
    too (the tag filter's index)."""
    if before is not None:
        if before["company_sort"] != customer.company_sort:
            follow_customer(customer.partner_id, customer.id, company_sort=customer.company_sort)
        old = word_rows(customer.partner_id, customer.id, before)
        db.session.execute(delete(customer_words).where(
            customer_words.c.partner_id == customer.partner_id, customer_words.c.customer_id == customer.id,
            customer_words.c.company_sort == before["company_sort"],
            customer_words.c.word.in_([word for _p, word, _s, _c in old]),
        ))
    add_to_index(word_rows(customer.partner_id, customer.id, indexed_values(customer)))


def typed_words(q: str) -> list[str]:
    """The distinct words of a search, at most MAX_WORDS."""
    return list(dict.fromkeys(search_words(q)))[:MAX_WORDS]


def matching(query: Select, partner_id: int, q: str, archived: bool = False) -> tuple[Select, tuple | None, Select]:
    """query (a select of the partner's customers, archived or not as `archived` says) narrowed
    to those q finds, the key that pages the matches in the list's order (None: q has no word,
    so nothing matches), and a select of the matches' ids for the count.

    The longest typed word drives (a longer prefix is usually the rarer); the key is its
    rows' (company_sort, customer_id), which equal the customer's own. The count reads the
    word rows and, for whether each customer is archived, the archived customers' ids from
    their own partial index (few rows, read once), never the customers' rows: probing 1,001
    customers' rows by id for archived_at was most of a common word's request."""
    words = typed_words(q)
    if not words:
        query = query.where(false())
        return query, None, query.with_only_columns(Customer.id)
    driving = max(words, key=len)
    hit, also = HIT, ALSO
    mine = (hit.c.partner_id == partner_id, hit.c.word == driving)
    probes = []
    for word in words:
        if word != driving:
            probes.append(exists().where(
                also.c.partner_id == partner_id, also.c.word == word,
                also.c.company_sort == hit.c.company_sort, also.c.customer_id == hit.c.customer_id,
            ))
    query = query.join(hit, and_(*mine, hit.c.customer_id == Customer.id)).where(*probes)
    gone = GONE
    # The partner's archived customers, read once from their own partial index
    # (ix_customers_partner_archived_sort): an IN list both databases build once per statement
    # (PostgreSQL hashes it), not a probe per match (SQLite read each match's row for it).
    archived_ids = select(gone.c.id).where(gone.c.partner_id == partner_id, gone.c.archived_at.is_not(None))
    archived_hit = hit.c.customer_id.in_(archived_ids)
    matches = select(hit.c.customer_id).where(*mine, *probes, archived_hit if archived else ~archived_hit)
    return query, (hit.c.company_sort, hit.c.customer_id), matches


def first_matches(query: Select, partner_id: int, q: str, limit: int) -> tuple[list, bool]:
    """The first `limit` rows of query (a select of the partner's customers) that q finds, in the
    list's order, and whether more match: a picker's suggestions."""
    query, key, _matches = matching(query, partner_id, q)
    if key is None:
        return [], False
    rows = list(db.session.execute(query.order_by(*key).limit(limit + 1)))
    return rows[:limit], len(rows) > limit
