"""A customer being added: the draft between Continue and Create Customer.

Callers see only CustomerDraft: load it, change it, save it, discard it. Where it is
kept (today the server-side session) is this module's business alone, so drafts can
move into a table without a change to the views.
"""

import re
import secrets
from dataclasses import dataclass, field, replace

from flask import session

TOKEN_RE = re.compile(r"[0-9a-f]{32}")
_KEY = "customer_draft"


@dataclass(frozen=True)
class CustomerDraft:
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
    def load(cls) -> "CustomerDraft | None":
        """The signed-in partner's draft, if they have one."""
        stored = session.get(_KEY)
        if not stored:
            return None
        return cls(stored["token"], stored.get("details"), list(stored.get("users") or []))

    def is_stale(self, token: str) -> bool:
        """A page posted with another draft's token (an older tab) is out of date."""
        return self.token != token

    def with_(self, **changes) -> "CustomerDraft":
        return replace(self, **changes)

    def save(self) -> None:
        session[_KEY] = {"token": self.token, "details": self.details, "users": self.users}

    def discard(self) -> None:
        """Forget the draft (it was created, or cancelled)."""
        current = session.get(_KEY)
        if current and current.get("token") == self.token:
            session.pop(_KEY, None)
