"""A partner's API keys: made (the key shown once), found by the key a request carries, revoked.

A key is `rk_` and 43 random characters; only its SHA-256 is stored, beside its first
characters (the prefix the dashboard shows). Found by its hash: one indexed lookup.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from extensions import db
from forms import rules
from models import ApiKey
from models._time import utcnow
from models.api import SCOPES
from services.errors import DomainError
from tenancy import scoped

KEY_PREFIX = "rk_"
PREFIX_SHOWN = 11  # "rk_" and 8 characters
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class UnknownScope(DomainError):
    field = "scope"
    message = "Choose read or write"


def create_key(*, partner_id: int, staff_id: int, scope: str, name: str) -> tuple[ApiKey, str]:
    """A new key of the partner. Returns the row and the key itself (shown once, never stored)."""
    if scope not in SCOPES:
        raise UnknownScope()
    try:
        name = rules.clean_text(name, label="Name", max_length=100, required=True,
                                required_message="Enter a name for the key")
    except rules.RuleError as error:
        raise DomainError(str(error), field="name") from None
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(partner_id=partner_id, staff_user_id=staff_id, name=name, scope=scope,
                 prefix=secret[:PREFIX_SHOWN], key_hash=key_hash(secret))
    db.session.add(key)
    db.session.flush()
    return key, secret


def find_key(secret: str) -> ApiKey | None:
    """The key (revoked or not) whose secret this is."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(secret)))


def partner_keys(partner_id: int) -> list[ApiKey]:
    """The partner's keys, the live ones first, newest first."""
    return list(db.session.scalars(
        scoped(ApiKey, partner_id).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())))


def revoke_key(key: ApiKey) -> bool:
    """Stop the key at once. False if it was already revoked."""
    changed = db.session.execute(
        update(ApiKey).where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False}).rowcount
    db.session.expire(key, ["revoked_at"])
    return bool(changed)


def needs_touch(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at >= TOUCH_EVERY


def touch(key: ApiKey) -> None:
    """Record that the key was used now (conditional: many requests at once write it once)."""
    now = utcnow()
    db.session.execute(
        update(ApiKey).where(ApiKey.id == key.id,
                             (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now), execution_options={"synchronize_session": False})
