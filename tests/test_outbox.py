"""The outbox, against a real SMTP server on 127.0.0.1 (aiosmtpd). The clock is moved, never slept."""

import os
import signal
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest
from smtp_server import SmtpServer, free_port
from sqlalchemy import func, select, update

from extensions import db
from mailer import (
    BATCH,
    LEASE,
    MAX_ATTEMPTS,
    UnsendableHeader,
    deliver_due,
    deliver_round,
    latest_status,
    queue_email,
)
from models import DeliveryAttempt, OutboxEmail
from models._time import utcnow

SENDER = "Acme IT Billing <billing@acme-it.example.com>"


@pytest.fixture
def smtp_port(app, monkeypatch):
    """MAIL_SERVER points at a free port on 127.0.0.1, with nothing listening yet."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    return port


@pytest.fixture
def smtp_server(smtp_port):
    with SmtpServer(smtp_port) as server:
        yield server


@pytest.fixture
def outbox_dir(app, monkeypatch, tmp_path):
    """No MAIL_SERVER: emails become files here."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "mail"))
    return tmp_path / "mail"


def queue(app, n=1, to="ann@example.com") -> list[int]:
    with app.app_context():
        ids = [queue_email(to=to, subject=f"Hello {i}", text=f"Plain {i}", html=f"<p>Rich {i}</p>",
                           ref=f"test:{i}").id for i in range(n)]
        db.session.commit()
        return ids


def stored(app, email_id) -> OutboxEmail:
    with app.app_context():
        email = db.session.get(OutboxEmail, email_id)
        db.session.expunge(email)
        return email


def attempts_of(app, email_id) -> list[DeliveryAttempt]:
    with app.app_context():
        return db.session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.email_id == email_id).order_by(DeliveryAttempt.id)
        ).all()


# -- queueing ------------------------------------------------------------------------

def test_a_queued_email_is_delivered_with_both_parts_and_its_stored_message_id(app, smtp_server):
    (email_id,) = queue(app)
    with app.app_context():
        assert deliver_due(worker="w1") == 1
    email = stored(app, email_id)
    assert email.status == "sent" and email.sent_at is not None and email.attempts == 1
    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "billing@acme-it.example.com" and envelope.rcpt_tos == ["ann@example.com"]
    message = envelope.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == SENDER and message["To"] == "ann@example.com" and message["Subject"] == "Hello 0"
    assert message["Message-ID"] == email.message_id
    assert email.message_id.endswith("@acme-it.example.com>")
    assert parsedate_to_datetime(message["Date"]).replace(tzinfo=None) == email.created_at.replace(microsecond=0)
    assert message.get_body(("plain",)).get_content().strip() == "Plain 0"
    assert message.get_body(("html",)).get_content().strip() == "<p>Rich 0</p>"
    assert [a.ok for a in attempts_of(app, email_id)] == [True]


def test_a_sender_without_a_real_domain_gets_message_ids_from_base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "billing@localhost")
    monkeypatch.setitem(app.config, "BASE_URL", "https://ar.acme-it.example.com")
    with app.app_context():
        email = queue_email(to="ann@example.com", subject="Hi", text="x", html="<p>x</p>")
        assert email.message_id.endswith("@ar.acme-it.example.com>")
        db.session.rollback()


def test_an_email_queued_in_a_rolled_back_transaction_is_never_sent(app, smtp_server):
    with app.app_context():
        queue_email(to="ann@example.com", subject="Never", text="x", html="<p>x</p>", ref="test:never")
        db.session.rollback()
        assert deliver_due(worker="w1") == 0
        assert latest_status("test:never") is None
    assert smtp_server.messages == []


def test_a_subject_with_a_line_break_is_refused_when_queued(app):
    with app.app_context(), pytest.raises(ValueError, match="line break"):
        queue_email(to="ann@example.com", subject="Hi\nBcc: eve@example.com", text="x", html="x")


@pytest.mark.parametrize(("headers", "field"), [
    ({"subject": "Acme\u2028Co invites you"}, "subject"),  # the email package refuses U+2028
    ({"subject": "Acme\u2029Co"}, "subject"),
    ({"subject": "Hi\x00there"}, "subject"),
    ({"to": "Ann <ann@@example.com>"}, "to"),
    ({"to": "ann@example.com\u0085"}, "to"),
])
def test_a_header_the_email_package_would_refuse_is_refused_when_queued(app, headers, field):
    with app.app_context():
        with pytest.raises(UnsendableHeader) as refused:
            queue_email(**{"to": "ann@example.com", "subject": "Hi", **headers}, text="x", html="x")
        assert refused.value.field == field and "An email's " + field in refused.value.message
        assert db.session.scalar(select(OutboxEmail.id)) is None


