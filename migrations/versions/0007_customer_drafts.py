"""drafts in their own table; cookie sessions; customers.search_text goes

- customer_drafts: the customer being added (services/drafts.py), named by the session's
  draft token, one row per draft, scoped to its partner and staff user.
- web_sessions (Flask-Session's table, made by Flask-Session at start-up, never by a
  migration) goes if it is there: sessions are Flask's signed cookie now.
- customers.search_text goes: the word index (customer_words, 0003) replaced it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'customer_drafts',
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_customer_drafts_partner_id_partners'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'],
                                name=op.f('fk_customer_drafts_staff_user_id_staff_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_customer_drafts')),
    )
    with op.batch_alter_table('customer_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_drafts_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_drafts_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_drafts_staff_user_id'), ['staff_user_id'], unique=False)

    op.execute("DROP TABLE IF EXISTS web_sessions")
    # Not batch mode on SQLite: rebuilding customers would have to carry its partial index
    # over; SQLite (3.35+) drops a column in place, as PostgreSQL does.
    op.execute("ALTER TABLE customers DROP COLUMN search_text")


def downgrade():
    from keys import _fold

    op.add_column('customers', sa.Column('search_text', sa.String(length=700), server_default='', nullable=False))
    customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('company', sa.String),
                         sa.column('legal_name', sa.String), sa.column('ein', sa.String),
                         sa.column('city', sa.String), sa.column('search_text', sa.String))
    bind = op.get_bind()
    for row in bind.execute(sa.select(customers)).all():
        parts = [row.company, row.legal_name, row.ein, (row.ein or '').replace('-', ''), row.city]
        text = _fold(' | '.join(p for p in parts if p))[:700]
        bind.execute(sa.update(customers).where(customers.c.id == row.id).values(search_text=text))
    # Flask-Session makes web_sessions again at its next start.
    with op.batch_alter_table('customer_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_drafts_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_customer_drafts_partner_id'))
        batch_op.drop_index(batch_op.f('ix_customer_drafts_expires_at'))
    op.drop_table('customer_drafts')
