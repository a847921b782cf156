"""What a staff login and a portal login share: a password, a session epoch, and the emailed
links that set the password."""

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import String, case
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash

from models._time import utcnow

# Argon2id at OWASP's minimum (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. Each
# hash or verification touches its 19 MiB, the largest allocation a web worker makes (Werkzeug's
# scrypt before it, N=2^15 and r=8, took 32 MiB and was below OWASP's minimum for scrypt).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_ARGON2 = "$argon2"  # how an Argon2 hash starts; anything else is Werkzeug's ("scrypt:...", "pbkdf2:...")

# Verified against when there is no hash to check (an unknown email, a login whose password
# is not set yet), so every failed sign-in costs one verification, whoever it names.
_DUMMY_HASH = _HASHER.hash("not a real password")


def hash_password(password: str) -> str:
    """What a login stores for a new password (every writer of a hash goes through here)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Exactly one hash verification, with or without a hash to check. Argon2 hashes, and the
    Werkzeug hashes stored before them (each upgraded at its next sign-in: needs_rehash). A hash
    that cannot be read is no match, never an error."""
    checked = password_hash or _DUMMY_HASH
    try:
        if checked.startswith(_ARGON2):
            matches = _HASHER.verify(checked, password)
        else:
            matches = check_password_hash(checked, password)
    except (VerificationError, InvalidHashError, ValueError):  # a mismatch, or a malformed hash
        matches = False
    return matches and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash the password just matched is of another kind than hash_password makes:
    Werkzeug's, or Argon2 with other parameters."""
    return not password_hash.startswith(_ARGON2) or _HASHER.check_needs_rehash(password_hash)


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
        self.password_hash = hash_password(password)
        self.end_sessions()

    def upgrade_password_hash(self, password: str) -> None:
        """After a sign-in with the right password: a hash of an older kind (needs_rehash) is
        made again with hash_password and saved with the sign-in. The same password, so not a
        password change: its sessions go on. Written only over the hash that was checked (an
        UPDATE ... SET password_hash = CASE ... at the next flush), so a password set meanwhile
        by another request (a reset) stays."""
        if needs_rehash(self.password_hash):
            stored = type(self).password_hash
            self.password_hash = case((stored == self.password_hash, hash_password(password)), else_=stored)

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
