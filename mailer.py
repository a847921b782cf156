"""Email: queue in the caller's transaction, deliver later (flask --app app outbox send).

Delivery is at least once: an email is marked sent right after the SMTP server
accepts it; a crash in between means a retry, with the same Message-ID.
Workers claim emails with a lease (locked_by/locked_until), so two never send one at once.
"""

import os
import re
import signal
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.errors import NonASCIILocalPartDefect
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, render_template
from sqlalchemy import func, or_, select, update

from extensions import db
from models import DeliveryAttempt, OutboxAttachment, OutboxEmail
from models._time import utcnow
from models.outbox import SUBJECT_MAX
from services.errors import DomainError

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)  # then doubling...
LONGEST_WAIT = timedelta(hours=6)  # ...up to this
BATCH = 50
SMTP_TIMEOUT = 30  # seconds, per network operation
# A claim is a lease: if its worker dies, others take the email over when it ends. A worker
# starts no new send from a claim older than SEND_WITHIN, so even a send that hits every
# SMTP timeout ends well inside the lease, and no one else can have taken the email meanwhile.
LEASE = timedelta(minutes=15)
SEND_WITHIN = timedelta(minutes=5)


class MailServerUnavailable(Exception):
    """Connecting, STARTTLS or signing in to the SMTP server failed: every email waits."""


class UnsendableHeader(DomainError, ValueError):
    """A header value the email package would refuse when the email is built for delivery."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"An email's {name} {reason}.", field=name)


# -- queueing (in the caller's transaction) --------------------------------------------

def message_domain() -> str:
    """The right-hand side of our Message-IDs: the sender's domain, else BASE_URL's host."""
    return _domain_of(current_app.config["MAIL_DEFAULT_SENDER"], current_app.config["BASE_URL"])


@lru_cache(maxsize=16)  # a batch (the automation pass) makes thousands of Message-IDs from the same two settings
def _domain_of(sender: str, base_url: str) -> str:
    sender_domain = parseaddr(sender)[1].rpartition("@")[2].lower()
    if "." in sender_domain:  # a real domain, not "localhost"
        return sender_domain
    return urlsplit(base_url).hostname or "localhost"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    content: bytes


def queue_email(*, to: str, subject: str, text: str, html: str, ref: str | None = None,
                attachments: tuple[Attachment, ...] = ()) -> OutboxEmail:
    """Add an email to the outbox and flush. Never commits: it goes out only if the caller's
    transaction commits. `ref` is the caller's handle for latest_status(), e.g. "invite:42".
    A header value that delivery could not build raises UnsendableHeader now, not at delivery.
    Attachments are stored with the email now, so every attempt sends the same bytes."""
    email = new_email(to=to, subject=subject, text=text, html=html, ref=ref, attachments=attachments)
    db.session.add(email)
    db.session.flush()
    return email


def new_email(*, to: str, subject: str, text: str, html: str, ref: str | None = None,
              attachments: tuple[Attachment, ...] = ()) -> OutboxEmail:
    """queue_email()'s email, checked but not yet added."""
    row, = email_rows(to=[to], subject=subject, text=text, html=html, ref=ref)
    return OutboxEmail(**row, attachments=[OutboxAttachment(filename=a.filename, content_type=a.content_type,
                                                            content=a.content) for a in attachments])


def email_rows(*, to: list[str], subject: str, text: str, html: str, ref: str | None = None) -> list[dict]:
    """The columns of one queued email to each address in `to` (the same message), checked: what
    new_email() makes an OutboxEmail of, and what a batch (the automation pass) inserts by the
    thousand, without an ORM object each (`db.session.execute(insert(OutboxEmail), rows)`). The
    subject is checked once for all of them."""
    check_headers({"from": current_app.config["MAIL_DEFAULT_SENDER"], "subject": subject})
    for address in to:
        check_headers({"to": address})
    if len(subject) > SUBJECT_MAX:
        raise UnsendableHeader("subject", f"cannot be longer than {SUBJECT_MAX} characters")
    domain, now = message_domain(), utcnow()
    return [{"to_address": address, "subject": subject, "text_body": text, "html_body": html, "ref": ref,
             "message_id": make_msgid(domain=domain), "status": "queued", "attempts": 0, "next_attempt_at": now,
             "created_at": now} for address in to]


