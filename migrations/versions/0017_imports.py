"""CSV imports: uploads with their progress and report, remembered column mappings

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('mapping', sa.Text(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('done_rows', sa.Integer(), nullable=False),
        sa.Column('report', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('customers', 'invoices')", name=op.f('ck_import_uploads_kind_known')),
        sa.CheckConstraint("state IN ('ready', 'queued', 'running', 'done')", name=op.f('ck_import_uploads_state_known')),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_import_uploads_partner_id_partners')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_import_uploads_staff_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_uploads')),
    )
    op.create_index(op.f('ix_import_uploads_partner_id'), 'import_uploads', ['partner_id'])
    op.create_table(
        'import_columns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('header_key', sa.String(length=100), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_import_columns_partner_id_partners')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_columns')),
        sa.UniqueConstraint('partner_id', 'kind', 'header_key', name=op.f('uq_import_columns_partner_kind_header')),
    )


def downgrade():
    op.drop_table('import_columns')
    op.drop_table('import_uploads')
