"""Each user gets their own login: invitations, set-password links, the customer portal."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from test_onboarding import Flow

from conftest import Auth, csrf_token
from extensions import db
from models import AccessToken, Customer, CustomerUser, PortalAccount
from models._time import utcnow
from models.outbox import OutboxEmail
from services import password_links, portal_access
from unit_of_work import unit_of_work

GOOD_PASSWORD = "violet tractor umbrella"


def create_customer(client, company="Northwind Dental", ein="", users=(("Ann Lee", "ann@example.com"),
                                                                         ("Bob Ray", "bob@example.com"))):
    flow = Flow(client)
    flow.to_users(company=company, ein=ein)
    response = flow.users(list(users), "create")
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def emails_to(app, address: str) -> list[OutboxEmail]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id)
        ).all()
        db.session.expunge_all()
        return rows


def link_in(app, email: OutboxEmail) -> str:
    """The first link in the plain-text part that starts with BASE_URL, as a path."""
    base = app.config["BASE_URL"]
    url = next(m for m in re.findall(r"https?://\S+", email.text_body) if m.startswith(base))
    return url[len(base):]


def open_link(client, path: str):
    """Open an emailed link as a browser does: it redirects at once to its page without the token."""
    opened = client.get(path)
    assert opened.status_code == 303, opened.text
    assert opened.headers["Location"] == path.rsplit("/", 1)[0]  # /portal/set-password or /portal/reset
    return client.get(opened.headers["Location"])


def set_password(client, path: str, password: str = GOOD_PASSWORD, confirm: str | None = None):
    page = open_link(client, path)
    assert page.status_code == 200, page.text
    assert 'name="password"' in page.text and 'name="confirm"' in page.text
    return client.post(page.request.path, data={"csrf_token": csrf_token(page.text), "password": password,
                                                "confirm": confirm if confirm is not None else password})


def portal_login(client, email: str, password: str = GOOD_PASSWORD):
    page = client.get("/portal/login")
    return client.post("/portal/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                              "password": password})


@pytest.fixture
def portal_client(app):
    return app.test_client()


def test_creating_a_customer_invites_each_user_by_email(app, signed_in):
    create_customer(signed_in)
    (ann,) = emails_to(app, "ann@example.com")
    (bob,) = emails_to(app, "bob@example.com")
    assert "Acme IT" in ann.subject and "Northwind Dental" in ann.subject
    assert link_in(app, ann).startswith("/portal/set-password/")
    assert link_in(app, ann) != link_in(app, bob)
    assert "Set your password" in ann.html_body
    with app.app_context():
        tokens = db.session.scalars(select(AccessToken)).all()
        raw = link_in(app, ann).rsplit("/", 1)[1]
        assert all(raw not in t.token_hash for t in tokens)  # only a hash is kept


def test_user_sets_a_password_from_the_link_and_signs_in_to_the_portal(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    response = set_password(portal_client, link_in(app, email))
    assert response.status_code == 303 and response.headers["Location"] == "/portal/login"
    assert portal_login(portal_client, "ANN@example.com").status_code == 303
    home = portal_client.get("/portal").text
    assert "Northwind Dental" in home and "Nothing to pay now" in home
    assert "Bob Ray" in home and "bob@example.com" in home


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("ann@example.com!!", "must not contain your email address"),
        ("my name is ann ok", "must not contain your email address"),
    ],
)
def test_weak_passwords_are_refused(app, signed_in, portal_client, password, message):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    response = set_password(portal_client, link_in(app, email), password)
    assert response.status_code == 422
    assert message in response.text


def test_passwords_must_match(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    response = set_password(portal_client, link_in(app, email), GOOD_PASSWORD, "something else entirely")
    assert response.status_code == 422 and "The passwords do not match" in response.text


def test_a_link_works_once(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    path = link_in(app, email)
    assert set_password(portal_client, path).status_code == 303
    again = portal_client.get(path)
    assert again.status_code == 410
    assert "This link was already used" in again.text and "Forgot your password" in again.text


def test_a_link_expires_after_seven_days(app, partner):
    with app.test_request_context():
        customer = _customer_with_user(partner)
        user = customer.users[0]
        portal_access.invite(user, now=utcnow() - timedelta(days=7, minutes=1))
        db.session.commit()
        raw = link_in(app, emails_to(app, user.email)[-1]).rsplit("/", 1)[1]
        with pytest.raises(password_links.LinkError, match="expired"):
            password_links.find(AccessToken, raw, "invite")
        # One minute younger and it still works.
        assert password_links.find(AccessToken, raw, "invite", now=utcnow() - timedelta(minutes=2))


def test_expired_link_page_says_how_to_get_a_new_one(app, partner, portal_client):
    with app.test_request_context():
        customer = _customer_with_user(partner)
        portal_access.invite(customer.users[0], now=utcnow() - timedelta(days=8))
        db.session.commit()
        path = link_in(app, emails_to(app, "zoe@example.com")[-1])
    page = portal_client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.text
    assert "ask the company that invited you" in page.text


def test_resending_an_invitation_makes_the_old_link_stop_working(app, partner, portal_client):
    with app.test_request_context():
        customer = _customer_with_user(partner)
        user = customer.users[0]
        portal_access.invite(user)
        db.session.commit()
        old = link_in(app, emails_to(app, user.email)[-1])
        portal_access.resend_invitation(user)
        db.session.commit()
        new = link_in(app, emails_to(app, user.email)[-1])
    assert old != new
    assert portal_client.get(old).status_code == 410
    assert set_password(portal_client, new).status_code == 303


def test_unknown_links_are_404(portal_client):
    assert portal_client.get("/portal/set-password/not-a-real-token").status_code == 404
    assert portal_client.get("/portal/reset/" + "x" * 300).status_code == 404


def test_a_portal_login_never_opens_the_partner_dashboard(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    set_password(portal_client, link_in(app, email))
    portal_login(portal_client, "ann@example.com")
    for path in ("/customers", "/customers/new", "/tags"):
        response = portal_client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_partner_login_never_opens_the_portal(signed_in):
    response = signed_in.get("/portal")
    assert response.status_code == 302 and response.headers["Location"].startswith("/portal/login")


def test_wrong_portal_password_gets_the_same_message_as_an_unknown_email(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    set_password(portal_client, link_in(app, email))
    wrong = portal_login(portal_client, "ann@example.com", "not my password at all")
    unknown = portal_login(portal_client, "nobody@example.com", "not my password at all")
    assert wrong.status_code == unknown.status_code == 422
    assert "The email address or password is not right" in wrong.text
    assert "The email address or password is not right" in unknown.text


def test_one_person_at_two_customers_has_one_login_and_chooses_the_company(app, signed_in, portal_client):
    create_customer(signed_in, company="First Co", users=[("Ann", "ann@example.com")])
    create_customer(signed_in, company="Second Co", users=[("Ann", "Ann@Example.com")])
    with app.app_context():
        assert db.session.scalar(select(func.count(PortalAccount.id))) == 1
    first, second = emails_to(app, "ann@example.com") + emails_to(app, "Ann@example.com")
    # One login, so one working link: the newer invitation replaced the older one.
    assert portal_client.get(link_in(app, first)).status_code == 410
    set_password(portal_client, link_in(app, second))
    portal_login(portal_client, "ann@example.com")
    response = portal_client.get("/portal")
    assert response.status_code == 302 and response.headers["Location"] == "/portal/choose"
    page = portal_client.get("/portal/choose").text
    assert "First Co" in page and "Second Co" in page
    with app.app_context():
        second_id = db.session.scalar(select(Customer.id).where(Customer.company == "Second Co"))
    chosen = portal_client.post("/portal/choose", data={"csrf_token": csrf_token(page),
                                                         "customer_id": str(second_id)})
    assert chosen.status_code == 303
    assert "Second Co" in portal_client.get("/portal").text


def test_choosing_a_company_that_is_not_yours_is_404(app, signed_in, other_partner, portal_client):
    create_customer(signed_in, company="First Co", users=[("Ann", "ann@example.com")])
    create_customer(signed_in, company="Second Co", users=[("Ann", "ann@example.com")])
    latest = emails_to(app, "ann@example.com")[-1]
    set_password(portal_client, link_in(app, latest))
    portal_login(portal_client, "ann@example.com")
    page = portal_client.get("/portal/choose").text
    response = portal_client.post("/portal/choose", data={"csrf_token": csrf_token(page), "customer_id": "999999"})
    assert response.status_code == 404


def test_changing_a_users_email_moves_the_membership_to_the_new_account(app, partner):
    with app.test_request_context():
        customer = _customer_with_user(partner)
        user = customer.users[0]
        portal_access.invite(user)
        db.session.commit()
        old_account = user.portal_account_id
        user.email = "zoe.new@example.com"
        portal_access.move_membership(user)
        db.session.commit()
        assert user.portal_account_id != old_account
        assert user.portal_account.email == "zoe.new@example.com"
    assert len(emails_to(app, "zoe.new@example.com")) == 1


def test_forgot_password_says_the_same_whether_or_not_the_email_exists(app, signed_in, portal_client):
    create_customer(signed_in)
    (email,) = emails_to(app, "ann@example.com")
    set_password(portal_client, link_in(app, email))
    messages = []
    for address in ("ann@example.com", "nobody@example.com"):
        page = portal_client.get("/portal/forgot-password")
        response = portal_client.post("/portal/forgot-password", data={
            "csrf_token": csrf_token(page.text), "email": address}, follow_redirects=True)
        messages.append(re.search(r'class="flash flash-info">([^<]+)<', response.text).group(1))
    assert messages[0] == messages[1]
    reset = emails_to(app, "ann@example.com")[-1]
    assert link_in(app, reset).startswith("/portal/reset/")
    assert emails_to(app, "nobody@example.com") == []
    assert set_password(portal_client, link_in(app, reset), "a brand new passphrase").status_code == 303
    assert portal_login(portal_client, "ann@example.com", "a brand new passphrase").status_code == 303


def test_a_password_set_through_one_link_ends_the_logins_other_links(app, signed_in, portal_client):
    # An invitation not yet opened and a reset asked for meanwhile: setting the password through
    # the reset leaves the invitation dead too (it could otherwise set the password again).
    create_customer(signed_in)
    (invitation,) = emails_to(app, "ann@example.com")
    page = portal_client.get("/portal/forgot-password")
    portal_client.post("/portal/forgot-password", data={"csrf_token": csrf_token(page.text),
                                                        "email": "ann@example.com"})
    reset = emails_to(app, "ann@example.com")[-1]
    assert set_password(portal_client, link_in(app, reset), "a brand new passphrase").status_code == 303
    assert portal_client.get(link_in(app, invitation)).status_code == 410


def test_reset_requests_are_rate_limited(portal_client):
    for _ in range(5):
        page = portal_client.get("/portal/forgot-password")
        portal_client.post("/portal/forgot-password", data={"csrf_token": csrf_token(page.text),
                                                            "email": "ann@example.com"})
    page = portal_client.get("/portal/forgot-password")
    response = portal_client.post("/portal/forgot-password", data={"csrf_token": csrf_token(page.text),
                                                                   "email": "ann@example.com"})
    assert response.status_code == 429


def test_portal_sign_in_failures_are_rate_limited(portal_client):
    for _ in range(10):
        assert portal_login(portal_client, "ann@example.com", "wrong password!!").status_code == 422
    assert portal_login(portal_client, "ann@example.com", "wrong password!!").status_code == 429


def test_a_creation_that_rolls_back_sends_nothing(app, partner):
    with app.test_request_context():
        customer = _customer_with_user(partner, commit=False)
        portal_access.invite_users(customer.users)
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
        db.session.rollback()
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
        assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_users_tab_status_goes_from_invited_to_active(app, signed_in, portal_client):
    customer_id = create_customer(signed_in)
    with app.app_context():
        ann = db.session.scalar(select(CustomerUser).where(CustomerUser.email == "ann@example.com"))
        assert portal_access.user_statuses([ann])[ann.id][0] == "Invited"
    (email,) = emails_to(app, "ann@example.com")
    set_password(portal_client, link_in(app, email))
    portal_login(portal_client, "ann@example.com")
    with app.app_context():
        ann = db.session.scalar(select(CustomerUser).where(CustomerUser.email == "ann@example.com"))
        assert portal_access.user_statuses([ann])[ann.id][0] == "Invited"  # signed in, not yet seen the company
    assert portal_client.head("/portal").status_code == 200
    with app.app_context():
        ann = db.session.scalar(select(CustomerUser).where(CustomerUser.email == "ann@example.com"))
        assert portal_access.user_statuses([ann])[ann.id][0] == "Invited"  # a HEAD records nothing
    portal_client.get("/portal")
    with app.app_context():
        ann = db.session.scalar(select(CustomerUser).where(CustomerUser.email == "ann@example.com"))
        label, when = portal_access.user_statuses([ann])[ann.id]
        assert label == "Active" and when is not None
    assert customer_id


def _customer_with_user(partner, commit=True) -> Customer:
    customer = Customer(partner_id=partner.partner_id, company="Zoe's Bakery", address="1 Main St", city="Austin",
                        state="TX", postal_code="78701", country="US")
    customer.users = [CustomerUser(name="Zoe", email="zoe@example.com")]
    db.session.add(customer)
    db.session.flush()
    if commit:
        db.session.commit()
    return customer


def test_auth_helper_still_signs_in_staff(client, partner):
    assert Auth(client).login(partner.email).status_code == 303


def test_users_tab_shows_portal_status_and_resends_invitations(app, signed_in):
    customer_id = create_customer(signed_in)
    page = signed_in.get(f"/customers/{customer_id}/users").text
    assert "Portal access" in page and "Invited" in page
    first = emails_to(app, "ann@example.com")[-1]
    with app.app_context():
        ann_id = db.session.scalar(select(CustomerUser.id).where(CustomerUser.email == "ann@example.com"))
    response = signed_in.post(f"/customers/{customer_id}/users/{ann_id}/invite",
                              data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert response.status_code == 200
    assert "Invitation sent again to ann@example.com" in response.text
    second = emails_to(app, "ann@example.com")[-1]
    assert link_in(app, first) != link_in(app, second)
    assert signed_in.get(link_in(app, first)).status_code == 410


def test_resending_for_another_partners_user_is_404(app, signed_in, other_partner):
    other = app.test_client()
    Auth(other).login(other_partner.email)
    theirs = create_customer(other, company="Rival Client")
    with app.app_context():
        their_user = db.session.scalar(select(CustomerUser.id).where(CustomerUser.customer_id == theirs))
    token = csrf_token(signed_in.get("/customers").text)
    response = signed_in.post(f"/customers/{theirs}/users/{their_user}/invite", data={"csrf_token": token})
    assert response.status_code == 404


def test_users_added_later_are_invited_in_the_same_transaction(app, partner):
    from services.customer_users import add_users

    with app.test_request_context():
        customer = _customer_with_user(partner)
        with unit_of_work():
            add_users(customer, [{"name": "Yan", "email": "yan@example.com"}], staff_id=partner.id)
    (email,) = emails_to(app, "yan@example.com")
    assert link_in(app, email).startswith("/portal/set-password/")


def test_a_delivery_failure_shows_on_the_users_tab(app, signed_in, monkeypatch):
    from mailer import MAX_ATTEMPTS, deliver_due

    customer_id = create_customer(signed_in, users=[("Ann Lee", "ann@example.com")])
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens there
    with app.app_context():
        for day in range(MAX_ATTEMPTS):
            deliver_due(worker="t", now=utcnow() + timedelta(days=day))
    assert "Delivery failed" in signed_in.get(f"/customers/{customer_id}/users").text


def test_long_partner_and_company_names_still_queue_the_invitation(app):
    from conftest import make_partner

    long_partner = make_partner(app, "P" * 190, "long@partner.example.com")
    with app.test_request_context():
        customer = _customer_with_user(long_partner, commit=False)
        customer.company = "C" * 200
        portal_access.invite_users(customer.users)
        db.session.commit()
    (email,) = emails_to(app, "zoe@example.com")
    assert "P" * 190 in email.subject and "C" * 200 in email.subject


def test_after_an_email_change_the_old_addresss_link_stops_working(app, partner, portal_client):
    with app.test_request_context():
        user = _customer_with_user(partner).users[0]
        portal_access.invite(user)
        db.session.commit()
        old_link = link_in(app, emails_to(app, "zoe@example.com")[-1])
        user.email = "zoe.right@example.com"  # the first one was a typo: someone else's address
        portal_access.move_membership(user)
        db.session.commit()
    page = portal_client.get(old_link)
    assert page.status_code == 410 and "This link was already used" in page.text
    assert set_password(portal_client, link_in(app, emails_to(app, "zoe.right@example.com")[-1])).status_code == 303


def test_an_email_change_in_case_only_keeps_the_login_and_sends_nothing(app, partner, portal_client):
    with app.test_request_context():
        user = _customer_with_user(partner).users[0]
        portal_access.invite(user)
        db.session.commit()
        account_id = user.portal_account_id
        user.email = "Zoe@example.com"
        portal_access.move_membership(user)
        db.session.commit()
        assert user.portal_account_id == account_id
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
    assert set_password(portal_client, link_in(app, emails_to(app, "zoe@example.com")[-1])).status_code == 303


def test_an_email_changed_to_someone_who_signs_in_already_adds_the_company_to_their_login(
        app, signed_in, portal_client):
    create_customer(signed_in, company="First Co", users=[("Ann", "ann@example.com")])
    set_password(portal_client, link_in(app, emails_to(app, "ann@example.com")[-1]))
    second = create_customer(signed_in, company="Second Co", users=[("Ann", "ann.old@example.com")])
    with app.test_request_context():
        user = db.session.scalar(select(CustomerUser).where(CustomerUser.customer_id == second))
        user.email = "ann@example.com"
        portal_access.move_membership(user)
        db.session.commit()
    (notice,) = [e for e in emails_to(app, "ann@example.com") if "Second Co" in e.subject]
    assert "existing portal password" in notice.text_body
    portal_login(portal_client, "ann@example.com")
    page = portal_client.get("/portal/choose").text
    assert "First Co" in page and "Second Co" in page
    assert portal_client.get(link_in(app, emails_to(app, "ann.old@example.com")[-1])).status_code == 410


def test_a_removed_users_link_stops_working(app, partner, portal_client):
    from services.customer_users import remove_user

    with app.test_request_context():
        customer = _customer_with_user(partner)
        customer.users.append(CustomerUser(name="Yan", email="yan@example.com"))
        db.session.commit()
        portal_access.invite_users(customer.users)
        db.session.commit()
        with unit_of_work():
            remove_user(customer.users[1], staff_id=partner.id)
    assert portal_client.get(link_in(app, emails_to(app, "yan@example.com")[-1])).status_code == 410
    assert set_password(portal_client, link_in(app, emails_to(app, "zoe@example.com")[-1])).status_code == 303


@pytest.mark.parametrize("seen", [False, True])
def test_users_tab_statuses_cost_the_same_queries_for_3_users_as_for_200(app, signed_in, partner, seen):
    def customer_with(count: int) -> int:
        with app.test_request_context():
            customer = _customer_with_user(partner, commit=False)
            customer.company = f"{count} users"
            customer.users += [CustomerUser(name=f"User {n}", email=f"user{n}@example.com") for n in range(count - 1)]
            portal_access.invite_users(customer.users)
            if seen:  # half of them have opened the company in the portal
                for user in customer.users[::2]:
                    user.portal_first_seen_at = user.portal_last_seen_at = utcnow()
            db.session.commit()
            return customer.id

    def queries(customer_id: int) -> int:
        statements = []

        def count(conn, cursor, statement, *_):
            statements.append(statement)

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                page = signed_in.get(f"/customers/{customer_id}/users")
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        assert page.status_code == 200 and "Invited" in page.text
        return len(statements)

    few, many = customer_with(3), customer_with(200)
    signed_in.get(f"/customers/{few}/users")  # the session's first page stores its CSRF token
    assert queries(few) == queries(many)
