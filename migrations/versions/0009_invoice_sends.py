"""invoice sends and email attachments

- invoice_sends: every Send (and resend) of an invoice, by whom, to how many users.
- outbox_attachments: files stored with a queued email when it is queued (an invoice's PDF).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_sends_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_invoice_sends_partner_id_partners')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_invoice_sends_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_sends'))
    )
    with op.batch_alter_table('invoice_sends', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_sends_partner_invoice', ['partner_id', 'invoice_id', 'id'], unique=False)

    op.create_table('outbox_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['email_id'], ['outbox_emails.id'], name=op.f('fk_outbox_attachments_email_id_outbox_emails'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachments_email_id'), ['email_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_email_id'))
    op.drop_table('outbox_attachments')
    with op.batch_alter_table('invoice_sends', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_sends_partner_invoice')
    op.drop_table('invoice_sends')
