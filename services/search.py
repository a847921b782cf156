"""Customer search: a case-insensitive substring of company, legal name, EIN or city.

Customer.search_text holds those values case-folded in Python (keys.search_key),
the EIN with and without its hyphen; the query is folded the same way, so the
database only looks for a plain substring of already-folded text. '%' and '_'
are literal characters.

A LIKE '%...%' over every row does not stay fast at 100,000 customers, so each
database answers from a trigram index (migration 0002):

- SQLite: an FTS5 phrase query over customers_fts (trigram tokenizer). A phrase
  of trigrams matches exactly where the query is a substring.
- PostgreSQL: LIKE over search_text, which the pg_trgm GIN index serves.

Then the page: the list is sorted by company, and a search's matches bunch
together in that order (every "Harbor ..." sorts under H). Walking the sorted
list until a page of matches turns up can read most of it, so unless the
matches are many (when a walk fills a page at once), the page is sorted from
the matches themselves, which costs what their number costs.

A query shorter than three characters has no trigram to look up. It falls back
to LIKE within the partner's own customers, walking the sorted list until a
page is full: quick for the common one- and two-letter queries, a scan of the
partner's list for a rare one.
"""

from sqlalchemy import Integer, Select, column, false, func, literal_column, select, table

from extensions import db
from keys import search_key
from models import Customer

MIN_TRIGRAM = 3
# Up to this many matches, sorting the matches beats walking the sorted list.
SORT_MATCHES_UP_TO = 5000

# The FTS5 index of migration 0002 (SQLite only); its rowid is the customer's id.
customers_fts = table("customers_fts", column("rowid", Integer))


def _like(key: str):
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Customer.search_text.like(f"%{escaped}%", escape="\\")


def _fts_phrase(key: str) -> str:
    # One quoted phrase: FTS5 operators and punctuation inside it are plain text.
    return '"' + key.replace('"', '""') + '"'


def matching(query: Select, q: str) -> Select:
    """query (a select of customers) narrowed to those whose search text contains q."""
    key = search_key(q)
    if not key:
        return query
    if len(key) < MIN_TRIGRAM:
        return query.where(_like(key))
    if db.session.get_bind().dialect.name == "sqlite":
        return _sqlite_matching(query, key)
    # PostgreSQL's planner assumes matches are spread evenly through the sort order
    # and walks the sorted index; stating the condition twice squares its estimate,
    # so it sorts the few matches from the trigram index instead, and still walks
    # for a common term (where the walk fills a page at once). 25 ms -> 5 ms for a
    # company word at 100,000 customers.
    return query.where(_like(key), _like(key))


def _sqlite_matching(query: Select, key: str) -> Select:
    hits = select(customers_fts.c.rowid).where(literal_column("customers_fts").op("MATCH")(_fts_phrase(key)))
    # Counting in the index alone costs well under a millisecond, and picks the plan.
    count = db.session.scalar(select(func.count()).select_from(hits.subquery()))
    if not count:
        return query.where(false())
    if count <= SORT_MATCHES_UP_TO:
        return query.where(Customer.id.in_(hits))  # look each match up by id, sort those
    # Many matches: "+ 0" keeps SQLite from driving by id, so it walks the sorted list.
    return query.where((Customer.id + 0).in_(hits))
