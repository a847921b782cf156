"""Email: queue in the caller's transaction, deliver later (flask --app app outbox send).

Delivery is at least once: an email is marked sent right after the SMTP server
accepts it; a crash in between means a retry, with the same Message-ID.
"""

import smtplib
import time
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select, update

from extensions import db
from models import DeliveryAttempt, OutboxEmail
from models._time import utcnow

MAX_ATTEMPTS = 8
CLAIM_FOR = timedelta(minutes=5)  # a claim older than this belongs to a worker that died
BATCH = 50


def _domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rpartition("@")[2].strip(">") or "localhost"


def queue_email(*, to: str, subject: str, text: str, html: str, ref: str | None = None) -> OutboxEmail:
    """Add an email to the outbox. Never commits: it goes out only if the caller's transaction does."""
    email = OutboxEmail(to_address=to, subject=subject, text_body=text, html_body=html, ref=ref,
                        message_id=make_msgid(idstring=uuid.uuid4().hex[:12], domain=_domain()),
                        status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(email)
    db.session.flush()
    return email


def latest_status(ref: str) -> tuple[str, datetime | None] | None:
    """(status, when) of the newest email with this reference."""
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.ref == ref).order_by(OutboxEmail.id.desc()))
    if email is None:
        return None
    return email.status, email.sent_at or email.created_at


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * 2 ** (attempts - 1), timedelta(hours=6))


def _claim(worker: str, now: datetime, limit: int) -> list[int]:
    """Lock due emails for this worker; two workers never claim the same one."""
    due = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == "queued", OutboxEmail.next_attempt_at <= now,
               (OutboxEmail.locked_until.is_(None)) | (OutboxEmail.locked_until < now))
        .order_by(OutboxEmail.id).limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = db.session.scalars(due).all()
    if ids:
        # On SQLite the UPDATE itself is the lock: only rows still unclaimed are taken.
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids),
                   (OutboxEmail.locked_until.is_(None)) | (OutboxEmail.locked_until < now))
            .values(locked_by=worker, locked_until=now + CLAIM_FOR)
        )
    db.session.commit()
    return db.session.scalars(
        select(OutboxEmail.id).where(OutboxEmail.id.in_(ids), OutboxEmail.locked_by == worker)
    ).all() if ids else []


def build_message(email: OutboxEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at.replace(tzinfo=None), usegmt=False)
    message["Message-ID"] = email.message_id
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    return message


def _send(message: EmailMessage, email: OutboxEmail) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        # A new user's first run: write the email where the README says to look.
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{email.id:06d}.eml").write_bytes(bytes(message))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def deliver_due(*, worker: str, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send what is due; record every attempt. Returns how many were sent."""
    now = now or utcnow()
    sent = 0
    for email_id in _claim(worker, now, limit):
        email = db.session.get(OutboxEmail, email_id)
        email.attempts += 1
        try:
            _send(build_message(email), email)
        except (OSError, smtplib.SMTPException) as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = "failed"
            else:
                email.next_attempt_at = now + backoff(email.attempts)
            db.session.add(DeliveryAttempt(email_id=email.id, worker=worker, at=now, ok=False,
                                           error=email.last_error))
        else:
            email.status, email.sent_at, email.last_error = "sent", now, None
            db.session.add(DeliveryAttempt(email_id=email.id, worker=worker, at=now, ok=True))
            sent += 1
        email.locked_by = email.locked_until = None
        db.session.commit()
    return sent


def register_outbox_cli(app: Flask) -> None:
    @app.cli.group("outbox")
    def outbox() -> None:
        """The email outbox."""

    @outbox.command("send")
    @click.option("--watch", is_flag=True, help="Keep sending what becomes due.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds with --watch.")
    def send(watch: bool, interval: float) -> None:
        """Deliver the queued emails that are due."""
        worker = f"cli-{uuid.uuid4().hex[:8]}"
        while True:
            sent = deliver_due(worker=worker)
            click.echo(f"Sent {sent} email(s).")
            if not watch:
                return
            time.sleep(interval)
