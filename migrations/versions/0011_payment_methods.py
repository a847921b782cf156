"""payment_methods: a customer's saved payment methods

The processor's token (unique), kind, brand, last four, expiry, holder; for banks the routing
number or institution and transit numbers and the account's last four; for a Canadian account
the PAD agreement accepted. Never a full card or account number, never a security code.
The customer is the partner's own (composite key); at most one active default per customer
(a partial unique index on both backends).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 19:55:36.500948

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('brand', sa.String(length=20), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('exp_month', sa.Integer(), nullable=True),
    sa.Column('exp_year', sa.Integer(), nullable=True),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('routing_number', sa.String(length=9), nullable=False),
    sa.Column('institution_number', sa.String(length=3), nullable=False),
    sa.Column('transit_number', sa.String(length=5), nullable=False),
    sa.Column('pad_accepted_by', sa.String(length=300), nullable=True),
    sa.Column('pad_accepted_at', sa.DateTime(), nullable=True),
    sa.Column('pad_text', sa.Text(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'bank_account') = (exp_month IS NULL AND exp_year IS NULL)", name=op.f('ck_payment_methods_expiry_only_on_cards')),
    sa.CheckConstraint("country IN ('US', 'CA')", name=op.f('ck_payment_methods_country_supported')),
    sa.CheckConstraint("kind <> 'bank_account' OR country <> 'CA' OR (length(institution_number) = 3 AND length(transit_number) = 5 AND pad_accepted_at IS NOT NULL)", name=op.f('ck_payment_methods_ca_bank_has_pad')),
    sa.CheckConstraint("kind <> 'bank_account' OR country <> 'US' OR length(routing_number) = 9", name=op.f('ck_payment_methods_us_bank_routed')),
    sa.CheckConstraint("kind IN ('credit_card', 'debit_card', 'bank_account')", name=op.f('ck_payment_methods_kind_known')),
    sa.CheckConstraint('exp_month IS NULL OR exp_month BETWEEN 1 AND 12', name=op.f('ck_payment_methods_exp_month_range')),
    sa.CheckConstraint('is_default = false OR archived_at IS NULL', name=op.f('ck_payment_methods_default_is_active')),
    sa.CheckConstraint('length(last4) = 4', name=op.f('ck_payment_methods_last4_four_digits')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'], name=op.f('fk_payment_methods_created_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['customer_users.id'], name=op.f('fk_payment_methods_created_by_user_id_customer_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_payment_methods_partner_id_customers')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_payment_methods_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('token', name=op.f('uq_payment_methods_token'))
    )
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.create_index('ix_payment_methods_partner_customer', ['partner_id', 'customer_id', 'id'], unique=False)
        batch_op.create_index('uq_payment_methods_one_default', ['partner_id', 'customer_id'], unique=True, postgresql_where=sa.text('is_default AND archived_at IS NULL'), sqlite_where=sa.text('is_default AND archived_at IS NULL'))



def downgrade():
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.drop_index('uq_payment_methods_one_default', postgresql_where=sa.text('is_default AND archived_at IS NULL'), sqlite_where=sa.text('is_default AND archived_at IS NULL'))
        batch_op.drop_index('ix_payment_methods_partner_customer')

    op.drop_table('payment_methods')
