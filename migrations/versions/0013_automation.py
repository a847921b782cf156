"""automation: reminder steps, who is left out, summaries, and the ledgers (reminder_deliveries, summary_deliveries)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 19:56:45.191695

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('subject_template', sa.String(length=300), nullable=False),
    sa.Column('body_template', sa.Text(), nullable=False),
    sa.CheckConstraint('offset_days BETWEEN -60 AND 120', name=op.f('ck_reminder_steps_offset_in_range')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_reminder_steps_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_steps')),
    sa.UniqueConstraint('partner_id', 'position', name=op.f('uq_reminder_steps_partner_id_position'))
    )
    op.create_table('summary_schedules',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.CheckConstraint("period IN ('weekly', 'monthly')", name=op.f('ck_summary_schedules_period_known')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_summary_schedules_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_summary_schedules'))
    )
    op.create_table('reminders_off_customers',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_reminders_off_customers_partner_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_reminders_off_customers'))
    )
    op.create_table('reminders_off_tags',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_reminders_off_tags_partner_id_partners')),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_reminders_off_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag_id', name=op.f('pk_reminders_off_tags'))
    )
    op.create_table('summary_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_summary_deliveries_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_summary_deliveries_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_deliveries')),
    sa.UniqueConstraint('customer_id', 'period_start', name=op.f('uq_summary_deliveries_customer_id_period_start'))
    )
    with op.batch_alter_table('summary_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_deliveries_partner_id'), ['partner_id'], unique=False)

    op.create_table('summary_excluded_customers',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id', 'customer_id'], ['customers.partner_id', 'customers.id'], name=op.f('fk_summary_excluded_customers_partner_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_summary_excluded_customers'))
    )
    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('step_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.CheckConstraint("outcome IN ('sent', 'skipped', 'manual', 'no_users')", name=op.f('ck_reminder_deliveries_outcome_known')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reminder_deliveries_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_reminder_deliveries_partner_id_partners')),
    sa.ForeignKeyConstraint(['step_id'], ['reminder_steps.id'], name=op.f('fk_reminder_deliveries_step_id_reminder_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries')),
    sa.UniqueConstraint('invoice_id', 'step_id', name=op.f('uq_reminder_deliveries_invoice_id_step_id'))
    )
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_deliveries_partner_invoice', ['partner_id', 'invoice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_deliveries_partner_invoice')

    op.drop_table('reminder_deliveries')
    op.drop_table('summary_excluded_customers')
    with op.batch_alter_table('summary_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_deliveries_partner_id'))

    op.drop_table('summary_deliveries')
    op.drop_table('reminders_off_tags')
    op.drop_table('reminders_off_customers')
    op.drop_table('summary_schedules')
    op.drop_table('reminder_steps')
