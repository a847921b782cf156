"""Command-line tasks: flask --app app create-partner | seed-demo (and worker, outbox: see worker.py, mailer.py)."""

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, insert, select, text

from extensions import db, init_migrations
from keys import email_key
from models import Customer, CustomerUser, Invoice, Partner, StaffUser, Tag, customer_tags, customer_words
from models._time import utcnow
from models.customer import derived_columns
from services import search
from services.bulk import foreign_keys_checked_once, insert_rows
from unit_of_work import unit_of_work

DEMO_PARTNER = "Demo IT Services"
DEMO_EMAIL = "demo@example.com"


def _new_partner(name: str, email: str, password: str, staff_name: str) -> StaffUser:
    partner = Partner(name=name)
    staff = StaffUser(partner=partner, name=staff_name, email=email, email_key=email_key(email))
    staff.set_password(password)
    db.session.add_all([partner, staff])
    return staff


def _valid_email(email: str) -> str:
    from forms.rules import RuleError, normalize_email

    try:
        return normalize_email(email)
    except RuleError as error:
        raise click.UsageError(f"{email!r} is not a valid email address: {error}.") from None


def _valid_name(value: str, label: str, *, required: bool) -> str:
    """The forms' rule for a single-line name: trimmed, printable on one line (it goes into
    email subjects), at most 200 characters."""
    from forms.rules import RuleError, clean_text

    try:
        return clean_text(value, label=label, max_length=200, required=required,
                          required_message=f"Give the {label.lower()}.")
    except RuleError as error:
        raise click.UsageError(f"{error}.") from None


