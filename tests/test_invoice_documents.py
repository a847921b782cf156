"""An invoice's PDF, Send (through a real SMTP server), the portal's invoices, the Overview."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from customer_helpers import make_customer, token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invoice_helpers import give_portal_password, invoice_row, make_invoice
from pypdf import PdfReader
from smtp_server import SmtpServer, free_port
from sqlalchemy import func, select

import money
from conftest import csrf_token
from extensions import db
from mailer import deliver_all_due
from models import Customer, InvoiceSend, OutboxEmail, Partner
from services.aging import aging
from services.invoices import partner_today

PORTAL_PASSWORD = "violet tractor umbrella"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def today(app, partner) -> date:
    with app.app_context():
        return partner_today(db.session.get(Partner, partner.partner_id))


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))


@pytest.fixture
def open_invoice(app, customer_id, today):
    return make_invoice(app, customer_id, issue=today, due=today + timedelta(days=30))


@pytest.fixture
def portal_client(app):
    return app.test_client()


def portal_signed_in(app, client, email="ann@example.com"):
    give_portal_password(app, email, PORTAL_PASSWORD)
    page = client.get("/portal/login")
    response = client.post("/portal/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                                  "password": PORTAL_PASSWORD})
    assert response.status_code == 303
    return client


# -- the PDF -------------------------------------------------------------------------------

def test_the_pdf_shows_the_number_total_lines_and_both_parties(signed_in, open_invoice):
    response = signed_in.get(f"/invoices/{open_invoice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="INV-0001.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "INV-0001" in text and "$4,032.19" in text and "$328.69" in text
    assert "Acme IT" in text and "Northwind Dental LLC" in text and "91-1144442" in text
    assert "Managed services" in text and "Thank you" in text and "VOID" not in text


def test_a_void_invoice_says_void_across_it_with_the_reason(app, signed_in, customer_id, today):
    made = make_invoice(app, customer_id, issue=today, due=today, status="void", reason="Billed twice")
    text = pdf_text(signed_in.get(f"/invoices/{made.id}.pdf").data)
    assert "VOID" in text and "Billed twice" in text and made.number in text


def test_the_void_date_on_the_pdf_is_the_partners_day(app, signed_in, customer_id, today):
    # Voided at 02:00 UTC on Nov 26: 9 pm on Nov 25 in New York, the partner's time zone.
    from datetime import datetime

    from models import Invoice

    made = make_invoice(app, customer_id, issue=today, due=today, status="void", reason="Billed twice")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(Invoice.__table__.update().where(Invoice.id == made.id)
                     .values(voided_at=datetime(2026, 11, 26, 2, 0)))
    text = pdf_text(signed_in.get(f"/invoices/{made.id}.pdf").data)
    assert "VOID on Nov 25, 2026" in text


def test_a_draft_previews_marked_draft_without_a_number(app, signed_in, customer_id, today):
    made = make_invoice(app, customer_id, issue=today, due=today, status="draft")
    response = signed_in.get(f"/invoices/{made.id}.pdf")
    assert f'filename="draft-{made.id}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "DRAFT" in text and "INV-" not in text and "$4,032.19" in text


def test_the_pdf_fetches_nothing_from_the_network(app, signed_in, open_invoice, monkeypatch):
    import urllib.request

    from services import invoice_pdf

    def refuse(*args, **kwargs):
        raise AssertionError("the PDF tried to fetch a URL")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    real = invoice_pdf.render_template

    def with_remote_assets(name, **context):
        html = real(name, **context)
        return html.replace("</head>", '<link rel="stylesheet" href="https://fonts.example.com/x.css">'
                            '<style>@font-face{font-family:X;src:url(http://fonts.example.com/x.woff)}</style></head>')

    monkeypatch.setattr(invoice_pdf, "render_template", with_remote_assets)
    assert "INV-0001" in pdf_text(signed_in.get(f"/invoices/{open_invoice.id}.pdf").data)


def test_another_partners_invoice_pdf_is_a_404(app, client, other_partner, open_invoice):
    from conftest import Auth

    Auth(client).login(other_partner.email)
    assert client.get(f"/invoices/{open_invoice.id}.pdf").status_code == 404
    assert client.post(f"/invoices/{open_invoice.id}/send",
                       data={"csrf_token": token(client, "/customers")}).status_code == 404


# -- send ----------------------------------------------------------------------------------

@pytest.fixture
def smtp_server(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    with SmtpServer(port) as server:
        yield server


def send(client, invoice_id):
    return client.post(f"/invoices/{invoice_id}/send",
                       data={"csrf_token": token(client, f"/invoices/{invoice_id}")})


def test_send_emails_every_user_the_amount_due_date_link_and_the_pdf(app, signed_in, open_invoice, smtp_server,
                                                                       today):
    response = send(signed_in, open_invoice.id)
    assert response.status_code == 303 and response.headers["Location"] == f"/invoices/{open_invoice.id}"
    with app.app_context():
        assert deliver_all_due(worker="test").sent == 4  # the users' invitations, then the invoice
    sent = [e for e in smtp_server.envelopes if "INV-0001" in e.message["Subject"]]
    assert sorted(e.rcpt_tos[0] for e in sent) == ["ann@example.com", "bob@example.com"]
    message = sent[0].message
    assert "INV-0001" in message["Subject"] and "$4,032.19" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    due = f"{today + timedelta(days=30):%b} {(today + timedelta(days=30)).day}"
    assert "$4,032.19" in body and due in body
    assert f"{app.config['BASE_URL']}/portal/invoices/{open_invoice.id}" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-0001.pdf" and attachment.get_content_type() == "application/pdf"
    text = pdf_text(attachment.get_content())
    assert "INV-0001" in text and "$4,032.19" in text
    page = signed_in.get(f"/invoices/{open_invoice.id}").text
    assert "Sent" in page and "Send again" in page


def test_sending_again_is_a_resend_recorded_as_such(app, signed_in, open_invoice):
    assert send(signed_in, open_invoice.id).status_code == 303
    first = invoice_row(app, open_invoice.id).sent_at
    assert send(signed_in, open_invoice.id).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(InvoiceSend.id))) == 2
        subjects = db.session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id)).all()
    assert [s.startswith("Copy of invoice") for s in subjects if "INV-0001" in s] == [False, False, True, True]
    assert invoice_row(app, open_invoice.id).sent_at >= first
    assert signed_in.get(f"/invoices/{open_invoice.id}").text.count("Sent again") == 1


@pytest.mark.parametrize("status", ["draft", "void"])
def test_a_draft_or_void_invoice_is_not_sent(app, signed_in, customer_id, today, status):
    made = make_invoice(app, customer_id, issue=today, due=today, status=status)
    response = send(signed_in, made.id)
    assert response.status_code == 409 and "only an open or paid invoice is sent" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.ref.like("invoice:%"))) == 0


def test_send_needs_the_csrf_token(signed_in, open_invoice):
    assert signed_in.post(f"/invoices/{open_invoice.id}/send").status_code == 400


# -- the portal ----------------------------------------------------------------------------

def test_the_portal_lists_open_and_overdue_first_then_paid_and_void_never_drafts(app, client, customer_id, today):
    paid = make_invoice(app, customer_id, issue=today - timedelta(days=20), due=today - timedelta(days=5),
                        status="paid")
    current = make_invoice(app, customer_id, issue=today, due=today + timedelta(days=30))
    void = make_invoice(app, customer_id, issue=today - timedelta(days=2), due=today, status="void")
    overdue = make_invoice(app, customer_id, issue=today - timedelta(days=40), due=today - timedelta(days=10))
    draft = make_invoice(app, customer_id, issue=today, due=today, status="draft")
    portal_signed_in(app, client)
    page = client.get("/portal/invoices").text
    numbers = re.findall(r">(INV-\d{4})</a>", page)
    assert numbers == [overdue.number, current.number, void.number, paid.number]
    statuses = re.findall(r'data-status="[a-z_]+">([^<]+)<', page)
    assert statuses == ["Overdue", "Open", "Void", "Paid"]
    assert client.get(f"/portal/invoices/{draft.id}").status_code == 404
    assert client.get(f"/portal/invoices/{draft.id}.pdf").status_code == 404
    assert "See all invoices" in client.get("/portal").text


def test_a_user_views_an_invoice_and_its_pdf_and_the_first_view_is_recorded(app, portal_client, signed_in,
                                                                            open_invoice):
    client = portal_signed_in(app, portal_client)
    page = client.get(f"/portal/invoices/{open_invoice.id}")
    assert page.status_code == 200
    assert "INV-0001" in page.text and "$4,032.19" in page.text and "Managed services" in page.text
    assert re.search(r'data-status="open">Open<', page.text)
    assert f"/portal/invoices/{open_invoice.id}.pdf" in page.text
    first = invoice_row(app, open_invoice.id).first_viewed_at
    assert first is not None
    pdf = client.get(f"/portal/invoices/{open_invoice.id}.pdf")
    assert "$4,032.19" in pdf_text(pdf.data)
    assert invoice_row(app, open_invoice.id).first_viewed_at == first  # the first view is kept
    assert "Viewed" in signed_in.get(f"/invoices/{open_invoice.id}").text


def test_another_customers_invoice_is_a_404_in_the_portal(app, client, partner, other_partner, open_invoice, today):
    theirs = make_customer(app, partner, company="Harbor Architects", ein="", users=(("Cy Doe", "cy@example.com"),))
    elsewhere = make_customer(app, other_partner, users=(("Ann Lee", "ann@example.com"),))
    their_invoice = make_invoice(app, theirs, issue=today, due=today)
    other_partners = make_invoice(app, elsewhere, issue=today, due=today)
    portal_signed_in(app, client, "cy@example.com")
    for invoice_id in (open_invoice.id, other_partners.id):
        assert client.get(f"/portal/invoices/{invoice_id}").status_code == 404
        assert client.get(f"/portal/invoices/{invoice_id}.pdf").status_code == 404
    assert client.get(f"/portal/invoices/{their_invoice.id}").status_code == 200
    listed = client.get("/portal/invoices").text
    assert their_invoice.number in listed and open_invoice.number not in listed
    assert invoice_row(app, open_invoice.id).first_viewed_at is None


def test_the_portal_invoices_need_a_portal_login(signed_in, open_invoice):
    assert signed_in.get(f"/portal/invoices/{open_invoice.id}").headers["Location"].startswith("/portal/login")


# -- the overview --------------------------------------------------------------------------

def test_aging_buckets_count_days_past_due_on_the_given_day(app, partner, customer_id):
    day = date(2027, 3, 15)
    for days_past_due, cents in ((-5, 100), (0, 200), (1, 300), (30, 400), (31, 500), (60, 600), (61, 700),
                                 (90, 800), (91, 900), (400, 1000)):
        due = day - timedelta(days=days_past_due)
        make_invoice(app, customer_id, issue=due - timedelta(days=30), due=due,
                     lines=(("Work", "1", cents, None),))
    make_invoice(app, customer_id, issue=day, due=day, status="draft", lines=(("Work", "1", 99999, None),))
    with app.app_context():
        report = aging(partner.partner_id, day)
    (usd,) = report.currencies
    assert usd.amounts == {"current": 300, "1-30": 700, "31-60": 1100, "61-90": 1500, "over-90": 1900}
    assert usd.total == 5500 and usd.overdue == 5200
    assert report.customers[0].company == "Northwind Dental" and report.customers[0].amounts == usd.amounts


def test_the_partners_calendar_decides_what_is_overdue(app, partner, customer_id):
    """Due on Mar 14: at 01:00 UTC on Mar 15 it is still Mar 14 in New York, so current."""
    from datetime import UTC, datetime

    make_invoice(app, customer_id, issue=date(2027, 3, 1), due=date(2027, 3, 14))
    with app.app_context():
        partner_row = db.session.get(Partner, partner.partner_id)
        new_york = partner_today(partner_row, datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
        assert aging(partner.partner_id, new_york).currencies[0].amounts["current"] == 403219
        partner_row.time_zone = "Europe/Paris"
        paris = partner_today(partner_row, datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
        assert aging(partner.partner_id, paris).currencies[0].amounts["1-30"] == 403219
        db.session.rollback()


def test_the_overview_is_the_landing_page_with_links_to_the_invoices_behind_each_figure(app, client, partner,
                                                                                          customer_id, today):
    from conftest import Auth

    make_invoice(app, customer_id, issue=today - timedelta(days=50), due=today - timedelta(days=40))
    make_invoice(app, customer_id, issue=today, due=today + timedelta(days=30))
    canadian = make_customer(app, partner, company="Maple Dental", ein="", country="CA", state="ON",
                             city="Toronto", postal_code="M5V 2T6", users=(("Di Roy", "di@example.com"),))
    make_invoice(app, canadian, issue=today, due=today + timedelta(days=10), lines=(("Work", "1", 5000, None),))
    response = Auth(client).login(partner.email)
    assert response.headers["Location"] == "/overview"
    page = client.get("/overview").text
    assert "$8,064.38" in page and "CA$50.00" in page  # outstanding per currency
    assert 'href="/invoices?status=overdue&amp;currency=USD">$4,032.19</a>' in page  # USD only: CAD is apart
    due_from, due_to = (today - timedelta(days=60)).isoformat(), (today - timedelta(days=31)).isoformat()
    link = f"/invoices?status=overdue&amp;customer={customer_id}&amp;due_from={due_from}&amp;due_to={due_to}"
    assert f'href="{link}">$4,032.19</a>' in page
    assert "<svg" in page and page.count('class="aging-bar ') == 10  # five bars per currency
    listed = client.get(link.replace("&amp;", "&")).text
    assert "INV-0001" in listed and "INV-0002" not in listed
    assert 'aria-current="page">Overview' in page.replace("\n", "").replace("  ", "")


# -- seed-demo ----------------------------------------------------------------------------

def test_seed_demo_makes_invoices_in_every_state_over_120_days(app, runner):
    from models import Invoice, InvoiceCounter

    result = runner.invoke(args=["seed-demo", "--customers", "10", "--invoices", "200"])
    assert result.exit_code == 0, result.output
    assert "Added 200 invoices (200 in all)." in result.output
    with app.app_context():
        invoices = db.session.scalars(select(Invoice)).all()
        today = partner_today(db.session.get(Partner, invoices[0].partner_id))
        assert {i.status for i in invoices} == {"draft", "open", "paid", "void"}
        assert any(i.status == "open" and i.due_date < today for i in invoices)  # overdue
        assert min(i.issue_date for i in invoices) >= today - timedelta(days=120)
        assert all(i.total == sum(line.amount + line.tax for line in i.lines) > 0 for i in invoices)
        numbers = sorted(int(i.number[4:]) for i in invoices if i.number)
        assert numbers == list(range(1, len(numbers) + 1))  # gapless
        assert db.session.scalar(select(InvoiceCounter.last_number)) == len(numbers)
        assert len({i.customer_id for i in invoices}) == 10
    again = runner.invoke(args=["seed-demo", "--customers", "0"])
    assert "Added" not in again.output  # the default adds none once there are invoices


def test_seed_demo_by_default_makes_a_few_invoices_per_customer(app, runner):
    from models import Invoice

    runner.invoke(args=["seed-demo", "--customers", "4"])
    with app.app_context():
        assert db.session.scalar(select(func.count(Invoice.id))) == 12


def test_a_send_that_loses_a_race_with_a_void_is_a_conflict_and_queues_nothing(app, partner, open_invoice, today):
    # The invoice is read, then voided by another request before this send writes: the version
    # check refuses the write, the unit of work turns it into the 409 page's Conflict, nothing is queued.
    from models import Customer, Invoice
    from services.errors import Conflict
    from services.invoice_sending import send_invoice
    from unit_of_work import unit_of_work

    with app.app_context():
        invoice = db.session.get(Invoice, open_invoice.id)
        customer = db.session.get(Customer, invoice.customer_id)
        with db.engine.begin() as elsewhere:
            elsewhere.execute(Invoice.__table__.update().where(Invoice.id == open_invoice.id)
                              .values(status="void", void_reason="Wrong amount", version=Invoice.version + 1))
        with pytest.raises(Conflict), unit_of_work():
            send_invoice(invoice, customer, db.session.get(Partner, partner.partner_id), staff_id=partner.id,
                         today=today)
        db.session.remove()
        queued = db.session.scalar(select(func.count()).where(OutboxEmail.ref == f"invoice:{open_invoice.id}"))
        assert queued == 0
        assert db.session.scalar(select(func.count()).select_from(InvoiceSend)) == 0


# -- the PDF agrees with the stored sums ---------------------------------------------------

pdf_lines = st.lists(st.tuples(
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4),
    st.integers(min_value=0, max_value=10_000_000),
    st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=4),
), min_size=1, max_size=6)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pdf_lines)
def test_for_any_lines_the_pdf_shows_the_total_of_the_rounded_lines(app, partner, customer_id, typed_lines):
    """PDFs are slow: a few examples, each a draft rendered and read back, then rolled back."""
    from services import invoices as service
    from services.invoice_pdf import render_invoice_pdf

    with app.test_request_context(), app.app_context():
        customer = db.session.get(Customer, customer_id)
        partner_row = db.session.get(Partner, partner.partner_id)
        values = service.DraftValues(date(2026, 5, 1), date(2026, 5, 31), "", [
            service.LineValues(f"Line {n}", quantity, price, rate)
            for n, (quantity, price, rate) in enumerate(typed_lines)])
        invoice = service.create_draft(customer, values, staff_id=None)
        figured = [money.line_money(q, p, r) for q, p, r in typed_lines]
        assert invoice.total == sum(line.amount + line.tax for line in figured)
        text = pdf_text(render_invoice_pdf(invoice, customer, partner_row, today=date(2026, 5, 1)).content)
        db.session.rollback()
    assert money.format_money(invoice.total, "USD") in text
    for line in figured:
        assert money.format_money(line.amount, "USD") in text


def test_dates_show_in_the_partners_locale_on_pages_the_pdf_the_portal_and_the_email(
        app, partner, signed_in, portal_client, customer_id, smtp_server, today):
    with app.app_context():
        db.session.get(Partner, partner.partner_id).locale = "fr_CA"
        db.session.commit()
    made = make_invoice(app, customer_id, issue=today, due=date(2099, 5, 9))
    french = "9 mai 2099"
    assert french in signed_in.get(f"/invoices/{made.id}").text
    assert french in signed_in.get("/invoices").text
    assert french in pdf_text(signed_in.get(f"/invoices/{made.id}.pdf").data)
    portal = portal_signed_in(app, portal_client)
    assert french in portal.get(f"/portal/invoices/{made.id}").text
    assert send(signed_in, made.id).status_code == 303
    with app.app_context():
        deliver_all_due(worker="test")
    message = next(e.message for e in smtp_server.envelopes if made.number in e.message["Subject"])
    assert french in message["Subject"] and french in message.get_body(("plain",)).get_content()
