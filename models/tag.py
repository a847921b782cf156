"""Tags: a partner's own labels for organizing and filtering its customers."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from extensions import db
from keys import tag_key
from models._time import utcnow

# The fixed palette: (value, label). Each value has a text/background pair in
# static/css/app.css (--tag-<value>-text, --tag-<value>-bg) that meets WCAG AA.
PALETTE = [
    ("gray", "Gray"),
    ("blue", "Blue"),
    ("green", "Green"),
    ("teal", "Teal"),
    ("purple", "Purple"),
    ("pink", "Pink"),
    ("red", "Red"),
    ("orange", "Orange"),
    ("yellow", "Yellow"),
]
COLORS = [value for value, _label in PALETTE]
NAME_MAX = 40
DESCRIPTION_MAX = 200


class Tag(db.Model):
    """A label a partner puts on customers. Always read through services.tags."""

    __tablename__ = "tags"
    __table_args__ = (
        # A name is unique per partner ignoring case (keys.tag_key, folded in Python).
        UniqueConstraint("partner_id", "name_key"),
        # The target of customer_tags' foreign key: a tag applies only within its partner.
        UniqueConstraint("partner_id", "id"),
        CheckConstraint("color IN (" + ", ".join(f"'{c}'" for c in COLORS) + ")", name="color_in_palette"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(255))
    color: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    @validates("name")
    def _keep_key(self, _key: str, name: str) -> str:
        self.name_key = tag_key(name)
        return name


# Which customer carries which tag. The partner's id is part of both foreign
# keys, so the database itself refuses a tag on another partner's customer.
# Each row also carries the customer's place in All Customers (its sort key, archived or
# not), so that the tag filter walks one tag's rows in the list's own order and counts them
# from the index alone, as a search walks one word's rows of customer_words. services.tags
# copies them when it tags a customer and follows the customer's rename, archive and restore
# (follow_customer), in the same transaction, never by triggers.
customer_tags = Table(
    "customer_tags",
    db.metadata,
    Column("partner_id", Integer, nullable=False),
    Column("customer_id", Integer, primary_key=True),
    Column("tag_id", Integer, primary_key=True),
    Column("company_sort", String(200), nullable=False),
    Column("archived", Boolean, nullable=False),
    ForeignKeyConstraint(
        ["partner_id", "customer_id"], ["customers.partner_id", "customers.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["partner_id", "tag_id"], ["tags.partner_id", "tags.id"], ondelete="CASCADE"),
    # The primary key serves "this customer's tags"; this one serves "customers with this tag".
    Index("ix_customer_tags_tag_customer", "tag_id", "customer_id"),
    # The tag filter of All Customers (or of its archived view), in the list's order.
    Index("ix_customer_tags_list", "partner_id", "tag_id", "archived", "company_sort", "customer_id"),
)