def queue_templated_email(template: str, *, to: str, subject: str, ref: str | None = None,
                          attachments: tuple[Attachment, ...] = (), **context) -> OutboxEmail:
    """queue_email() with both bodies drawn from templates/email/<template>.txt and .html."""
    return queue_email(to=to, subject=subject, ref=ref, attachments=attachments,
                       text=render_template(f"email/{template}.txt", **context),
                       html=render_template(f"email/{template}.html", **context))


def latest_statuses(refs: list[str]) -> dict[str, tuple[str, datetime | None]]:
    """{ref: ("queued" | "sent" | "failed", when)} of the newest email of each ref that has one,
    in one query. When: queued → when it was queued, sent → when accepted, failed → when given up on."""
    if not refs:
        return {}
    newest = select(func.max(OutboxEmail.id)).where(OutboxEmail.ref.in_(refs)).group_by(OutboxEmail.ref)
    rows = db.session.execute(
        select(OutboxEmail.ref, OutboxEmail.status, OutboxEmail.created_at, OutboxEmail.sent_at,
               OutboxEmail.failed_at).where(OutboxEmail.id.in_(newest))
    ).all()
    return {row.ref: (row.status, {"sent": row.sent_at, "failed": row.failed_at}.get(row.status) or row.created_at)
            for row in rows}


_STRICT = policy.SMTPUTF8.clone(raise_on_defect=True)
# Controls the email package passes into a header but no mail server should get (NUL, ESC...).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_headers(headers: dict[str, str]) -> None:
    """Refuse what the email package would refuse in these headers (line breaks, including
    U+2028 and U+0085, and malformed addresses) and control characters, naming the header."""
    for name, value in headers.items():
        (_check_address if name in ("from", "to") else _check_header)(name, value)


def _check_header(name: str, value: str) -> None:
    """One header of check_headers(); a pure function of its two strings."""
    if _CONTROL.search(value) or any(ch in value for ch in "\u2028\u2029"):
        raise UnsendableHeader(name, "cannot contain a line break or a control character")
    message = EmailMessage(policy=_STRICT)
    try:
        message[name.title()] = value
        # A local part beyond ASCII is sent with SMTPUTF8 (or fails then, for good, by server).
        defects = [d for d in message[name.title()].defects if not isinstance(d, NonASCIILocalPartDefect)]
        bytes(message)
    except (ValueError, TypeError, IndexError) as error:
        raise UnsendableHeader(name, f"cannot be sent as it is ({error})") from None
    if defects:
        raise UnsendableHeader(name, f"cannot be sent as it is ({defects[0]})")


# A batch (the automation pass) repeats its sender and recipients thousands of times; its
# subjects, nearly each one new, are checked uncached and so never push them out. A refusal
# raises and so is not cached.
_check_address = lru_cache(maxsize=16384)(_check_header)


def latest_status(ref: str) -> tuple[str, datetime | None] | None:
    """latest_statuses() of one ref, or None."""
    return latest_statuses([ref]).get(ref)


# -- the message ---------------------------------------------------------------------

def build_message(email: OutboxEmail) -> EmailMessage:
    """The same bytes on every attempt: Date is when it was queued, Message-ID was fixed then."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at.replace(tzinfo=UTC))
    message["Message-ID"] = email.message_id
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


def eml_name(email: OutboxEmail) -> str:
    """instance/mail/000042-<message id>.eml: sorted by id, and a rewrite replaces the same file."""
    return f"{email.id:06d}-{re.sub(r'[^A-Za-z0-9.@_-]', '_', email.message_id.strip('<>'))}.eml"


# -- transports ----------------------------------------------------------------------

class FileTransport:
    """No MAIL_SERVER (a new user's first run): each email becomes an .eml file."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / eml_name(email)
        partial = path.with_suffix(".part")
        partial.write_bytes(bytes(message))
        os.replace(partial, path)  # a mail client never opens half a file

    def close(self) -> None:
        pass


class SmtpTransport:
    """One connection for a whole batch, opened on the first email."""

    def __init__(self, config: dict):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.unavailable: MailServerUnavailable | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT)
        except (OSError, smtplib.SMTPException) as error:
            raise self._down(error) from error
        try:
            if config["MAIL_USE_TLS"]:
                # A verifying context: smtplib's own default accepts any certificate.
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            raise self._down(error) from error
        return smtp

    def _down(self, error: Exception) -> MailServerUnavailable:
        where = f"{self.config['MAIL_SERVER']}:{self.config['MAIL_PORT']}"
        self.unavailable = MailServerUnavailable(f"{where}: {type(error).__name__}: {error}")
        return self.unavailable

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        if self.unavailable is not None:  # the rest of the batch would only wait for the same timeout
            raise MailServerUnavailable(str(self.unavailable))
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            raise  # smtplib has reset the transaction; the connection serves the next email
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _transport() -> FileTransport | SmtpTransport:
    config = current_app.config
    return SmtpTransport(config) if config["MAIL_SERVER"] else FileTransport(config["MAIL_OUTBOX_DIR"])


