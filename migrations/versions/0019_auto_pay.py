"""auto_pay: rules, the invoices left out of them, and the ledger of charges (auto_pay_charges)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25 21:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auto_pay_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("scope IN ('customer', 'tag', 'all')", name=op.f('ck_auto_pay_rules_scope_known')),
    sa.CheckConstraint("(scope = 'customer') = (customer_id IS NOT NULL) AND (scope = 'tag') = (tag_id IS NOT NULL)",
                       name=op.f('ck_auto_pay_rules_scope_has_its_target')),
    sa.CheckConstraint('offset_days BETWEEN -60 AND 120', name=op.f('ck_auto_pay_rules_offset_in_range')),
    sa.CheckConstraint('max_retries BETWEEN 0 AND 5', name=op.f('ck_auto_pay_rules_retries_in_range')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_auto_pay_rules_partner_id_partners')),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'],
                            name=op.f('fk_auto_pay_rules_partner_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id', 'tag_id'], ['tags.partner_id', 'tags.id'],
                            name=op.f('fk_auto_pay_rules_partner_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auto_pay_rules'))
    )
    op.create_index(op.f('ix_auto_pay_rules_partner_id'), 'auto_pay_rules', ['partner_id'], unique=False)
    op.create_table('auto_pay_exclusions',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_auto_pay_exclusions_partner_id_partners')),
    sa.ForeignKeyConstraint(['rule_id'], ['auto_pay_rules.id'], name=op.f('fk_auto_pay_exclusions_rule_id_auto_pay_rules'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_auto_pay_exclusions_invoice_id_invoices'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'invoice_id', name=op.f('pk_auto_pay_exclusions'))
    )
    op.create_table('auto_pay_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('attempt_key', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('payment_attempt_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('pending', 'charged', 'declined')", name=op.f('ck_auto_pay_charges_outcome_known')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_auto_pay_charges_partner_id_partners')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_auto_pay_charges_invoice_id_invoices'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['auto_pay_rules.id'], name=op.f('fk_auto_pay_charges_rule_id_auto_pay_rules'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_attempt_id'], ['payment_attempts.id'],
                            name=op.f('fk_auto_pay_charges_payment_attempt_id_payment_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auto_pay_charges')),
    sa.UniqueConstraint('invoice_id', 'attempt_no', name=op.f('uq_auto_pay_charges_invoice_id_attempt_no'))
    )
    op.create_index('ix_auto_pay_charges_partner_invoice', 'auto_pay_charges', ['partner_id', 'invoice_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_auto_pay_charges_partner_invoice', table_name='auto_pay_charges')
    op.drop_table('auto_pay_charges')
    op.drop_table('auto_pay_exclusions')
    op.drop_index(op.f('ix_auto_pay_rules_partner_id'), table_name='auto_pay_rules')
    op.drop_table('auto_pay_rules')
