"""A partner's staff member who forgot the password: "Forgot password?" on /login, the emailed
link, a new password; the same link machinery as the portal's (services/password_links.py)."""

import re
from datetime import timedelta

import pytest
from test_portal import emails_to, link_in, open_link, set_password

from conftest import PASSWORD, Auth, csrf_token, make_partner
from extensions import db
from models import StaffLink
from models._time import utcnow
from services import password_links, staff_access

NEW_PASSWORD = "a brand new passphrase"


def forgot(client, email: str, **kwargs):
    page = client.get("/forgot-password")
    assert page.status_code == 200
    return client.post("/forgot-password", data={"csrf_token": csrf_token(page.text), "email": email}, **kwargs)


def reset_link(app, client, email: str) -> str:
    assert forgot(client, email).status_code == 303
    return link_in(app, emails_to(app, email)[-1])


def test_sign_in_page_offers_forgot_password(client):
    page = client.get("/login").text
    assert '<a href="/forgot-password">Forgot password?</a>' in page
    assert "Forgot your password?" in client.get("/forgot-password").text


def test_staff_member_resets_the_password_and_every_old_session_ends(app, client, partner, signed_in):
    stranger = app.test_client()
    path = reset_link(app, stranger, partner.email)
    assert path.startswith("/reset/")
    (email,) = emails_to(app, partner.email)
    assert email.subject == "Reset your Receivables password"
    assert "Acme IT staff" in email.text_body and "works once, for 7 days" in email.text_body

    page = open_link(stranger, path)  # the token leaves the address: 303 to /reset
    assert page.request.path == "/reset" and "Choose a new password" in page.text
    assert partner.email in page.text
    assert set_password(stranger, path, NEW_PASSWORD).status_code == 303

    # The session signed in before the reset is over; the old password no longer works.
    assert signed_in.get("/customers").status_code == 302
    assert Auth(app.test_client()).login(partner.email, PASSWORD).status_code == 422
    assert Auth(app.test_client()).login(partner.email, NEW_PASSWORD).status_code == 303


def test_a_used_link_is_410_and_an_unknown_one_404(app, client, partner):
    path = reset_link(app, client, partner.email)
    assert set_password(client, path, NEW_PASSWORD).status_code == 303
    again = client.get(path)
    assert again.status_code == 410
    assert "This link was already used" in again.text and 'href="/forgot-password"' in again.text
    assert "invited you" not in again.text  # the portal's other way, not staff's
    assert client.get("/reset/not-a-real-token").status_code == 404
    assert client.get("/reset/" + "x" * 300).status_code == 404
    assert client.get("/reset").status_code == 404  # no link in the session


def test_a_newer_link_replaces_the_older(app, client, partner):
    old = reset_link(app, client, partner.email)
    new = reset_link(app, client, partner.email)
    assert old != new
    assert client.get(old).status_code == 410
    assert set_password(client, new, NEW_PASSWORD).status_code == 303


def test_a_link_works_for_seven_days(app, partner):
    with app.test_request_context():
        staff_access.request_reset(partner.email, now=utcnow() - timedelta(days=7, minutes=1))
        db.session.commit()
        raw = link_in(app, emails_to(app, partner.email)[-1]).rsplit("/", 1)[1]
        with pytest.raises(password_links.LinkError, match="expired"):
            password_links.find(StaffLink, raw, "reset")
        assert password_links.find(StaffLink, raw, "reset", now=utcnow() - timedelta(minutes=2))
    assert app.test_client().get(f"/reset/{raw}").status_code == 410


def test_staff_and_portal_links_are_not_interchangeable(app, client, partner):
    path = reset_link(app, client, partner.email)
    assert client.get("/portal" + path).status_code == 404


def test_the_answer_is_the_same_whether_or_not_the_email_has_a_login(app, client, partner):
    said = []
    for address in (partner.email.upper(), "nobody@example.com"):
        response = forgot(client, address, follow_redirects=True)
        assert response.request.path == "/login"
        said.append(re.search(r'class="flash flash-info">([^<]+)<', response.text).group(1))
    assert said[0] == said[1] and "If that email address has a login" in said[0]
    assert len(emails_to(app, partner.email)) == 1
    assert emails_to(app, "nobody@example.com") == []


def test_an_empty_email_is_asked_for(client):
    response = forgot(client, "")
    assert response.status_code == 422 and "Enter your email address" in response.text


def test_reset_requests_are_limited_per_email_and_per_address(app, client, partner):
    for _ in range(5):
        assert forgot(client, partner.email).status_code == 303
    assert forgot(client, partner.email).status_code == 429
    assert len(emails_to(app, partner.email)) == 5
    portal = client.get("/portal/forgot-password")  # the portal's limits are its own
    assert client.post("/portal/forgot-password", data={"csrf_token": csrf_token(portal.text),
                                                        "email": partner.email}).status_code == 303
    for n in range(14):  # 20 an hour from one address, whatever the emails
        assert forgot(client, f"someone{n}@example.com").status_code == 303
    assert forgot(client, "someone-else@example.com").status_code == 429


def test_another_staff_members_link_sets_only_their_password(app, client, partner):
    colleague = make_partner(app, "Rival MSP", "boss@rival.example.com")
    path = reset_link(app, client, colleague.email)
    assert set_password(client, path, NEW_PASSWORD).status_code == 303
    assert Auth(app.test_client()).login(partner.email, PASSWORD).status_code == 303
    assert Auth(app.test_client()).login(colleague.email, NEW_PASSWORD).status_code == 303
