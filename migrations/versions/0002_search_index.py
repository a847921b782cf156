"""search index: trigrams over customers.search_text

Hand-written (scripts/regen-schema-migration replaces only 0001): neither index
can be described by the models.

- PostgreSQL: the pg_trgm extension and a GIN trigram index, which serves the
  LIKE '%...%' that services/search.py sends.
- SQLite (3.34 or later): an FTS5 table with the trigram tokenizer, reading its
  text from customers (external content) and kept in step by triggers.

search_text is already case-folded in Python, so the index compares it as it is
(case_sensitive 1): SQLite's own folding would only differ from Python's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:00:00

"""
import sqlite3

from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SQLITE_TRIGRAM = (3, 34, 0)

SQLITE_UP = [
    # A rerun over a database whose customers table was dropped by hand
    # (the test fixtures do that) must not trip over an old index.
    "DROP TABLE IF EXISTS customers_fts",
    "CREATE VIRTUAL TABLE customers_fts USING fts5("
    " search_text, content='customers', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN"
    " INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN"
    " INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_text ON customers BEGIN"
    " INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Index the customers already there.
    "INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS customers_fts_update",
    "DROP TRIGGER IF EXISTS customers_fts_delete",
    "DROP TRIGGER IF EXISTS customers_fts_insert",
    "DROP TABLE IF EXISTS customers_fts",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_customers_search_trgm ON customers USING gin (search_text gin_trgm_ops)")
    elif dialect == "sqlite":
        if sqlite3.sqlite_version_info < SQLITE_TRIGRAM:
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old: customer search needs 3.34 or later "
                "(FTS5 with the trigram tokenizer)."
            )
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customers_search_trgm")
    elif dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