# -- delivery ------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 1, 2, 4 ... minutes, at most LONGEST_WAIT."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def is_permanent(error: Exception) -> bool:
    """Failures that the same bytes to the same address would meet again: give up now."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True  # an address beyond ASCII, and a server without SMTPUTF8
    return isinstance(error, ValueError)  # a message that cannot be built or encoded


def _due(model, now: datetime) -> tuple:
    return (
        model.status == "queued",
        model.next_attempt_at <= now,
        or_(model.locked_until.is_(None), model.locked_until < now),
    )


def claim_due(model, claim: str, now: datetime, limit: int) -> list[int]:
    """Lease up to `limit` due rows of an outbox `model` (emails, webhook deliveries: status,
    next_attempt_at, locked_by, locked_until) to this claim, in one statement, and commit.

    PostgreSQL: a materialized CTE SELECT ... FOR UPDATE SKIP LOCKED passes over rows another
    worker is claiming, and runs once (as `id IN (subquery)` the planner may rescan the subquery
    for every row, each rescan skipping the rows just locked, and take every due row).
    SQLite: the UPDATE holds the write lock, and it re-checks the due conditions, so a row
    that another worker claimed or sent meanwhile is not taken."""
    due = select(model.id).where(*_due(model, now)).order_by(model.next_attempt_at, model.id)
    due = due.limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        picked = due.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        claiming = update(model).where(model.id == picked.c.id, *_due(model, now))
    else:
        claiming = update(model).where(model.id.in_(due), *_due(model, now))
    db.session.execute(
        claiming.values(locked_by=claim, locked_until=now + LEASE),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return list(db.session.scalars(
        select(model.id).where(model.locked_by == claim, model.status == "queued")
        .order_by(model.next_attempt_at, model.id)
    ))


def release(model, claim: str, ids: list[int]) -> None:
    """Hand back rows this claim will not send now; they stay due."""
    db.session.execute(
        update(model).where(model.id.in_(ids), model.locked_by == claim)
        .values(locked_by=None, locked_until=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def new_claim(worker: str) -> str:
    return f"{worker[:87]}/{uuid.uuid4().hex[:12]}"  # unique even if two workers share a name


def _record(email: OutboxEmail, worker: str, now: datetime, error: Exception | None) -> None:
    email.attempts += 1
    email.locked_by = email.locked_until = None
    if error is None:
        email.status, email.sent_at, email.last_error = "sent", now, None
        db.session.add(DeliveryAttempt(email_id=email.id, worker=worker, at=now, ok=True))
        return
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    if is_permanent(error) or email.attempts >= MAX_ATTEMPTS:
        email.status, email.failed_at = "failed", now
    else:
        email.next_attempt_at = now + backoff(email.attempts)
    db.session.add(DeliveryAttempt(email_id=email.id, worker=worker, at=now, ok=False, error=email.last_error))
    current_app.logger.warning("Email %s to %s not sent (attempt %s, now %s): %s", email.id,
                               email.to_address, email.attempts, email.status, email.last_error)


@dataclass
class Round:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # attempts that failed (the email is retried later or given up on)


def deliver_rows(model, *, worker: str, now: datetime, limit: int, stopping: Callable[[], bool],
                 deliver_one: Callable[[object], bool]) -> Round:
    """Claim up to `limit` due rows of an outbox `model` and hand each to `deliver_one` (which
    records its attempt and says whether it went), committing after each one."""
    claim = new_claim(worker)
    ids = claim_due(model, claim, now, limit)
    result = Round(claimed=len(ids))
    started = time.monotonic()
    for position, row_id in enumerate(ids):
        if stopping() or time.monotonic() - started > SEND_WITHIN.total_seconds():
            release(model, claim, ids[position:])
            break
        if deliver_one(db.session.get(model, row_id)):
            result.sent += 1
        else:
            result.failed += 1
        db.session.commit()  # sent is recorded right after the server accepted
    return result


def deliver_round(*, worker: str, now: datetime | None = None, limit: int = BATCH,
                  stopping: Callable[[], bool] = lambda: False) -> Round:
    """Claim up to `limit` due emails and send them, recording each attempt."""
    now = now or utcnow()
    transport = _transport()

    def send(email: OutboxEmail) -> bool:
        try:
            transport.send(build_message(email), email)
        except Exception as error:  # any failure is this email's, recorded and retried
            _record(email, worker, now, error)
            return False
        _record(email, worker, now, None)
        return True

    try:
        return deliver_rows(OutboxEmail, worker=worker, now=now, limit=limit, stopping=stopping, deliver_one=send)
    finally:
        transport.close()


def deliver_due(*, worker: str, now: datetime | None = None, limit: int = BATCH) -> int:
    """Claim due emails, send them, record every attempt. Returns how many were sent.
    Commits its own transactions: call it with nothing pending in db.session."""
    return deliver_round(worker=worker, now=now, limit=limit).sent


def deliver_all_due(*, worker: str, stopping: Callable[[], bool] = lambda: False,
                    deliver: Callable[..., Round] = deliver_round) -> Round:
    """Rounds of `deliver` (deliver_round: emails; or another outbox's) until what is due now
    is done (or we are asked to stop)."""
    total = Round()
    while not stopping():
        batch = deliver(worker=worker, stopping=stopping)
        total.claimed += batch.claimed
        total.sent += batch.sent
        total.failed += batch.failed
        if batch.claimed < BATCH:
            break
    return total


# -- flask --app app outbox send [--watch] ----------------------------------------------

def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


@contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C / SIGTERM asks to stop after the email being sent; a second one forces it."""
    asked = []

    def handler(signum, _frame):
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)
        click.echo("Stopping after the current email (again to force)...", err=True)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: bool(asked)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def delivery_target() -> str:
    """Where delivered emails go, in words: "go to smtp.example.com" / "are written to /…/mail"."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        return f"go to {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return f"are written to {Path(config['MAIL_OUTBOX_DIR']).resolve()}"


def report(result: Round) -> str:
    line = f"Sent {result.sent} email(s)."
    if result.sent and not current_app.config["MAIL_SERVER"]:
        line += f" Open them in {Path(current_app.config['MAIL_OUTBOX_DIR']).resolve()}"
    if result.failed:
        line += f" {result.failed} could not be sent now (see delivery_attempts)."
    return line


def deliver_outbox(worker: str, stopping: Callable[[], bool]) -> str | None:
    """The worker's job: deliver what is due; say so only when there was something."""
    result = deliver_all_due(worker=worker, stopping=stopping)
    return report(result) if result.claimed else None


def register_outbox_cli(app: Flask) -> None:
    @app.cli.group("outbox")
    def outbox() -> None:
        """The email outbox."""

    @outbox.command("send")
    @click.option("--watch", is_flag=True, help="Keep sending what becomes due, until Ctrl-C or SIGTERM.")
    @click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
                  help="Seconds between rounds with --watch.")
    def send(watch: bool, interval: float) -> None:
        """Deliver the queued emails that are due."""
        from dataclasses import replace

        from worker import MORE_OUTBOXES, Job, run_jobs

        worker = default_worker_name()
        if not watch:
            click.echo(report(deliver_all_due(worker=worker)))
            for job in MORE_OUTBOXES:
                if line := job.run(worker, lambda: False):
                    click.echo(line)
            return
        with stop_on_signals() as stopping:
            click.echo(f"Watching the outbox every {interval:g} s as {worker}; Ctrl-C stops.")
            run_jobs([Job("outbox", interval, deliver_outbox),
                      *(replace(job, every=interval) for job in MORE_OUTBOXES)], worker, stopping)
        click.echo("Stopped.")