def register_cli(app: Flask) -> None:
    from automation import register_automation_cli
    from mailer import register_outbox_cli
    from worker import register_worker_cli

    register_outbox_cli(app)
    register_worker_cli(app)
    register_automation_cli(app)

    # `flask db ...` is Flask-Migrate's group, loaded when it runs (init_migrations): its
    # arguments, --help included, go to it unchanged.
    @app.cli.command("db", add_help_option=False,
                     context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    @click.pass_context
    def db_commands(ctx):
        """Database migrations (Flask-Migrate: upgrade, check, migrate, ...)."""
        init_migrations(current_app)
        from flask_migrate.cli import db as commands

        return commands.main(args=ctx.args, prog_name=ctx.command_path, obj=ctx.obj, standalone_mode=False)

    @app.cli.command("create-partner")
    @click.argument("name")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--staff-name", default="", help="The first login's own name.")
    def create_partner(name: str, email: str, password: str, staff_name: str) -> None:
        """Create a partner and its first staff login."""
        name = _valid_name(name, "Partner name", required=True)
        staff_name = _valid_name(staff_name, "Staff name", required=False)
        email = _valid_email(email)
        if len(password) < 12:
            raise click.UsageError("The password must be at least 12 characters.")
        if db.session.scalar(select(StaffUser).where(StaffUser.email_key == email_key(email))):
            raise click.UsageError(f"{email} already has a login.")
        with unit_of_work():
            _new_partner(name, email, password, staff_name or email.split("@")[0])
        click.echo(f"Created partner {name!r} with login {email}.")

    @app.cli.group("api-key")
    def api_key() -> None:
        """API keys (also made and revoked on the dashboard's API keys page)."""

    @api_key.command("create")
    @click.argument("email")
    @click.option("--scope", type=click.Choice(["read", "write"]), required=True)
    @click.option("--name", default="Made with the CLI", help="What uses the key.")
    def create_api_key(email: str, scope: str, name: str) -> None:
        """Make an API key for EMAIL's partner; the key alone is the last line printed."""
        from services.api_keys import create_key

        staff = db.session.scalar(select(StaffUser).where(StaffUser.email_key == email_key(_valid_email(email))))
        if staff is None:
            raise click.UsageError(f"{email} has no staff login.")
        with unit_of_work():
            key, secret = create_key(partner_id=staff.partner_id, staff_id=staff.id, scope=scope, name=name)
            click.echo(f"Made a {scope} key {key.prefix}… for {staff.partner.name}; it is shown this once:")
        click.echo(secret)

    @app.cli.command("seed-demo")
    @click.option("--customers", "count", default=25, show_default=True, type=click.IntRange(0))
    @click.option("--email", default=DEMO_EMAIL, show_default=True)
    @click.option("--password", default=None,
                  help="Default: the one kept in instance/demo-login.txt (development), else a new random one.")
    @click.option("--only-if-new", is_flag=True, help="Add no customers if the demo partner exists.")
    @click.option("--invoices", "invoice_count", default=None, type=click.IntRange(0),
                  help="Invoices to add, in every state, over the last 120 days. Default: 3 per customer "
                       "(at most 2,000) when the demo partner has none yet.")
    def seed_demo(count: int, email: str, password: str | None, only_if_new: bool, invoice_count: int | None) -> None:
        """Make (or add to) a demo partner with realistic customers and a portal user."""
        email = _valid_email(email)
        saved = _saved_logins()
        password = password or _saved_password(saved, "partner", email) or secrets.token_urlsafe(12)
        with unit_of_work():  # the demo partner, its customers and portal login, or nothing
            staff = db.session.scalar(select(StaffUser).where(StaffUser.email_key == email_key(email)))
            found = staff is not None
            if staff is None:
                staff = _new_partner(DEMO_PARTNER, email, password, "Dana Demo")
                db.session.flush()
            elif not staff.check_password(password):
                staff.set_password(password)
            if found and only_if_new:
                count = 0
            total = _add_demo_customers(staff, count)
            invoices = _add_demo_invoices(staff, total, invoice_count)
            portal_login = _demo_portal_login(staff.partner_id, saved)
        logins = {"partner": (email, password)}
        if portal_login:
            logins["portal"] = portal_login
        _save_logins(logins)

        if found and only_if_new:
            click.echo(f"The demo data is already there: {total} customers.")
        else:
            click.echo(f"Demo partner {DEMO_PARTNER!r}: added {count} customers ({total} in all).")
        if invoices[0]:
            click.echo(f"Added {invoices[0]} invoices ({invoices[1]} in all).")
        click.echo(f"Sign in as {email} with password {password}")
        if portal_login:
            portal_url = f"{current_app.config['BASE_URL']}/portal/login"
            click.echo(f"Sign in to the portal at {portal_url} as {portal_login[0]} with password {portal_login[1]}")


def _demo_tags(partner_id: int, staff_id: int, tags: list[tuple[str, str]]) -> dict[str, int]:
    """The demo partner's tags (name, color), made if missing: {name: id}."""
    from services.tags import find_tag_by_name

    ids = {}
    for name, color in tags:
        tag = find_tag_by_name(partner_id, name)
        if tag is None:
            tag = Tag(partner_id=partner_id, created_by_id=staff_id, name=name, color=color)
            db.session.add(tag)
            db.session.flush()
        ids[name] = tag.id
    return ids


def _add_demo_customers(staff: StaffUser, count: int) -> int:
    """Add `count` demo customers to the staff's partner, with their search words and tags;
    returns how many it has in all."""
    from demo_data import DEMO_TAGS, demo_customers

    partner_id = staff.partner_id
    start = db.session.scalar(select(func.count(Customer.id)).where(Customer.partner_id == partner_id))
    if not count:
        return start
    tag_ids = _demo_tags(partner_id, staff.id, DEMO_TAGS)
    if db.session.get_bind().dialect.name == "sqlite":
        # The search index takes some 30 rows per customer, inserted in no order: with its
        # pages in memory SQLite does that far faster (1 GB at most, freed on exit).
        db.session.execute(text("PRAGMA cache_size = -1048576"))
    with foreign_keys_checked_once(customer_words, customer_tags):
        for batch in demo_customers(start, count, batch_size=5000):
            _insert_demo_batch(batch, partner_id, staff.id, tag_ids)
    return start + count


def _insert_demo_batch(batch: list[dict], partner_id: int, staff_id: int, tag_ids: dict[str, int]) -> None:
    """One batch of demo customers with their users, search words and tags: the customers as
    a Core insert of many rows each, the rest as plain rows (services.bulk: COPY on PostgreSQL)."""
    rows = [
        {**c["customer"], **derived_columns(c["customer"]["company"]),
         "partner_id": partner_id, "created_by_id": staff_id}
        for c in batch
    ]
    # A Core insert with RETURNING goes out as a few multi-row statements. The ORM's
    # RETURNING in parameter order sends one statement per row on SQLite and splices
    # the results together (quadratic: 33 s for 100,000). A demo company name is
    # unique, so the ids are matched back to the rows by it instead.
    table = Customer.__table__
    id_of = dict(db.session.execute(insert(table).returning(table.c.company, table.c.id), rows).all())
    if len(id_of) != len(rows):
        raise click.ClickException("demo company names must be unique within a batch")
    # Users and tags as plain rows too: a Core insert without RETURNING went out on PostgreSQL
    # as one statement per row (260,000 of them for 100,000 customers, 30 s of the server's time).
    now = utcnow()
    insert_rows(CustomerUser.__table__, ("customer_id", "name", "email", "email_key", "created_at"), [
        (id_of[c["customer"]["company"]], u["name"], u["email"], email_key(u["email"]), now)
        for c in batch
        for u in c["users"]
    ])
    search.add_to_index([word for row in rows for word in search.word_rows(partner_id, id_of[row["company"]], row)])
    insert_rows(customer_tags, ("partner_id", "customer_id", "tag_id", "company_sort", "archived"), [
        (partner_id, id_of[row["company"]], tag_ids[name], row["company_sort"], False)
        for c, row in zip(batch, rows, strict=True) for name in c["tags"]
    ])


def _add_demo_invoices(staff: StaffUser, customers: int, asked: int | None) -> tuple[int, int]:
    """(added, in all): `asked` invoices, or by default a few per customer when there are none yet."""
    from demo_invoices import DEFAULT_MOST, DEFAULT_PER_CUSTOMER, add_demo_invoices
    from services.invoices import partner_today

    had = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.partner_id == staff.partner_id))
    count = asked if asked is not None else (0 if had else min(customers * DEFAULT_PER_CUSTOMER, DEFAULT_MOST))
    total = add_demo_invoices(staff.partner_id, staff.id, count, partner_today(staff.partner))
    return total - had, total


