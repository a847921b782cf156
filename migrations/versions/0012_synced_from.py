"""customers and invoices: source and external_id

Where a sync (the API, an import) brought a customer or an invoice from, and its id there:
unique per partner where the external id is set, so a sync that runs again never duplicates.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 20:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('customers', 'invoices')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
            batch_op.create_check_constraint('external_id_has_source', 'external_id IS NULL OR source IS NOT NULL')
        where = sa.text('external_id IS NOT NULL')
        op.create_index(f'uq_{table}_partner_source_external_id', table, ['partner_id', 'source', 'external_id'],
                        unique=True, postgresql_where=where, sqlite_where=where)


def downgrade():
    for table in TABLES:
        op.drop_index(f'uq_{table}_partner_source_external_id', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint('external_id_has_source', type_='check')
            batch_op.drop_column('external_id')
            batch_op.drop_column('source')
