"""api_keys and idempotent_requests

A partner's API keys (only their SHA-256 stored), and each POST's first response kept for its
Idempotency-Key (unique per partner).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=5), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f('ck_api_keys_scope_known')),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_api_keys_partner_id_partners')),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'],
                                name=op.f('fk_api_keys_staff_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    )
    op.create_index(op.f('ix_api_keys_partner_id'), 'api_keys', ['partner_id'], unique=False)
    op.create_table(
        'idempotent_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'],
                                name=op.f('fk_idempotent_requests_partner_id_partners')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_requests')),
        sa.UniqueConstraint('partner_id', 'key', name=op.f('uq_idempotent_requests_partner_id_key')),
    )
    op.create_index(op.f('ix_idempotent_requests_created_at'), 'idempotent_requests', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_idempotent_requests_created_at'), table_name='idempotent_requests')
    op.drop_table('idempotent_requests')
    op.drop_index(op.f('ix_api_keys_partner_id'), table_name='api_keys')
    op.drop_table('api_keys')
