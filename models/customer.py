from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, validates

from extensions import db
from keys import WORD_MAX, company_key, email_key, sort_key
from models._time import utcnow

if TYPE_CHECKING:
    from models.tag import Tag  # models.tag imports this module


SOURCE_MAX = 40
EXTERNAL_ID_MAX = 200


def synced_from_constraints(table: str) -> tuple:
    """A synced row (customers, invoices) is found again by (partner, source, external id): one
    per partner where the external id is set, and an external id always names its source."""
    where = text("external_id IS NOT NULL")
    return (
        Index(f"uq_{table}_partner_source_external_id", "partner_id", "source", "external_id", unique=True,
              postgresql_where=where, sqlite_where=where),
        CheckConstraint("external_id IS NULL OR source IS NOT NULL", name="external_id_has_source"),
    )


def derived_columns(company: str | None) -> dict[str, str]:
    """The sort key and the duplicate key kept beside a customer's company (the search has its
    own table, customer_words)."""
    return {"company_sort": sort_key(company or ""), "company_key": company_key(company or "")}


class CustomerUser(db.Model):
    """A person at a customer who receives and pays its invoices."""

    __tablename__ = "customer_users"
    __table_args__ = (UniqueConstraint("customer_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped["Customer"] = relationship(back_populates="users")
    # This membership's portal login (the one login of this email, across partners).
    portal_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="SET NULL"), index=True
    )
    portal_account = relationship("PortalAccount", back_populates="memberships")
    # When the portal first and last showed this company to its user: the Users tab's
    # "Active" (per membership, so a partner never learns of the login's other companies).
    portal_first_seen_at: Mapped[datetime | None]
    portal_last_seen_at: Mapped[datetime | None]

    @validates("email")
    def _keep_key(self, _key: str, email: str) -> str:
        self.email_key = email_key(email)
        return email


class Customer(db.Model):
    """A company a partner bills. Always read through tenancy.customers()."""

    __tablename__ = "customers"
    __table_args__ = (
        # One EIN per partner where set (NULLs never collide).
        UniqueConstraint("partner_id", "ein"),
        # Create Customer happens once per draft, whatever the browser resends.
        UniqueConstraint("partner_id", "draft_token"),
        CheckConstraint("country IN ('US', 'CA')", name="country_supported"),
        Index("ix_customers_partner_sort", "partner_id", "company_sort", "id"),
        Index("ix_customers_partner_company_key", "partner_id", "company_key"),
        # The target of customer_tags' foreign key: a tag applies only within its partner.
        UniqueConstraint("partner_id", "id"),
        # ?archived=1 pages through the few archived customers without walking the active ones.
        Index(
            "ix_customers_partner_archived_sort", "partner_id", "company_sort", "id",
            postgresql_where=text("archived_at IS NOT NULL"), sqlite_where=text("archived_at IS NOT NULL"),
        ),
        *synced_from_constraints("customers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    company: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    ein: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Derived in Python (see fold): the list's sort order and the duplicate check's key.
    company_sort: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200))  # for "possible duplicate"
    draft_token: Mapped[str | None] = mapped_column(String(64))
    # The profile's version: a profile edit saves only over the version it started from
    # (the UPDATE carries "WHERE version = ..."); services.customer_profile moves it on.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    archived_at: Mapped[datetime | None]
    # Where a sync brought it from ("quickbooks", "csv", …) and its id there: a sync that runs
    # again finds it by (partner, source, external id) and never makes a second one.
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX))
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX))
    # An exception to the partner's card surcharge: this customer is never surcharged.
    surcharge_exempt: Mapped[bool] = mapped_column(default=False, server_default=false())

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    users: Mapped[list[CustomerUser]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by=CustomerUser.id
    )
    user_count: Mapped[int] = column_property(
        select(db.func.count(CustomerUser.id))
        .where(CustomerUser.customer_id == id)
        .correlate_except(CustomerUser)
        .scalar_subquery(),
        deferred=True,
    )
    # Read-only here: services.tags writes customer_tags (with the partner's id) and the history.
    tags: Mapped[list["Tag"]] = relationship(
        secondary="customer_tags",
        primaryjoin="Customer.id == customer_tags.c.customer_id",
        secondaryjoin="Tag.id == customer_tags.c.tag_id",
        order_by="Tag.name_key",
        viewonly=True,
    )

    @validates("company")
    def _keep_derived(self, _key: str, value: str | None) -> str | None:
        for column, derived in derived_columns(value).items():
            setattr(self, column, derived)
        return value

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def place(self) -> str:
        return f"{self.city}, {self.state}, {self.country}"


# The search index (services/search.py): each prefix of each word of a customer's company,
# legal name, city and EIN, beside the customer's sort key, so a search walks one prefix's
# rows in the list's own order. services.search writes it in the customer's transaction.
# Some 30 rows per customer: one b-tree and no other index, so that 100,000 customers still
# seed in under a minute. A customer's rows are found by their key (services.search knows its
# words); deleting a customer (no page does) cascades by a scan.
customer_words = Table(
    "customer_words",
    db.metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("word", String(WORD_MAX), primary_key=True),
    Column("company_sort", String(200), primary_key=True),
    Column("customer_id", Integer, primary_key=True),
    ForeignKeyConstraint(
        ["partner_id", "customer_id"], ["customers.partner_id", "customers.id"], ondelete="CASCADE"
    ),
    sqlite_with_rowid=False,  # the primary key is the whole row: one b-tree, not two
)