def test_a_sender_the_email_package_would_refuse_is_refused_when_queued(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Acme\u2028Billing <billing@acme.example.com>")
    with app.app_context(), pytest.raises(UnsendableHeader, match="An email's from"):
        queue_email(to="ann@example.com", subject="Hi", text="x", html="x")


def test_latest_status_follows_the_newest_email_with_the_ref(app, smtp_server):
    with app.app_context():
        assert latest_status("invite:7") is None
        first = queue_email(to="ann@example.com", subject="Invite", text="x", html="x", ref="invite:7")
        db.session.commit()
        assert latest_status("invite:7") == ("queued", first.created_at)
        now = utcnow()
        deliver_due(worker="w1", now=now)
        assert latest_status("invite:7") == ("sent", now)
        second = queue_email(to="ann@example.com", subject="Invite again", text="x", html="x", ref="invite:7")
        db.session.commit()
        assert latest_status("invite:7") == ("queued", second.created_at)


# -- retries -------------------------------------------------------------------------

def test_server_down_then_up_retries_later_with_the_same_message_id(app, smtp_port):
    (email_id,) = queue(app)
    now = utcnow()
    with app.app_context():
        assert deliver_due(worker="w1", now=now) == 0  # nothing listens on the port
    email = stored(app, email_id)
    assert email.status == "queued" and email.attempts == 1
    assert email.next_attempt_at > now and "MailServerUnavailable" in email.last_error
    (failure,) = attempts_of(app, email_id)
    assert not failure.ok and failure.at == now and "Connection refused" in failure.error

    with SmtpServer(smtp_port) as server, app.app_context():
        assert deliver_due(worker="w1", now=now + timedelta(seconds=30)) == 0  # not before its time
        assert server.messages == []
        assert deliver_due(worker="w1", now=now + timedelta(minutes=2)) == 1
    assert [a.ok for a in attempts_of(app, email_id)] == [False, True]
    assert server.messages[0]["Message-ID"] == email.message_id
    assert stored(app, email_id).status == "sent"


def test_the_wait_between_attempts_doubles(app, smtp_port):
    (email_id,) = queue(app)
    now = utcnow()
    waits = []
    with app.app_context():
        for _ in range(4):
            deliver_due(worker="w1", now=now)
            email = db.session.get(OutboxEmail, email_id)
            waits.append(email.next_attempt_at - now)
            now = email.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_an_email_that_never_goes_through_ends_as_failed(app, smtp_port):
    (email_id,) = queue(app, to="ann@example.com")
    now = utcnow()
    with app.app_context():
        for day in range(MAX_ATTEMPTS):
            deliver_due(worker="w1", now=now + timedelta(days=day))
        email = db.session.get(OutboxEmail, email_id)
        assert email.status == "failed" and email.attempts == MAX_ATTEMPTS
        given_up = now + timedelta(days=MAX_ATTEMPTS - 1)
        assert email.failed_at == given_up and latest_status("test:0") == ("failed", given_up)
        with SmtpServer(app.config["MAIL_PORT"]) as server:
            assert deliver_due(worker="w1", now=now + timedelta(days=30)) == 0
        assert server.messages == []
    assert len(attempts_of(app, email_id)) == MAX_ATTEMPTS


def test_a_refused_recipient_fails_at_once_and_the_rest_still_go(app, smtp_port):
    (bad,) = queue(app, to="nobody@example.com")
    (good,) = queue(app, to="ann@example.com")
    with SmtpServer(smtp_port, refuse={"nobody@example.com"}) as server, app.app_context():
        assert deliver_due(worker="w1") == 1
    assert [m["To"] for m in server.messages] == ["ann@example.com"]
    refused = stored(app, bad)
    assert refused.status == "failed" and refused.attempts == 1 and "550" in refused.last_error
    assert stored(app, good).status == "sent"


def test_an_address_beyond_ascii_goes_to_a_server_that_takes_it(app, smtp_port):
    (email_id,) = queue(app, to="josé@example.com")
    with SmtpServer(smtp_port) as server, app.app_context():
        assert deliver_due(worker="w1") == 1
    assert server.envelopes[0].rcpt_tos == ["josé@example.com"]


def test_an_address_beyond_ascii_fails_at_once_on_a_server_without_smtputf8(app, smtp_port):
    (email_id,) = queue(app, to="josé@example.com")
    (plain,) = queue(app, to="ann@example.com")
    with SmtpServer(smtp_port, smtputf8=False) as server, app.app_context():
        assert deliver_due(worker="w1") == 1
    assert [m["To"] for m in server.messages] == ["ann@example.com"]
    refused = stored(app, email_id)
    assert refused.status == "failed" and refused.attempts == 1 and "SMTPUTF8" in refused.last_error


def test_an_email_claimed_by_a_worker_that_died_is_sent_once_its_lease_ends(app, smtp_server):
    (email_id,) = queue(app)
    now = utcnow()
    with app.app_context():
        # A worker claimed it, maybe even sent it, and died before recording so.
        db.session.execute(update(OutboxEmail).values(locked_by="dead/1", locked_until=now + LEASE))
        db.session.commit()
        assert deliver_due(worker="w2", now=now + LEASE - timedelta(seconds=1)) == 0
        assert deliver_due(worker="w2", now=now + LEASE + timedelta(seconds=1)) == 1
    (message,) = smtp_server.messages
    assert message["Message-ID"] == stored(app, email_id).message_id


def test_a_worker_takes_only_its_batch_and_leaves_the_rest_to_others(app, smtp_server):
    queue(app, n=10)
    with app.app_context():
        first = deliver_round(worker="w1", limit=4)
        assert (first.claimed, first.sent) == (4, 4)
        waiting = db.session.scalars(select(OutboxEmail).where(OutboxEmail.status == "queued")).all()
        assert len(waiting) == 6 and all(e.locked_by is None for e in waiting)
        assert deliver_round(worker="w2", limit=4).sent == 4
    assert len(smtp_server.messages) == 8


def test_two_workers_never_send_the_same_email(app, smtp_server):
    queue(app, n=60)
    totals, errors = [], []

    def work(name):
        try:
            with app.app_context():
                total = 0
                while sent := deliver_due(worker=name, limit=4):
                    total += sent
                totals.append(total)
                db.session.remove()
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sorted(subjects) == sorted(f"Hello {i}" for i in range(60))
    assert sum(totals) == 60
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 60
        assert db.session.scalar(select(func.count()).where(OutboxEmail.status == "sent")) == 60


# -- SMTP options --------------------------------------------------------------------

def test_the_mail_server_login_is_used(app, smtp_port, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "acme")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret-for-smtp")
    queue(app)
    with SmtpServer(smtp_port, users={"acme": "s3cret-for-smtp"}) as server, app.app_context():
        assert deliver_due(worker="w1") == 1
    assert [e.login for e in server.envelopes] == ["acme"]


def test_a_wrong_mail_server_password_sends_nothing_and_is_retried(app, smtp_port, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "acme")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong")
    (email_id,) = queue(app)
    with SmtpServer(smtp_port, users={"acme": "right"}) as server, app.app_context():
        assert deliver_due(worker="w1") == 0
    assert server.messages == []
    email = stored(app, email_id)
    assert email.status == "queued" and "SMTPAuthenticationError" in email.last_error


def test_with_starttls_required_nothing_goes_in_clear_to_a_server_without_it(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    (email_id,) = queue(app)
    with app.app_context():
        assert deliver_due(worker="w1") == 0
    assert smtp_server.messages == []
    assert "STARTTLS" in stored(app, email_id).last_error


# -- without a mail server: .eml files -------------------------------------------------

def test_without_a_mail_server_emails_are_written_as_eml_files(app, outbox_dir, runner):
    ids = queue(app, n=2)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent 2 email(s)." in result.output
    files = sorted(outbox_dir.glob("*"))
    assert [f.suffix for f in files] == [".eml", ".eml"]
    for email_id, path, i in zip(ids, files, range(2), strict=True):
        email = stored(app, email_id)
        assert path.name.startswith(f"{email_id:06d}-") and email.message_id.strip("<>") in path.name
        assert email.status == "sent"
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["To"] == "ann@example.com" and message["Message-ID"] == email.message_id
        assert message.get_body(("plain",)).get_content().strip() == f"Plain {i}"
        assert message.get_body(("html",)).get_content().strip() == f"<p>Rich {i}</p>"


# -- the command -----------------------------------------------------------------------

def test_outbox_send_delivers_everything_due_in_as_many_batches_as_needed(app, smtp_server, runner):
    queue(app, n=BATCH + 3)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert f"Sent {BATCH + 3} email(s)." in result.output
    assert len(smtp_server.messages) == BATCH + 3


def test_outbox_send_says_when_emails_could_not_go(app, smtp_port, runner):
    queue(app, n=2)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert "Sent 0 email(s). 2 could not be sent now" in result.output


def test_outbox_send_watch_keeps_delivering_until_ctrl_c(app, smtp_server, runner):
    queue(app)

    def interrupt_once_delivered():
        deadline = time.monotonic() + 20
        while not smtp_server.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # without the command's handler: KeyboardInterrupt, exit 1

    threading.Thread(target=interrupt_once_delivered, daemon=True).start()
    result = runner.invoke(args=["outbox", "send", "--watch", "--interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 email(s)." in result.output and "Stopped." in result.output
    assert len(smtp_server.messages) == 1
