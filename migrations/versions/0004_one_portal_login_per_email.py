"""one portal login per email; session epochs; per-membership portal status

- portal_accounts: one row per email_key across partners (partner_id goes). Accounts
  of one email at several partners are merged into the one whose password was set
  most recently (its newest link used, else its newest sign-in); the others' memberships
  and links move to it, their links stop working if it has a password, and their
  last sign-in is kept if it is newer.
- staff_users and portal_accounts: session_epoch (see models/login.py).
- customer_users: portal_first_seen_at / portal_last_seen_at, the Users tab's status.
  Memberships of a login that has signed in start as seen at its last sign-in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:30:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

accounts = sa.table(
    "portal_accounts", sa.column("id", sa.Integer), sa.column("email_key", sa.String),
    sa.column("password_hash", sa.String), sa.column("last_login_at", sa.DateTime),
)
tokens = sa.table(
    "access_tokens", sa.column("id", sa.Integer), sa.column("account_id", sa.Integer),
    sa.column("used_at", sa.DateTime),
)
members = sa.table(
    "customer_users", sa.column("portal_account_id", sa.Integer),
    sa.column("portal_first_seen_at", sa.DateTime), sa.column("portal_last_seen_at", sa.DateTime),
)


def _merge_accounts_by_email(bind) -> None:
    rows = bind.execute(sa.select(accounts)).all()
    last_link = dict(bind.execute(
        sa.select(tokens.c.account_id, sa.func.max(tokens.c.used_at)).group_by(tokens.c.account_id)
    ).all())
    by_key: dict[str, list] = {}
    for row in rows:
        by_key.setdefault(row.email_key, []).append(row)
    oldest = datetime.min
    now = datetime.now(UTC).replace(tzinfo=None)
    for group in by_key.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: (r.password_hash is not None, last_link.get(r.id) or oldest,
                                  r.last_login_at or oldest, r.id), reverse=True)
        keep, *others = group
        other_ids = [r.id for r in others]
        logins = [r.last_login_at for r in group if r.last_login_at is not None]
        bind.execute(sa.update(accounts).where(accounts.c.id == keep.id)
                     .values(last_login_at=max(logins) if logins else None))
        bind.execute(sa.update(members).where(members.c.portal_account_id.in_(other_ids))
                     .values(portal_account_id=keep.id))
        moved = sa.update(tokens).where(tokens.c.account_id.in_(other_ids)).values(account_id=keep.id)
        bind.execute(moved)
        if keep.password_hash is not None:  # their links would set the kept password
            bind.execute(sa.update(tokens).where(tokens.c.id.in_(
                sa.select(tokens.c.id).where(tokens.c.account_id == keep.id, tokens.c.used_at.is_(None))
            )).values(used_at=now))
        bind.execute(sa.delete(accounts).where(accounts.c.id.in_(other_ids)))


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('customer_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('portal_first_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('portal_last_seen_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    _merge_accounts_by_email(bind)
    signed_in = sa.select(accounts.c.last_login_at).where(
        accounts.c.id == members.c.portal_account_id).scalar_subquery()
    bind.execute(sa.update(members).where(members.c.portal_account_id.is_not(None))
                 .values(portal_first_seen_at=signed_in, portal_last_seen_at=signed_in))

    with op.batch_alter_table('portal_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_portal_accounts_partner_id_email_key', type_='unique')
        batch_op.drop_constraint('fk_portal_accounts_partner_id_partners', type_='foreignkey')
        batch_op.drop_column('partner_id')
        batch_op.create_unique_constraint(batch_op.f('uq_portal_accounts_email_key'), ['email_key'])


def downgrade():
    # One login per email cannot be split back by partner: each login goes to the
    # partner of its first membership (a login with none goes to the first partner).
    bind = op.get_bind()
    with op.batch_alter_table('portal_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_portal_accounts_email_key'), type_='unique')
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
    bind.execute(sa.text(
        "UPDATE portal_accounts SET partner_id = COALESCE("
        " (SELECT c.partner_id FROM customer_users u JOIN customers c ON c.id = u.customer_id"
        "  WHERE u.portal_account_id = portal_accounts.id ORDER BY u.id LIMIT 1),"
        " (SELECT MIN(id) FROM partners))"
    ))
    with op.batch_alter_table('portal_accounts', schema=None) as batch_op:
        batch_op.alter_column('partner_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_portal_accounts_partner_id_partners'), 'partners',
                                    ['partner_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_portal_accounts_partner_id_email_key'),
                                          ['partner_id', 'email_key'])
        batch_op.drop_column('session_epoch')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
    with op.batch_alter_table('customer_users', schema=None) as batch_op:
        batch_op.drop_column('portal_last_seen_at')
        batch_op.drop_column('portal_first_seen_at')
