"""Webhooks: endpoints on /settings/webhooks, events queued with the change, signed deliveries
(checked with the stripe SDK's own verifier), retries, and the addresses a webhook never reaches."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from customer_helpers import make_customer, make_draft_invoice, token
from sqlalchemy import func, select

from config import ConfigError, load_config
from extensions import db
from models import Customer, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models._time import utcnow
from services import invoices, webhooks
from unit_of_work import unit_of_work

PAGE = "/settings/webhooks"


class Receiver:
    """A local HTTP server that records each POST and answers with the next queued status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hooks?x=1"


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def loopback_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", True)


def _add(client, url):
    return client.post(PAGE, data={"csrf_token": token(client, PAGE), "url": url})


def _endpoint(app) -> WebhookEndpoint:
    with app.app_context():
        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        db.session.expunge(endpoint)
        return endpoint


def _deliver(app, now=None):
    with app.app_context():
        return webhooks.deliver_round(worker="test", now=now)


def _secret(app, endpoint) -> str:
    with app.app_context():
        return webhooks.signing_secret(endpoint)


def test_an_endpoint_is_added_and_its_secret_shown_once(signed_in, app, loopback_allowed, receiver):
    response = _add(signed_in, receiver.url())
    assert response.status_code == 303 and response.location.endswith(PAGE)
    page = signed_in.get(PAGE).text
    secret = _secret(app, _endpoint(app))
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret in page and "shown only once" in page
    assert secret not in signed_in.get(PAGE).text  # the next visit no longer shows it
    with app.app_context():
        stored = db.session.execute(select(WebhookEndpoint.url, WebhookEndpoint.secret_salt)).one()
    assert secret not in stored.secret_salt and stored.url == receiver.url()


