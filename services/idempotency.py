"""Idempotency-Key: a POST sent again with the same key gets the first response back.

The first request's row (partner, key, a hash of what it carried, its status and body) is
written in the same unit of work as what it changed, so both are saved or neither. A repeat
that comes while the first is still running meets the unique (partner_id, key) at its own
INSERT: it waits for the first to commit, then is refused (IdempotencyKeyInUse) and replays.
Rows are kept 24 hours; an older one is replaced by the next request with its key.
"""

import hashlib
from datetime import timedelta

from sqlalchemy import delete

from extensions import db
from models import IdempotentRequest
from models._time import utcnow
from services.errors import Conflict, raised_for
from tenancy import scoped
from unit_of_work import unit_of_work

KEPT = timedelta(hours=24)
KEY_MAX = 255


@raised_for("uq_idempotent_requests_partner_id_key")
class IdempotencyKeyInUse(Conflict):
    message = "Another request with this Idempotency-Key was running at the same time. Send it again."


class IdempotencyKeyReused(Conflict):
    message = ("This Idempotency-Key was used with another request: send a new key for a different request, "
               "or the same request for its first response")


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), path.encode(), body)).hexdigest()


def earlier(partner_id: int, key: str, fingerprint: str) -> IdempotentRequest | None:
    """The first response to this key within 24 hours, if any; IdempotencyKeyReused if that
    request carried something else."""
    row = db.session.scalar(scoped(IdempotentRequest, partner_id).where(
        IdempotentRequest.key == key, IdempotentRequest.created_at > utcnow() - KEPT))
    if row is not None and row.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return row


def remember(partner_id: int, key: str, fingerprint: str, status: int, body: str) -> None:
    """Keep the response, in the caller's unit of work (an expired row of the key goes first)."""
    db.session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.partner_id == partner_id, IdempotentRequest.key == key,
        IdempotentRequest.created_at <= utcnow() - KEPT))
    db.session.add(IdempotentRequest(partner_id=partner_id, key=key, request_hash=fingerprint, status=status,
                                     body=body))
    db.session.flush()


def delete_expired(_worker: str, _stopping) -> str | None:
    """The worker's `idempotency` job: delete the responses kept longer than 24 hours."""
    with unit_of_work():
        gone = db.session.execute(
            delete(IdempotentRequest).where(IdempotentRequest.created_at <= utcnow() - KEPT)).rowcount
    return f"idempotency: deleted {gone} expired" if gone else None


