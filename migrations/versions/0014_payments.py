"""payments, refunds and payment attempts; card surcharge settings

- payment_attempts: one press of Pay in the portal, its idempotency key unique per partner.
- payments: money toward one invoice (recorded by hand, or charged through the processor).
- refunds: all or part of a card payment, through the processor.
- partners.surcharge_percent (0 to 3) and surcharges_on; customers.surcharge_exempt.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 20:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('payment_method_id', sa.Integer(), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('surcharge', sa.BigInteger(), nullable=False),
    sa.Column('portal_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('surcharge >= 0 AND amount > 0', name=op.f('ck_payment_attempts_amounts_positive')),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_payment_attempts_partner_id_customers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_payment_attempts_partner_id_partners')),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_payment_attempts_payment_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['portal_account_id'], ['portal_accounts.id'], name=op.f('fk_payment_attempts_portal_account_id_portal_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts')),
    sa.UniqueConstraint('partner_id', 'idempotency_key', name='uq_payment_attempts_key')
    )
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('surcharge', sa.BigInteger(), nullable=False),
    sa.Column('refunded', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('payment_method_id', sa.Integer(), nullable=True),
    sa.Column('method_label', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('failure_message', sa.String(length=300), nullable=False),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_by_portal_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind IN ('card', 'bank')) = (charge_id IS NOT NULL)", name=op.f('ck_payments_charged_through_processor')),
    sa.CheckConstraint("currency IN ('USD', 'CAD')", name=op.f('ck_payments_currency_supported')),
    sa.CheckConstraint("kind IN ('card', 'bank', 'check', 'wire', 'cash', 'other')", name=op.f('ck_payments_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name=op.f('ck_payments_status_known')),
    sa.CheckConstraint("surcharge = 0 OR kind = 'card'", name=op.f('ck_payments_surcharge_on_cards_only')),
    sa.CheckConstraint('amount > 0 AND surcharge >= 0', name=op.f('ck_payments_amounts_positive')),
    sa.CheckConstraint('refunded >= 0 AND refunded <= amount', name=op.f('ck_payments_refunds_within_amount')),
    sa.ForeignKeyConstraint(['attempt_id'], ['payment_attempts.id'], name=op.f('fk_payments_attempt_id_payment_attempts')),
    sa.ForeignKeyConstraint(['created_by_portal_account_id'], ['portal_accounts.id'], name=op.f('fk_payments_created_by_portal_account_id_portal_accounts')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'], name=op.f('fk_payments_created_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_payments_partner_id_customers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_payments_partner_id_partners')),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_payments_payment_method_id_payment_methods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('partner_id', 'idempotency_key', name='uq_payments_key')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_partner_invoice', ['partner_id', 'invoice_id', 'id'], unique=False)
        batch_op.create_index('ix_payments_pending', ['status'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('processor_refund_id', sa.String(length=255), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'], name=op.f('fk_refunds_created_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_refunds_partner_id_partners')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('partner_id', 'idempotency_key', name='uq_refunds_key')
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_payment', ['payment_id', 'id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('surcharge_exempt', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('surcharge_percent', sa.Numeric(4, 2).with_variant(sa.String(6), 'sqlite'), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('surcharges_on', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint('surcharge_at_most_3', 'CAST(surcharge_percent AS NUMERIC) BETWEEN 0 AND 3')



def downgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_constraint('surcharge_at_most_3', type_='check')
        batch_op.drop_column('surcharges_on')
        batch_op.drop_column('surcharge_percent')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('surcharge_exempt')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_payment')

    op.drop_table('refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_pending', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_payments_partner_invoice')

    op.drop_table('payments')
    op.drop_table('payment_attempts')
