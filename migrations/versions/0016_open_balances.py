"""open balances kept by the invoice writes; indexes for the invoice list

- open_balance_days: what open invoices still owe per (partner, currency, due date);
  open_balance_customers: per (partner, customer, currency). Kept by
  services.invoices.balance_changed in each write's transaction; filled here from the
  invoices already there.
- ix_invoices_partner_status_due gains id (the overdue list is paged by due date, then id);
  ix_invoices_partner (partner_id, id) serves the list's first page.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 20:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open_balance_days',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_open_balance_days_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', 'currency', 'due_date', name=op.f('pk_open_balance_days'))
    )
    op.create_table('open_balance_customers',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_open_balance_customers_partner_id_customers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_open_balance_customers_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', 'customer_id', 'currency', name=op.f('pk_open_balance_customers'))
    )
    with op.batch_alter_table('open_balance_customers', schema=None) as batch_op:
        batch_op.create_index('ix_open_balance_customers_most', ['partner_id', 'balance', 'customer_id'], unique=False)
    op.execute(
        "INSERT INTO open_balance_days (partner_id, currency, due_date, balance)"
        " SELECT partner_id, currency, due_date, sum(total - amount_paid) FROM invoices"
        " WHERE status = 'open' GROUP BY partner_id, currency, due_date"
    )
    op.execute(
        "INSERT INTO open_balance_customers (partner_id, customer_id, currency, balance)"
        " SELECT partner_id, customer_id, currency, sum(total - amount_paid) FROM invoices"
        " WHERE status = 'open' GROUP BY partner_id, customer_id, currency"
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_partner_status_due')
        batch_op.create_index('ix_invoices_partner_status_due', ['partner_id', 'status', 'due_date', 'id'], unique=False)
        batch_op.create_index('ix_invoices_partner', ['partner_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_partner')
        batch_op.drop_index('ix_invoices_partner_status_due')
        batch_op.create_index('ix_invoices_partner_status_due', ['partner_id', 'status', 'due_date'], unique=False)
    with op.batch_alter_table('open_balance_customers', schema=None) as batch_op:
        batch_op.drop_index('ix_open_balance_customers_most')
    op.drop_table('open_balance_customers')
    op.drop_table('open_balance_days')
