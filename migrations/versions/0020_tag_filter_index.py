"""the tag filter's index: customer_tags carries its customer's place in All Customers

Adds company_sort and archived to customer_tags (models.tag.customer_tags), copied from each
row's customer, and the index (partner_id, tag_id, archived, company_sort, customer_id) that
the tag filter walks in the list's order. SQLite takes the NOT NULL change in batch mode.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25 23:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_sort', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('archived', sa.Boolean(), nullable=True))
    # One statement for every row: the customer's sort key and whether it is archived.
    op.execute(
        "UPDATE customer_tags SET"
        " company_sort = (SELECT company_sort FROM customers WHERE customers.id = customer_tags.customer_id),"
        " archived = (SELECT archived_at IS NOT NULL FROM customers WHERE customers.id = customer_tags.customer_id)"
    )
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.alter_column('company_sort', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('archived', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_index('ix_customer_tags_list',
                              ['partner_id', 'tag_id', 'archived', 'company_sort', 'customer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_tags_list')
        batch_op.drop_column('archived')
        batch_op.drop_column('company_sort')
