"""search by word prefix: the customer_words table replaces the trigram index

Creates customer_words (models.customer.customer_words), fills it from the customers
already there (services.search.word_rows, in batches), and drops migration 0002's
trigram index: the FTS5 table and its triggers on SQLite, the pg_trgm GIN index on
PostgreSQL (the extension stays: other databases of the server may use it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    from services.search import add_to_index, word_rows

    bind = op.get_bind()
    if sa.inspect(bind).has_table('customer_words'):
        # scripts/regen-schema-migration remade 0001 from the models, table included.
        _drop_trigram_index(bind.dialect.name)
        return
    op.create_table('customer_words',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=20), nullable=False),
    sa.Column('company_sort', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_customer_words_partner_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'word', 'company_sort', 'customer_id', name=op.f('pk_customer_words')),
    sqlite_with_rowid=False,
    )

    customers = sa.table('customers', *(sa.column(name) for name in (
        'id', 'partner_id', 'company', 'legal_name', 'ein', 'city', 'company_sort')))
    last = 0
    while True:
        batch = bind.execute(sa.select(customers).where(customers.c.id > last)
                             .order_by(customers.c.id).limit(BATCH)).mappings().all()
        if not batch:
            break
        add_to_index([row for customer in batch for row in word_rows(customer['partner_id'], customer['id'], customer)],
                     bind)
        last = batch[-1]['id']

    _drop_trigram_index(bind.dialect.name)


def _drop_trigram_index(dialect):
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_customers_search_trgm")
    elif dialect == 'sqlite':
        for statement in ("DROP TRIGGER IF EXISTS customers_fts_update", "DROP TRIGGER IF EXISTS customers_fts_delete",
                          "DROP TRIGGER IF EXISTS customers_fts_insert", "DROP TABLE IF EXISTS customers_fts"):
            op.execute(statement)


def downgrade():
    # The trigram index comes back from 0002's own upgrade (it rebuilds from search_text).
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    op.drop_table('customer_words')
    spec = spec_from_file_location('search_index_0002', Path(__file__).with_name('0002_search_index.py'))
    trigram = module_from_spec(spec)
    spec.loader.exec_module(trigram)
    trigram.upgrade()
