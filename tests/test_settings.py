"""The partner's settings: what invoices say about the partner, its clock and its number format."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from babel.dates import format_date
from customer_helpers import PARTIAL, make_customer, make_draft_invoice, token

from conftest import Auth
from extensions import db
from models import Customer, Partner

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def _save(client, **fields):
    data = {"csrf_token": token(client, "/settings"), "legal_name": "", "address": "", "ein": "",
            "gst_hst_number": "", "time_zone": "America/New_York", "locale": "en_US", **fields}
    return client.post("/settings", data=data, content_type="multipart/form-data")


def _partner(app, staff) -> Partner:
    with app.app_context():
        partner = db.session.get(Partner, staff.partner_id)
        db.session.refresh(partner)
        logo = partner.logo
        db.session.expunge(partner)
        partner.__dict__["logo"] = logo
        return partner


def test_the_defaults_are_new_york_and_en_us(signed_in, app, partner):
    page = signed_in.get("/settings").text
    assert '<option value="America/New_York" selected>' in page
    assert '<option value="en_US" selected>' in page
    assert (_partner(app, partner).time_zone, _partner(app, partner).locale) == ("America/New_York", "en_US")


def test_settings_are_saved_normalized(signed_in, app, partner):
    response = _save(signed_in, legal_name=" Acme IT Services LLC ", address="1 Main St\r\nSuite 5\r\nAustin, TX",
                     ein="911144442", gst_hst_number="123456782 rt 0001", time_zone="America/Vancouver",
                     locale="fr_CA", logo=(io.BytesIO(PNG), "logo.png"))
    assert response.status_code == 303
    saved = _partner(app, partner)
    assert (saved.legal_name, saved.address, saved.ein, saved.gst_hst_number, saved.time_zone, saved.locale) == (
        "Acme IT Services LLC", "1 Main St\nSuite 5\nAustin, TX", "91-1144442", "123456782RT0001",
        "America/Vancouver", "fr_CA")
    assert (saved.logo, saved.logo_type) == (PNG, "image/png")
    logo = signed_in.get("/settings/logo")
    assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    assert _save(signed_in, remove_logo="y").status_code == 303
    assert _partner(app, partner).logo is None and signed_in.get("/settings/logo").status_code == 404


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ein", "12-345", "Enter the EIN as 9 digits, like 12-3456789"),
    ("gst_hst_number", "123456789RT0001",
     "Check the GST/HST number: its first 9 digits are not a valid business number"),
    ("gst_hst_number", "RT0001", "Enter the GST/HST number as 9 digits, RT and 4 digits, like 123456782RT0001"),
    ("time_zone", "Mars/Olympus", "Select a time zone"),
    ("locale", "xx_XX", "Select how amounts are written"),
    ("legal_name", "a\x0bb", "Legal name must not contain control characters"),
    ("surcharge_percent", "3.5", "Card surcharge must be 3% or less"),
    ("surcharge_percent", "-1", "Card surcharge cannot be negative"),
    ("surcharge_percent", "2.555", "Card surcharge can have at most 2 decimal places"),
])
def test_bad_settings_get_a_message_by_the_field(signed_in, app, partner, field, value, message):
    response = _save(signed_in, **{field: value})
    assert response.status_code == 422
    assert f'<a href="#{field}">{message}</a>' in response.text
    assert _partner(app, partner).time_zone == "America/New_York"


@pytest.mark.parametrize(("upload", "message"), [
    (b"GIF89a" + b"\x00" * 10, "The logo must be a PNG or JPEG image"),
    (PNG + b"\x00" * 200_000, "The logo must be 200 kB or smaller"),
])
def test_a_logo_must_be_a_small_png_or_jpeg(signed_in, app, partner, upload, message):
    response = _save(signed_in, logo=(io.BytesIO(upload), "logo.png"))
    assert response.status_code == 422 and message in response.text
    assert _partner(app, partner).logo is None


def test_the_blur_check_answers_the_field(signed_in):
    response = signed_in.post("/settings/check/ein", data={"ein": "12"},
                              headers={**PARTIAL, "X-CSRFToken": token(signed_in, "/settings")})
    assert response.status_code == 200 and 'id="row-ein"' in response.text
    assert "Enter the EIN as 9 digits" in response.text


def test_amounts_follow_the_partners_locale(signed_in, app, partner):
    invoice_id = make_draft_invoice(app, partner, make_customer(app, partner))
    assert "$100.00" in signed_in.get(f"/invoices/{invoice_id}").text
    _save(signed_in, locale="fr_CA")
    assert "100,00\xa0$\xa0US" in signed_in.get(f"/invoices/{invoice_id}").text


def test_a_new_locale_dates_the_customer_list_at_once(signed_in, app, partner):
    """All Customers reads the locale from the signed-in login, kept per worker: saving the
    settings drops that worker's copy, so the next page already speaks the new locale."""
    customer_id = make_customer(app, partner)
    with app.app_context():
        created = db.session.get(Customer, customer_id).created_at
    english, french = (format_date(created, "medium", locale=locale) for locale in ("en_US", "fr_CA"))
    assert english in signed_in.get("/customers").text  # and the login is now kept by this worker
    _save(signed_in, locale="fr_CA")
    page = signed_in.get("/customers").text
    assert french in page and english not in page


def test_the_card_surcharge_is_off_by_default_and_saved_with_its_switch(signed_in, app, partner):
    page = signed_in.get("/settings").text
    assert 'name="surcharge_percent" type="text" value="0"' in page
    assert _save(signed_in, surcharge_percent="2.5%", surcharges_on="y").status_code == 303
    saved = _partner(app, partner)
    assert (str(saved.surcharge_percent), saved.surcharges_on) == ("2.50", True)
    _save(signed_in, surcharge_percent="2.5")
    assert _partner(app, partner).surcharges_on is False


def test_a_new_time_zone_moves_today_at_once(client, app, partner):
    """The lists and the Overview take the partner's time zone from the signed-in login, kept
    per worker: saving the settings drops that worker's copy, so the next page's "today" is
    already the new zone's. At 02:30 UTC on March 11 it is still March 10 in New York."""
    with time_machine.travel(datetime(2027, 3, 11, 2, 30, tzinfo=UTC), tick=False):
        assert Auth(client).login(partner.email).status_code == 303
        assert "Open invoices as of Mar 10, 2027" in client.get("/overview").text
        _save(client, time_zone="Europe/London")
        assert "Open invoices as of Mar 11, 2027" in client.get("/overview").text
