"""invoices.amount_paid

What payments have covered of an invoice, in cents, kept by the payments service in the same
unit of work as each payment or refund; the balance is total - amount_paid.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_paid', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint('paid_within_total', 'amount_paid >= 0 AND amount_paid <= total')


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint('paid_within_total', type_='check')
        batch_op.drop_column('amount_paid')
