"""A customer being added: the draft between Continue and Create Customer.

Callers see only CustomerDraft: load it, change it, save it, discard it. The draft is a
row of customer_drafts (models/draft.py); the session holds only its token, so the
cookie stays small whatever the draft holds. Every read is scoped to the partner and
the staff user who wrote it: another's token finds nothing. Only Continue, the step-2
actions and Create Customer (and the two steps' pages) read or write it, never a blur
check. A draft not saved for DRAFT_LIFETIME is ignored, and deleted by the worker's
`drafts` job (delete_expired).
"""

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta

from flask import session
from sqlalchemy import delete

from extensions import db, insert_or_else
from models import StoredDraft
from models._time import utcnow
from tenancy import scoped
from unit_of_work import unit_of_work

TOKEN_RE = re.compile(r"[0-9a-f]{32}")
DRAFT_LIFETIME = timedelta(hours=12)  # as long as the session that names it
_KEY = "draft"


@dataclass(frozen=True)
class CustomerDraft:
    partner_id: int
    staff_id: int
    token: str
    details: dict | None = None
    users: list[dict] = field(default_factory=list)

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)

    @staticmethod
    def valid_token(token: str) -> bool:
        return bool(TOKEN_RE.fullmatch(token))

    @classmethod
    def load(cls, partner_id: int, staff_id: int) -> "CustomerDraft | None":
        """This staff user's current draft, if the session names one that has not expired."""
        token = session.get(_KEY)
        if not isinstance(token, str):
            return None
        row = db.session.scalar(_mine(partner_id, staff_id, token).where(StoredDraft.expires_at > utcnow()))
        if row is None:
            return None
        data = row.data or {}
        return cls(partner_id, staff_id, token, data.get("details"), list(data.get("users") or []))

    def is_stale(self, token: str) -> bool:
        """A page posted with another draft's token (an older tab) is out of date."""
        return self.token != token

    def with_(self, **changes) -> "CustomerDraft":
        return replace(self, **changes)

    def save(self) -> None:
        """Write the draft (its own unit of work, or the caller's) and name it in the session."""
        now = utcnow()
        values = {"data": {"details": self.details, "users": self.users},
                  "updated_at": now, "expires_at": now + DRAFT_LIFETIME}
        # One statement, so a twin request that deleted the draft meanwhile (Create Customer
        # in another tab) cannot make this fail; another's draft of this token stays theirs.
        write = insert_or_else(StoredDraft).values(
            token=self.token, partner_id=self.partner_id, staff_user_id=self.staff_id, **values)
        write = write.on_conflict_do_update(
            index_elements=[StoredDraft.token], set_=values,
            where=(StoredDraft.partner_id == self.partner_id) & (StoredDraft.staff_user_id == self.staff_id),
        )
        with unit_of_work():
            db.session.execute(write)
        session[_KEY] = self.token

    def discard(self) -> None:
        """Forget the draft (it was created, or cancelled)."""
        with unit_of_work():
            db.session.execute(
                delete(StoredDraft).where(StoredDraft.partner_id == self.partner_id,
                                          StoredDraft.staff_user_id == self.staff_id,
                                          StoredDraft.token == self.token)
            )
        if session.get(_KEY) == self.token:
            session.pop(_KEY)


def _mine(partner_id: int, staff_id: int, token: str):
    return scoped(StoredDraft, partner_id).where(StoredDraft.staff_user_id == staff_id, StoredDraft.token == token)


def delete_expired(_worker: str, _stopping) -> str | None:
    """The worker's `drafts` job: delete the drafts that expired (abandoned Add customer flows)."""
    with unit_of_work():
        gone = db.session.execute(delete(StoredDraft).where(StoredDraft.expires_at <= utcnow())).rowcount
    return f"drafts: deleted {gone} expired" if gone else None
