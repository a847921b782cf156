"""API keys on API requests: `Authorization: Bearer <key>`, and nothing else (no session)."""

from dataclasses import dataclass

from flask import g, request

from blueprints.api import bp
from blueprints.api.errors import ApiError
from extensions import db
from services.api_keys import find_key, needs_touch, touch
from unit_of_work import unit_of_work

PUBLIC = {"api.docs"}
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    key_id: int
    partner_id: int
    staff_id: int
    scope: str


def caller() -> Caller:
    return g.api_caller


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, code="api_key_missing")
    key = find_key(secret.strip())
    if key is None:
        raise ApiError(401, "This API key is not known: check it, or make a new one on the dashboard",
                       code="api_key_invalid")
    if key.revoked_at is not None:
        raise ApiError(401, "This API key was revoked: make a new one on the dashboard", code="api_key_revoked")
    if request.method not in READS and key.scope != "write":
        raise ApiError(403)
    g.api_caller = Caller(key.id, key.partner_id, key.staff_user_id, key.scope)
    if request.method != "HEAD" and needs_touch(key):
        with unit_of_work():
            touch(key)
    db.session.expunge(key)
    return None
