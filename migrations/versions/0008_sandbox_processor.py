"""sandbox processor: the sandbox gateway's own tokens, charges and refunds

Owned by payments/sandbox.py, which stands for the processor in test mode; the app's
own tables never point into them. No card or account number is kept: a token keeps
its test behaviour and what the app may store about the method.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 18:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_tokens',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('method', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome <> ''", name=op.f('ck_sandbox_tokens_outcome_given')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_sandbox_tokens'))
    )
    op.create_table('sandbox_charges',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('failure_code', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('succeeded', 'pending', 'failed')", name=op.f('ck_sandbox_charges_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_sandbox_charges_amount_positive')),
    sa.ForeignKeyConstraint(['token'], ['sandbox_tokens.token'], name=op.f('fk_sandbox_charges_token_sandbox_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_charges')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_sandbox_charges_idempotency_key'))
    )
    with op.batch_alter_table('sandbox_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_charges_token'), ['token'], unique=False)
    op.create_table('sandbox_refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('charge_id', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_sandbox_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['charge_id'], ['sandbox_charges.id'], name=op.f('fk_sandbox_refunds_charge_id_sandbox_charges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_sandbox_refunds_idempotency_key'))
    )
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_refunds_charge_id'), ['charge_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_refunds_charge_id'))
    op.drop_table('sandbox_refunds')
    with op.batch_alter_table('sandbox_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_charges_token'))
    op.drop_table('sandbox_charges')
    op.drop_table('sandbox_tokens')
