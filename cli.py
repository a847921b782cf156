"""Command-line tasks: flask --app app create-partner | seed-demo."""

import secrets

import click
from flask import Flask
from sqlalchemy import func, insert, select

from extensions import db
from keys import email_key
from models import Customer, CustomerUser, Partner, StaffUser
from models.customer import derived_columns
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
    from mailer import register_outbox_cli

    register_outbox_cli(app)

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

    @app.cli.command("seed-demo")
    @click.option("--customers", "count", default=25, show_default=True, type=click.IntRange(0))
    @click.option("--email", default=DEMO_EMAIL, show_default=True)
    @click.option("--password", default=None, help="Default: a new random one, printed.")
    @click.option("--only-if-new", is_flag=True, help="Add no customers if the demo partner exists.")
    def seed_demo(count: int, email: str, password: str | None, only_if_new: bool) -> None:
        """Make (or add to) a demo partner with realistic customers."""
        from demo_data import demo_customers

        email = _valid_email(email)
        password = password or secrets.token_urlsafe(12)
        with unit_of_work():  # the demo partner and all its customers, or nothing
            staff = db.session.scalar(select(StaffUser).where(StaffUser.email_key == email_key(email)))
            if staff is None:
                staff = _new_partner(DEMO_PARTNER, email, password, "Dana Demo")
                db.session.flush()
            else:
                staff.set_password(password)
                if only_if_new:
                    count = 0
            partner_id = staff.partner_id
            start = db.session.scalar(
                select(func.count(Customer.id)).where(Customer.partner_id == partner_id)
            )
            for batch in demo_customers(start, count, batch_size=5000):
                rows = [
                    {**c["customer"], **derived_columns(c["customer"]["company"], c["customer"]["legal_name"],
                                                        c["customer"]["ein"], c["customer"]["city"]),
                     "partner_id": partner_id, "created_by_id": staff.id}
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
                users = [
                    {**u, "email_key": email_key(u["email"]), "customer_id": id_of[c["customer"]["company"]]}
                    for c in batch
                    for u in c["users"]
                ]
                db.session.execute(insert(CustomerUser), users)
        click.echo(f"Demo partner {DEMO_PARTNER!r}: added {count} customers.")
        click.echo(f"Sign in as {email} with password {password}")