def test_a_customer_change_is_delivered_signed_and_stripe_verifies_it(signed_in, app, partner, loopback_allowed,
                                                                      receiver):
    _add(signed_in, receiver.url())
    endpoint = _endpoint(app)
    customer_id = make_customer(app, partner, company="Signed Dental")
    result = _deliver(app)
    assert (result.claimed, result.sent) == (1, 1)
    [request] = receiver.requests
    assert request["path"] == "/hooks?x=1"
    event = json.loads(request["body"])
    assert event["type"] == "customer.created" and event["id"].startswith("evt_")
    assert event["data"]["object"]["id"] == customer_id
    assert event["data"]["object"]["company"] == "Signed Dental"
    assert event["data"]["object"]["users"] == [{"id": event["data"]["object"]["users"][0]["id"],
                                                 "name": "Ann Lee", "email": "ann@example.com"}]
    header = request["headers"]["Signature"]
    assert stripe.WebhookSignature.verify_header(request["body"].decode(), header, _secret(app, endpoint), 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(request["body"].decode(), header, "whsec_wrong", 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(request["body"].decode().replace("Signed", "Forged"), header,
                                              _secret(app, endpoint), 300)


def test_invoice_events_are_queued_with_the_change_and_not_without_it(signed_in, app, partner, loopback_allowed,
                                                                      receiver):
    customer_id = make_customer(app, partner)  # before any endpoint: no event is stored
    _add(signed_in, receiver.url())
    invoice_id = make_draft_invoice(app, partner, customer_id)
    with app.app_context(), unit_of_work():
        invoice = db.session.get(invoices.Invoice, invoice_id)
        invoices.finalize(invoice, today=invoice.issue_date)
    with app.app_context(), pytest.raises(RuntimeError), unit_of_work():  # rolled back: nothing queued
        invoice = db.session.get(invoices.Invoice, invoice_id)
        invoices.void(invoice, "Wrong customer")
        raise RuntimeError("the request failed after the void")
    with app.app_context():
        assert list(db.session.scalars(select(WebhookEvent.type))) == ["invoice.finalized"]
    _deliver(app)
    body = json.loads(receiver.requests[0]["body"])
    assert body["data"]["object"]["status"] == "open" and body["data"]["object"]["number"] == "INV-0001"
    assert body["data"]["object"]["total"] == 10000


def test_a_failed_delivery_is_retried_with_backoff_and_given_up_after_the_last_attempt(
        signed_in, app, partner, loopback_allowed, receiver):
    _add(signed_in, receiver.url())
    make_customer(app, partner)
    receiver.statuses = [500] * 8
    now = utcnow()
    _deliver(app, now)
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("queued", 1)
        assert delivery.next_attempt_at == now + timedelta(minutes=1)
        assert "HTTP 500" in delivery.last_error
    assert _deliver(app, now + timedelta(seconds=30)).claimed == 0  # not due yet
    waits = []
    for _ in range(7):
        with app.app_context():
            due = db.session.scalars(select(WebhookDelivery)).one().next_attempt_at
        waits.append(due - now)
        now = due
        _deliver(app, now)
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("failed", 8)
        assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 8
    assert len(receiver.requests) == 8
    assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1  # the same event every time


def test_the_log_shows_attempts_and_resend_sends_the_same_event_again(signed_in, app, partner, loopback_allowed,
                                                                      receiver):
    _add(signed_in, receiver.url())
    make_customer(app, partner)
    receiver.statuses = [503]
    _deliver(app)
    endpoint = _endpoint(app)
    log = signed_in.get(f"{PAGE}/{endpoint.id}").text
    assert "customer.created" in log and "HTTP 503" in log
    with app.app_context():
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
    response = signed_in.post(f"{PAGE}/{endpoint.id}/deliveries/{delivery_id}/resend",
                              data={"csrf_token": token(signed_in, PAGE)})
    assert response.status_code == 303
    assert _deliver(app).sent == 1  # the resend (the first delivery waits for its retry)
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert "HTTP 200" in signed_in.get(f"{PAGE}/{endpoint.id}").text


def test_disabled_endpoints_get_no_events_and_deleted_ones_vanish(signed_in, app, partner, loopback_allowed,
                                                                  receiver):
    _add(signed_in, receiver.url())
    endpoint = _endpoint(app)
    assert signed_in.post(f"{PAGE}/{endpoint.id}/disable", data={"csrf_token": token(signed_in, PAGE)}
                          ).status_code == 303
    make_customer(app, partner)
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0
    signed_in.post(f"{PAGE}/{endpoint.id}/enable", data={"csrf_token": token(signed_in, PAGE)})
    make_customer(app, partner, company="Second", ein="")
    signed_in.post(f"{PAGE}/{endpoint.id}/delete", data={"csrf_token": token(signed_in, PAGE)})
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_another_partners_endpoint_is_a_404(signed_in, app, other_partner, loopback_allowed, receiver):
    with app.app_context(), unit_of_work():
        theirs = webhooks.add_endpoint(other_partner.partner_id, receiver.url()).id
    csrf = token(signed_in, PAGE)
    assert signed_in.get(f"{PAGE}/{theirs}").status_code == 404
    assert signed_in.post(f"{PAGE}/{theirs}/delete", data={"csrf_token": csrf}).status_code == 404
    assert receiver.url() not in signed_in.get(PAGE).text


@pytest.mark.parametrize(("url", "message"), [
    ("", "Enter the URL your server receives webhooks at"),
    ("ftp://example.com/hooks", "Enter a URL starting with https:// or http://"),
    ("https://user:pw@example.com/hooks", "Leave the user name and password out of the URL"),
    ("https://example.com/ho oks", "URL must not contain spaces or line breaks"),
    ("http://127.0.0.1/hooks", "private, loopback or link-local"),
    ("http://10.1.2.3/hooks", "private, loopback or link-local"),
    ("http://169.254.169.254/latest/meta-data", "private, loopback or link-local"),
    ("http://[::1]:8080/hooks", "private, loopback or link-local"),
    ("http://[::ffff:127.0.0.1]/hooks", "private, loopback or link-local"),
    ("http://192.168.0.10/hooks", "private, loopback or link-local"),
    ("http://0.0.0.0/hooks", "private, loopback or link-local"),
    ("http://localhost:8080/hooks", "private, loopback or link-local"),  # a name that resolves to loopback
    ("https://no-such-host.invalid/hooks", "No server called no-such-host.invalid could be found"),
])
def test_urls_a_webhook_may_not_use_are_refused_when_saved(signed_in, app, url, message):
    response = _add(signed_in, url)
    assert response.status_code == 422
    assert message in response.text and "There is a problem" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_the_loopback_setting_lets_loopback_through_and_nothing_else(signed_in, loopback_allowed, receiver):
    assert _add(signed_in, receiver.url()).status_code == 303
    assert "private, loopback" in _add(signed_in, "http://10.0.0.5/hooks").text


def test_production_takes_https_only_and_refuses_the_loopback_setting(app, monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a production secret " * 3)
    monkeypatch.setenv("BASE_URL", "https://ar.example.com")
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_LOOPBACK"):
        load_config(str(tmp_path))
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", True)  # set behind config.py's back: still refused
    with app.test_request_context():
        assert not webhooks.is_public("127.0.0.1")
        from forms.webhooks import WebhookEndpointForm
        form = WebhookEndpointForm(formdata=None, data={"url": "http://example.com/hooks"}, meta={"csrf": False})
        assert not form.validate() and form.url.errors == ["Enter a URL starting with https://"]


def _resolving(monkeypatch, answers: dict[str, str]):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1"])
def test_a_name_that_resolves_to_a_private_address_at_delivery_is_not_called(
        app, partner, monkeypatch, receiver, address):
    _resolving(monkeypatch, {"hooks.example.com": "93.184.215.14"})
    with app.app_context(), unit_of_work():  # public when saved...
        webhooks.add_endpoint(partner.partner_id, f"http://hooks.example.com:{receiver.port}/hooks")
    make_customer(app, partner)
    _resolving(monkeypatch, {"hooks.example.com": address})  # ...rebound to our network before delivery
    result = _deliver(app)
    assert (result.sent, result.failed) == (0, 1)
    assert receiver.requests == []
    with app.app_context():
        attempt = db.session.scalars(select(WebhookAttempt)).one()
        assert not attempt.ok and "private, loopback or link-local" in attempt.error


def test_delivery_connects_to_the_address_it_checked(app, partner, monkeypatch, loopback_allowed, receiver):
    """The name is resolved once per attempt and checked; the connection goes to that address
    with the URL's host in Host (a second resolution could answer differently)."""
    _resolving(monkeypatch, {"hooks.example.com": "127.0.0.1"})
    with app.app_context(), unit_of_work():
        webhooks.add_endpoint(partner.partner_id, f"http://hooks.example.com:{receiver.port}/hooks")
    make_customer(app, partner)
    calls = []
    real_create = socket.create_connection
    monkeypatch.setattr(webhooks.socket, "create_connection",
                        lambda address, *a, **k: calls.append(address) or real_create(address, *a, **k))
    assert _deliver(app).sent == 1
    assert calls == [("127.0.0.1", receiver.port)]
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example.com:{receiver.port}"


def test_outbox_send_delivers_webhooks_too(signed_in, app, partner, runner, loopback_allowed, receiver):
    _add(signed_in, receiver.url())
    make_customer(app, partner)
    result = runner.invoke(args=["outbox", "send"])
    assert "Delivered 1 webhook(s)." in result.output
    assert len(receiver.requests) == 1


def test_customer_updates_and_archive_are_events(signed_in, app, partner, loopback_allowed, receiver):
    from services.customer_profile import archive_customer, update_profile

    customer_id = make_customer(app, partner)
    _add(signed_in, receiver.url())
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        update_profile(customer, {"city": "Dallas"}, expected_version=customer.version, staff_id=partner.id)
    with app.app_context(), unit_of_work():
        archive_customer(db.session.get(Customer, customer_id), staff_id=partner.id)
    _deliver(app)
    objects = [json.loads(r["body"])["data"]["object"] for r in receiver.requests]
    assert [(o["city"], o["archived"]) for o in objects] == [("Dallas", False), ("Dallas", True)]


def test_a_payment_that_settles_an_invoice_sends_payment_succeeded_and_invoice_paid(
        signed_in, app, partner, loopback_allowed, receiver):
    from datetime import date

    from invoice_helpers import make_invoice

    from models import Invoice
    from services import payments

    customer_id = make_customer(app, partner)
    made = make_invoice(app, customer_id, issue=date.today(), due=date.today() + timedelta(days=30))
    _add(signed_in, receiver.url())
    with app.test_request_context(), unit_of_work():
        invoice = db.session.get(Invoice, made.id)
        payments.record_offline(invoice, 100, date.today(), "check", "1001", staff_id=partner.id)
    with app.test_request_context(), unit_of_work():
        invoice = db.session.get(Invoice, made.id)
        payments.record_offline(invoice, invoice.balance, date.today(), "wire", "", staff_id=partner.id)
    _deliver(app)
    events = [json.loads(r["body"]) for r in receiver.requests]
    assert [e["type"] for e in events] == ["payment.succeeded", "invoice.paid", "payment.succeeded"]
    assert events[0]["data"]["object"]["amount"] == 100 and events[0]["data"]["object"]["invoice"] == made.id
    assert events[1]["data"]["object"]["status"] == "paid"
    assert events[1]["data"]["object"]["amount_paid"] == made.total
