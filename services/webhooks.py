"""Webhook endpoints, their signing secrets, their addresses' checks, and delivery.

Addresses: a webhook never goes to a private, loopback, link-local or otherwise non-public
address. The URL's host is resolved when the endpoint is saved (PublicAddressOnly, by the
field) and again at every delivery; the POST then connects to the address just checked (the
name is not resolved a second time, so a DNS answer that changes in between changes nothing)
and follows no redirect. WEBHOOK_ALLOW_LOOPBACK (tests, development; config.py refuses it in
production) lets loopback addresses through, and nothing else.

Secrets: "whsec_" + HMAC-SHA256(SECRET_KEY, the endpoint's random salt), so it can be shown
once and recomputed to sign, while the database alone holds nothing that signs. Changing
SECRET_KEY changes every endpoint's secret.

Signature (Stripe's scheme): `Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from mailer import BATCH, MAX_ATTEMPTS, Round, backoff, deliver_all_due, deliver_rows
from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models._time import utcnow
from services.errors import DomainError
from tenancy import scoped

TIMEOUT = 10  # seconds, to connect and for each read


class PublicAddressOnly(DomainError):
    field = "url"
    message = ("This URL leads to a private, loopback or link-local address: "
               "webhooks go only to servers on the public internet")


class HostNotFound(DomainError):
    field = "url"

    def __init__(self, host: str):
        super().__init__(f"No server called {host} could be found: check the URL")


# -- addresses ---------------------------------------------------------------------------

def _loopback_allowed() -> bool:
    config = current_app.config
    return bool(config.get("WEBHOOK_ALLOW_LOOPBACK")) and config["APP_ENV"] != "production"


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback and _loopback_allowed():
        return True
    return ip.is_global and not ip.is_multicast


def _port(parts) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def checked_addresses(url: str) -> list[str]:
    """The addresses the URL's host resolves to now, all of them public, or PublicAddressOnly
    (one private address among them is enough to refuse: the resolver picks which one is used)."""
    parts = urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname, _port(parts), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HostNotFound(parts.hostname) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses or not all(is_public(address) for address in addresses):
        raise PublicAddressOnly()
    return addresses


# -- endpoints ---------------------------------------------------------------------------

def signing_secret(endpoint: WebhookEndpoint) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"webhook-signing-secret:" + endpoint.secret_salt.encode(), hashlib.sha256).digest()
    return "whsec_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def add_endpoint(partner_id: int, url: str) -> WebhookEndpoint:
    """url: already past forms.rules.normalize_webhook_url; its addresses are checked here."""
    checked_addresses(url)
    endpoint = WebhookEndpoint(partner_id=partner_id, url=url, secret_salt=secrets.token_hex(32), enabled=True)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def endpoints(partner_id: int) -> list[WebhookEndpoint]:
    return list(db.session.scalars(scoped(WebhookEndpoint, partner_id).order_by(WebhookEndpoint.id)))


def set_enabled(endpoint: WebhookEndpoint, enabled: bool) -> None:
    """A disabled endpoint gets no new events; what was queued for it still goes."""
    endpoint.enabled = enabled
    db.session.flush()


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """The endpoint, its deliveries and their log (events stay for other endpoints)."""
    db.session.delete(endpoint)
    db.session.flush()


def deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's newest deliveries, with their event and attempts."""
    return list(db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .options(selectinload(WebhookDelivery.event), selectinload(WebhookDelivery.tries))
        .order_by(WebhookDelivery.id.desc()).limit(limit)
    ))


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event (same id and body) to the same endpoint again, as a new delivery."""
    again = WebhookDelivery(endpoint_id=delivery.endpoint_id, event_id=delivery.event_id, next_attempt_at=utcnow())
    db.session.add(again)
    db.session.flush()
    return again


# -- signing and sending -----------------------------------------------------------------

def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address already checked; Host still names the URL's host."""

    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The checked address, and TLS verified against the URL's host name (SNI too)."""

    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class EndpointRefused(Exception):
    """The endpoint answered, but not with a 2xx."""

    def __init__(self, status: int, text: str):
        super().__init__(f"HTTP {status}: {text}" if text else f"HTTP {status}")
        self.status = status


def post(url: str, body: bytes, secret: str) -> int:
    """POST the signed body; the status if it was a 2xx, else EndpointRefused, PublicAddressOnly,
    HostNotFound or the network's OSError."""
    parts = urlsplit(url)
    address = checked_addresses(url)[0]
    connection_class = _PinnedHTTPS if parts.scheme.lower() == "https" else _PinnedHTTP
    connection = connection_class(parts.hostname, _port(parts), address)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": "receivables-webhooks/1",
               "Signature": signature_header(secret, body, int(time.time()))}
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(500).decode("utf-8", "replace").strip()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise EndpointRefused(response.status, text[:200])
    return response.status


def _record(delivery: WebhookDelivery, worker: str, now: datetime, status: int | None,
            error: Exception | None) -> None:
    delivery.attempts += 1
    delivery.locked_by = delivery.locked_until = None
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    else:
        status = getattr(error, "status", None)
        delivery.last_error = (error.message if isinstance(error, DomainError)
                               else f"{type(error).__name__}: {error}")[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.failed_at = "failed", now
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    db.session.add(WebhookAttempt(delivery_id=delivery.id, worker=worker, at=now, ok=error is None,
                                  status_code=status, error=delivery.last_error if error else None))


def deliver_round(*, worker: str, now: datetime | None = None, limit: int = BATCH,
                  stopping: Callable[[], bool] = lambda: False) -> Round:
    """Claim up to `limit` due deliveries and POST them, recording each attempt. Commits."""
    now = now or utcnow()

    def send(delivery: WebhookDelivery) -> bool:
        try:
            status = post(delivery.endpoint.url, delivery.event.body.encode(), signing_secret(delivery.endpoint))
        except (OSError, http.client.HTTPException, EndpointRefused, DomainError) as error:
            _record(delivery, worker, now, None, error)
            return False
        _record(delivery, worker, now, status, None)
        return True

    return deliver_rows(WebhookDelivery, worker=worker, now=now, limit=limit, stopping=stopping, deliver_one=send)


def deliver_webhooks(worker: str, stopping: Callable[[], bool]) -> str | None:
    """The worker's job (and `flask outbox send`'s): deliver what is due; say so when there was some."""
    total = deliver_all_due(worker=worker, stopping=stopping, deliver=deliver_round)
    if not total.claimed:
        return None
    line = f"Delivered {total.sent} webhook(s)."
    if total.failed:
        line += f" {total.failed} could not be delivered now (see the endpoint's delivery log)."
    return line