def _demo_portal_login(partner_id: int, saved: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The first user of the partner's first customer, with a portal password set: (email, password)."""
    from services.portal_access import account_for

    user = db.session.scalar(
        select(CustomerUser).join(Customer)
        .where(Customer.partner_id == partner_id).order_by(Customer.id, CustomerUser.id).limit(1)
    )
    if user is None:
        return None
    password = _saved_password(saved, "portal", user.email) or secrets.token_urlsafe(12)
    account = account_for(user.email)
    user.portal_account = account
    if not account.check_password(password):
        account.set_password(password)
    return user.email, password


# -- instance/demo-login.txt: "ROLE EMAIL PASSWORD" lines ------------------------------------

def _saved_logins() -> dict[str, tuple[str, str]]:
    path = current_app.config.get("DEMO_LOGIN_FILE")
    if not path or not Path(path).exists():
        return {}
    logins = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            logins[parts[0]] = (parts[1], parts[2])
    return logins


def _saved_password(saved: dict[str, tuple[str, str]], role: str, email: str) -> str | None:
    saved_email, password = saved.get(role, ("", ""))
    return password if password and email_key(saved_email) == email_key(email) else None


def _save_logins(logins: dict[str, tuple[str, str]]) -> None:
    path = current_app.config.get("DEMO_LOGIN_FILE")
    if not path:
        return
    lines = ["# The demo logins `flask seed-demo` keeps across starts (development only).",
             "# Delete this file to get new passwords at the next start."]
    lines += [f"{role} {email} {password}" for role, (email, password) in logins.items()]
    # Created readable by its owner only; a file left from before is tightened too.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
