"""The outbox, against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from extensions import db
from mailer import MAX_ATTEMPTS, deliver_due, queue_email
from models import DeliveryAttempt, OutboxEmail
from models._time import utcnow


class Inbox:
    """An SMTP server's handler that keeps what it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_config(app, monkeypatch, smtp_port):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_port)
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "billing@acme-it.example.com")
    return smtp_port


def start_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_server(smtp_config):
    controller, inbox = start_server(smtp_config)
    yield inbox
    controller.stop()


def queue(app, n=1, to="ann@example.com"):
    with app.app_context():
        ids = [queue_email(to=to, subject=f"Hello {i}", text=f"Plain {i}", html=f"<p>Rich {i}</p>",
                           ref=f"test:{i}").id for i in range(n)]
        db.session.commit()
        return ids


def test_a_queued_email_is_delivered_with_both_parts(app, smtp_server):
    (email_id,) = queue(app)
    with app.app_context():
        assert deliver_due(worker="w1") == 1
        email = db.session.get(OutboxEmail, email_id)
        assert email.status == "sent" and email.sent_at is not None
        message_id = email.message_id
    (message,) = smtp_server.messages
    assert message["To"] == "ann@example.com" and message["Subject"] == "Hello 0"
    assert message["Message-ID"].strip() == message_id
    assert message.get_body(("plain",)).get_content().strip() == "Plain 0"
    assert "<p>Rich 0</p>" in message.get_body(("html",)).get_content()


def test_an_email_queued_in_a_rolled_back_transaction_is_never_sent(app, smtp_server):
    with app.app_context():
        queue_email(to="ann@example.com", subject="Never", text="x", html="<p>x</p>")
        db.session.rollback()
        assert deliver_due(worker="w1") == 0
    assert smtp_server.messages == []


def test_server_down_then_up_retries_with_the_same_message_id(app, smtp_config):
    (email_id,) = queue(app)
    now = utcnow()
    with app.app_context():
        assert deliver_due(worker="w1", now=now) == 0  # nothing listens on the port
        email = db.session.get(OutboxEmail, email_id)
        assert email.status == "queued" and email.attempts == 1
        assert email.next_attempt_at > now and email.last_error
        message_id = email.message_id
        # Not retried before its time.
        controller, inbox = start_server(smtp_config)
        try:
            assert deliver_due(worker="w1", now=now + timedelta(seconds=10)) == 0
            assert deliver_due(worker="w1", now=now + timedelta(minutes=2)) == 1
        finally:
            controller.stop()
        attempts = db.session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.email_id == email_id)).all()
        assert [a.ok for a in attempts] == [False, True]
    assert inbox.messages[0]["Message-ID"].strip() == message_id


def test_an_email_that_never_goes_through_ends_as_failed(app, smtp_config):
    (email_id,) = queue(app)
    now = utcnow()
    with app.app_context():
        for attempt in range(MAX_ATTEMPTS):
            deliver_due(worker="w1", now=now + timedelta(days=attempt))
        email = db.session.get(OutboxEmail, email_id)
        assert email.status == "failed" and email.attempts == MAX_ATTEMPTS
        assert deliver_due(worker="w1", now=now + timedelta(days=30)) == 0


def test_two_workers_never_send_the_same_email(app, smtp_server):
    queue(app, n=40)
    results = []

    def work(name):
        with app.app_context():
            total = 0
            while True:
                sent = deliver_due(worker=name, limit=5)
                if not sent:
                    break
                total += sent
            results.append(total)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sorted(subjects) == sorted(f"Hello {i}" for i in range(40))
    assert sum(results) == 40
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 40


def test_without_a_mail_server_emails_are_written_as_eml_files(app, monkeypatch, tmp_path, runner):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    queue(app, n=2)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent 2 email(s)." in result.output
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message.get_body(("plain",)).get_content().strip() == "Plain 0"
