"""What a staff login and a portal login share: a password, a session epoch, and the emailed
links that set the password."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from models._time import utcnow

# Verified against when there is no hash to check (an unknown email, a login whose password
# is not set yet), so every failed sign-in costs one verification, whoever it names.
_DUMMY_HASH = generate_password_hash("not a real password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Exactly one hash verification, with or without a hash to check."""
    matches = check_password_hash(password_hash or _DUMMY_HASH, password)
    return matches and password_hash is not None


class Login(UserMixin):
    """A row someone signs in as. Its session epoch is stored in the session at sign-in;
    the user loader refuses a session whose epoch is not the login's (sign_in.load_login)."""

    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    last_login_at: Mapped[datetime | None]

    def end_sessions(self) -> None:
        """End every session of this login, at its next request. The one list of triggers:
        signing out, setting or resetting the password (set_password), changing the login's
        email (the validator below), and removing the login (its row is gone, so the loader
        finds nothing). An UPDATE ... SET session_epoch = session_epoch + 1 at the next flush:
        two at once both count."""
        if self.id is not None:  # a login not yet saved has no sessions
            self.session_epoch = type(self).session_epoch + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @validates("email")
    def _email_change_ends_sessions(self, _key: str, email: str) -> str:
        if self.id is not None and self.email is not None and self.email != email:
            self.end_sessions()
        return email


class PasswordLink:
    """An emailed link that sets a login's password (an invitation or a reset), one table per
    kind of login; only its hash is kept. A concrete class adds the foreign key to its login
    and the relationship `login` (services/password_links.py works through it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # set when used, or when a newer link replaces it
