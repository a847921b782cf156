"""Signing in and out, for staff and the portal: timing, password hashes, failure limits, session epochs,
one portal login per email across partners."""

import re
import secrets
import time

import argon2
import flask
import pytest
from sqlalchemy import event, func, insert, select, update
from test_portal import GOOD_PASSWORD, create_customer, emails_to, link_in, open_link, portal_login, set_password
from werkzeug.security import generate_password_hash

import models.login
import sign_in
import signed_session
from conftest import PASSWORD, Auth, csrf_token, statements
from extensions import db
from models import Customer, CustomerUser, PortalAccount, StaffUser
from services import portal_access


def customer_of(staff: StaffUser, company: str, email: str) -> CustomerUser:
    """A customer of the staff's partner with one user, invited to the portal."""
    customer = Customer(partner_id=staff.partner_id, company=company, address="1 Main St", city="Austin",
                        state="TX", postal_code="78701", country="US")
    customer.users = [CustomerUser(name=company + " user", email=email)]
    db.session.add(customer)
    db.session.flush()
    portal_access.invite_users(customer.users)
    db.session.commit()
    return customer.users[0]


@pytest.fixture
def logins(app, partner, other_partner):
    """Portal logins in each state: invited (no password yet), active, and one email that
    two partners invited (one login, with companies at both)."""
    with app.test_request_context():
        customer_of(partner, "Invited Co", "invited@example.com")
        active = customer_of(partner, "Active Co", "active@example.com")
        active.portal_account.set_password(GOOD_PASSWORD)
        # Before one login per email, each partner's invitation made a login, each with a password.
        for staff, company, email in ((partner, "First Co", "both@example.com"),
                                      (other_partner, "Second Co", "BOTH@example.com")):
            customer_of(staff, company, email).portal_account.set_password(GOOD_PASSWORD)
        db.session.commit()


@pytest.fixture
def verifications(monkeypatch):
    """Counts password-hash verifications, Argon2's and Werkzeug's (the hashes stored before),
    at the libraries' own functions, whatever models.login does around them."""
    calls = []

    def counted(real):
        def counting(*args):
            calls.append(args[-2])  # the hash (Argon2's verify is a method: its self comes first)
            return real(*args)
        return counting

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted(argon2.PasswordHasher.verify))
    monkeypatch.setattr(models.login, "check_password_hash", counted(models.login.check_password_hash))
    return calls


def staff_login(client, email, password):
    return Auth(client).login(email, password)


SIGN_INS = {"/login": staff_login, "/portal/login": portal_login}
EMAILS = ["nobody@example.com", "invited@example.com", "active@example.com", "both@example.com",
          "owner@acme-it.example.com"]


@pytest.mark.parametrize("path", SIGN_INS)
@pytest.mark.parametrize("email", EMAILS)
def test_every_failed_sign_in_verifies_one_password_hash(app, client, logins, verifications, path, email):
    response = SIGN_INS[path](client, email, "not the right password")
    assert response.status_code == 422
    assert len(verifications) == 1


@pytest.mark.parametrize(("path", "email"), [("/login", "owner@acme-it.example.com"),
                                             ("/portal/login", "active@example.com"),
                                             ("/portal/login", "both@example.com")])
def test_a_successful_sign_in_verifies_one_password_hash(app, client, logins, verifications, path, email):
    password = PASSWORD if path == "/login" else GOOD_PASSWORD
    assert SIGN_INS[path](client, email, password).status_code == 303
    assert len(verifications) == 1


# -- password hashes: Argon2id, older kinds upgraded at sign-in -----------------------------

ARGON2ID = "$argon2id$v=19$m=19456,t=2,p=1$"  # OWASP's minimum (models/login.py)
# A sign-in page -> the login it signs in as in the `logins` fixture: (table, email, password, home).
LOGINS = {"/login": (StaffUser, "owner@acme-it.example.com", PASSWORD, "/customers"),
          "/portal/login": (PortalAccount, "active@example.com", GOOD_PASSWORD, "/portal")}
# Hashes stored before Argon2id (Werkzeug's: scrypt was its default), and Argon2id at other parameters.
OLDER_HASHES = {
    "scrypt": lambda password: generate_password_hash(password, method="scrypt"),
    "pbkdf2": lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    "argon2id-weaker": lambda password: argon2.PasswordHasher(time_cost=1, memory_cost=8192,
                                                              parallelism=1).hash(password),
}


def stored(app, path: str):
    """The login's stored password hash and session epoch."""
    model, email, *_ = LOGINS[path]
    with app.app_context():
        return db.session.execute(select(model.password_hash, model.session_epoch)
                                  .where(model.email_key == email)).one()


def store_hash(app, path: str, password_hash: str) -> None:
    """A hash as an earlier release stored it, written straight to the row: no session ends."""
    model, email, *_ = LOGINS[path]
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(update(model).where(model.email_key == email).values(password_hash=password_hash))


@pytest.mark.parametrize("path", LOGINS)
def test_a_new_password_is_stored_as_argon2id_at_owasps_minimum(app, logins, path):
    assert stored(app, path).password_hash.startswith(ARGON2ID)


@pytest.mark.parametrize("older", OLDER_HASHES)
@pytest.mark.parametrize("path", LOGINS)
def test_signing_in_upgrades_an_older_hash_to_argon2id_and_ends_no_session(app, logins, verifications, path,
                                                                          older):
    _model, email, password, home = LOGINS[path]
    elsewhere = app.test_client()  # signed in before, on another device
    assert SIGN_INS[path](elsewhere, email, password).status_code == 303
    store_hash(app, path, OLDER_HASHES[older](password))
    before = stored(app, path)
    client = app.test_client()
    verifications.clear()
    with statements(app) as seen:
        assert SIGN_INS[path](client, email, password).status_code == 303
    assert len(verifications) == 1  # the older hash; making the new one verifies nothing
    # Saved with the sign-in's own write: one UPDATE of the row, in the sign-in's one commit.
    (written,) = [s for s in seen if s.startswith("UPDATE")]
    assert "password_hash" in written and "last_login_at" in written
    after = stored(app, path)
    assert after.password_hash.startswith(ARGON2ID)
    assert after.session_epoch == before.session_epoch  # the same password: not a change
    assert elsewhere.get(home).status_code == 200 and client.get(home).status_code == 200
    again = app.test_client()
    assert SIGN_INS[path](again, email, password).status_code == 303
    assert stored(app, path).password_hash == after.password_hash  # upgraded once


@pytest.mark.parametrize("older", OLDER_HASHES)
@pytest.mark.parametrize("path", LOGINS)
def test_a_wrong_password_against_an_older_hash_fails_and_leaves_the_hash(app, logins, client, verifications,
                                                                        path, older):
    _model, email, password, _home = LOGINS[path]
    store_hash(app, path, OLDER_HASHES[older](password))
    before = stored(app, path)
    verifications.clear()
    assert SIGN_INS[path](client, email, "not the right password").status_code == 422
    assert len(verifications) == 1
    assert stored(app, path) == before


def test_a_password_set_while_a_sign_in_upgrades_the_older_hash_stays(app, logins, client, monkeypatch):
    store_hash(app, "/login", OLDER_HASHES["scrypt"](PASSWORD))
    reset = models.login.hash_password("a brand new passphrase")
    upgrade = models.login.hash_password

    def reset_meanwhile(password: str) -> str:
        store_hash(app, "/login", reset)  # another request's reset commits while this one hashes
        return upgrade(password)

    monkeypatch.setattr(models.login, "hash_password", reset_meanwhile)
    assert staff_login(client, "owner@acme-it.example.com", PASSWORD).status_code == 303
    assert stored(app, "/login").password_hash == reset


@pytest.mark.parametrize("unreadable", ["$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", "$argon2id$nonsense",
                                        "scrypt:many$salt$hash", "pbkdf2:sha256:many$salt$hash", "sha1$salt$hash",
                                        "nonsense"])
def test_a_stored_hash_that_cannot_be_read_is_a_wrong_password_not_an_error(app, logins, client, unreadable):
    store_hash(app, "/login", unreadable)
    assert staff_login(client, "owner@acme-it.example.com", PASSWORD).status_code == 422
    assert stored(app, "/login").password_hash == unreadable


# -- one portal login per email -------------------------------------------------------

def test_one_email_is_one_portal_login_across_partners(app, logins, client):
    with app.app_context():
        assert db.session.scalar(
            select(func.count(PortalAccount.id)).where(PortalAccount.email_key == "both@example.com")) == 1
    assert portal_login(client, "both@example.com").status_code == 303
    page = client.get("/portal/choose").text
    assert "First Co" in page and "Second Co" in page
    # Each company shows its own users only, never the other partner's.
    with app.app_context():
        second = db.session.scalar(select(Customer.id).where(Customer.company == "Second Co"))
    client.post("/portal/choose", data={"csrf_token": csrf_token(page), "customer_id": str(second)})
    home = client.get("/portal").text
    assert "Second Co" in home and "First Co" not in home and "Acme IT" not in home


def portal_status(users_tab: str) -> str:
    """The one user's portal status on the Users tab (the page's header has its own badge)."""
    (status,) = re.findall(r'<span class="status status-[\w-]+">([^<]+)</span>', users_tab)
    return status


def test_a_partner_never_learns_that_an_email_has_a_login_elsewhere(app, partner, other_partner, client):
    """Ann signs in at partner A's company; partner B then adds her: B sees Invited, and
    Active only once she opens B's company in the portal."""
    signed_in_a, signed_in_b = app.test_client(), app.test_client()
    Auth(signed_in_a).login(partner.email)
    Auth(signed_in_b).login(other_partner.email)
    create_customer(signed_in_a, company="A Co", users=[("Ann", "ann@example.com")])
    set_password(client, link_in(app, emails_to(app, "ann@example.com")[-1]))
    portal_login(client, "ann@example.com")
    client.get("/portal")
    theirs = create_customer(signed_in_b, company="B Co", users=[("Ann", "ann@example.com")])
    tab = signed_in_b.get(f"/customers/{theirs}/users").text
    assert portal_status(tab) == "Invited" and "A Co" not in tab
    # She was told by email (she has a password already); the email names B's company only.
    notice = emails_to(app, "ann@example.com")[-1]
    assert "B Co" in notice.subject and "A Co" not in notice.text_body
    page = client.get("/portal/choose").text
    assert "A Co" in page and "B Co" in page
    with app.app_context():
        b_co = db.session.scalar(select(Customer.id).where(Customer.company == "B Co"))
    client.post("/portal/choose", data={"csrf_token": csrf_token(page), "customer_id": str(b_co)})
    assert "B Co" in client.get("/portal").text
    assert portal_status(signed_in_b.get(f"/customers/{theirs}/users").text) == "Active"


def test_a_reset_email_names_no_partner(app, logins, client):
    page = client.get("/portal/forgot-password")
    client.post("/portal/forgot-password", data={"csrf_token": csrf_token(page.text), "email": "both@example.com"})
    (reset,) = [e for e in emails_to(app, "both@example.com") if "reset" in e.subject.lower()]
    for body in (reset.subject, reset.text_body, reset.html_body):
        assert "Acme IT" not in body and "Rival MSP" not in body
    assert set_password(client, link_in(app, reset), "a brand new passphrase").status_code == 303
    assert portal_login(client, "both@example.com", "a brand new passphrase").status_code == 303


def test_two_requests_making_the_same_new_login_both_get_it(app, partner):
    """The other request's row lands between this one's look-up and its insert."""
    email = f"race-{secrets.token_hex(3)}@example.com"

    done = []

    def other_request_commits_first(conn, cursor, statement, *_):
        if statement.startswith("INSERT INTO portal_accounts") and not done:
            done.append(True)
            with db.engine.begin() as other:
                other.execute(insert(PortalAccount).values(email=email, email_key=email))

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", other_request_commits_first)
        try:
            account = portal_access.account_for(email)
        finally:
            event.remove(db.engine, "before_cursor_execute", other_request_commits_first)
        assert done
        assert account is not None and account.email_key == email
        db.session.commit()
        assert db.session.scalar(select(func.count(PortalAccount.id))) == 1


# -- failure limits ------------------------------------------------------------------

def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.parametrize("path", SIGN_INS)
def test_failures_from_one_address_do_not_lock_out_the_right_password_from_another(app, logins, path):
    email = "owner@acme-it.example.com" if path == "/login" else "active@example.com"
    password = PASSWORD if path == "/login" else GOOD_PASSWORD
    attacker = from_address(app, "203.0.113.7")
    for _ in range(10):
        assert SIGN_INS[path](attacker, email, "not the right password").status_code == 422
    blocked = SIGN_INS[path](attacker, email, password)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert SIGN_INS[path](from_address(app, "198.51.100.20"), email, password).status_code == 303


@pytest.mark.parametrize("path", SIGN_INS)
def test_a_flood_of_random_emails_from_one_address_locks_out_only_that_address(app, logins, path):
    email = "owner@acme-it.example.com" if path == "/login" else "active@example.com"
    password = PASSWORD if path == "/login" else GOOD_PASSWORD
    flood = from_address(app, "203.0.113.8")
    for n in range(50):
        assert SIGN_INS[path](flood, f"guess{n}@example.com", "not the right password").status_code == 422
    assert SIGN_INS[path](flood, email, password).status_code == 429
    assert SIGN_INS[path](from_address(app, "198.51.100.21"), email, password).status_code == 303


# -- session epochs ----------------------------------------------------------------------

def copy_of(app, client):
    """Another browser holding the same session cookie (a copied or stolen cookie)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_a_password_reset_ends_every_session_of_that_login(app, logins, client):
    assert portal_login(client, "active@example.com").status_code == 303
    copied = copy_of(app, client)
    assert copied.get("/portal").status_code == 200
    resetting = app.test_client()
    page = resetting.get("/portal/forgot-password")
    resetting.post("/portal/forgot-password", data={"csrf_token": csrf_token(page.text), "email": "active@example.com"})
    reset = emails_to(app, "active@example.com")[-1]
    assert set_password(resetting, link_in(app, reset), "a brand new passphrase").status_code == 303
    for old in (client, copied):
        response = old.get("/portal")
        assert response.status_code == 302 and response.headers["Location"].startswith("/portal/login")


@pytest.mark.parametrize(("path", "home", "logout"), [("/login", "/customers", "/logout"),
                                                      ("/portal/login", "/portal", "/portal/logout")])
def test_after_sign_out_a_copied_cookie_is_dead(app, logins, client, path, home, logout):
    email = "owner@acme-it.example.com" if path == "/login" else "active@example.com"
    password = PASSWORD if path == "/login" else GOOD_PASSWORD
    assert SIGN_INS[path](client, email, password).status_code == 303
    copied = copy_of(app, client)
    elsewhere = app.test_client()  # the same login, signed in on another device
    assert SIGN_INS[path](elsewhere, email, password).status_code == 303
    page = client.get(home)
    assert page.status_code == 200
    assert client.post(logout, data={"csrf_token": csrf_token(page.text)}).status_code == 303
    for other in (copied, elsewhere):
        assert other.get(home).status_code == 302


def test_changing_a_logins_email_or_password_raises_its_epoch(app, partner):
    with app.app_context():
        staff = db.session.get(StaffUser, partner.id)
        before = staff.session_epoch
        staff.email = "new.owner@acme-it.example.com"
        db.session.commit()
        assert staff.session_epoch == before + 1
        staff.set_password("another long password")
        db.session.commit()
        assert staff.session_epoch == before + 2
        staff.email = staff.email  # the same: nothing ends
        db.session.commit()
        assert staff.session_epoch == before + 2


# -- the signed-in principal, kept per worker for 5 seconds --------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The principal cache's clock, moved on by hand: [now]."""
    now = [1000.0]
    monkeypatch.setattr(sign_in, "clock", lambda: now[0])
    return now


def login_statements(app, client, url="/customers") -> list[str]:
    """The statements a request ran that read a login's table."""
    with statements(app) as seen:
        assert client.get(url).status_code == 200
    return [s for s in seen if re.search(r"\b(staff_users|portal_accounts)\b", s)]


def test_the_login_costs_one_query_with_its_partner_then_none_for_five_seconds(app, signed_in, clock):
    first = login_statements(app, signed_in)
    assert len(first) == 1 and re.search(r"\bJOIN partners\b", first[0]), first
    clock[0] += 4.9
    assert login_statements(app, signed_in) == []
    clock[0] += 0.1
    assert len(login_statements(app, signed_in)) == 1


def test_the_portal_login_goes_through_the_same_cache(app, logins, client, clock):
    assert portal_login(client, "active@example.com").status_code == 303
    assert len(login_statements(app, client, "/portal")) == 1
    assert login_statements(app, client, "/portal") == []


def raise_epoch_elsewhere(app, staff_id: int) -> None:
    """Another worker's sign-out: a write this worker's session never sees."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(update(StaffUser).where(StaffUser.id == staff_id)
                     .values(session_epoch=StaffUser.session_epoch + 1))


def test_an_epoch_raised_by_another_worker_ends_the_session_within_five_seconds(app, signed_in, partner, clock):
    assert signed_in.get("/customers").status_code == 200
    raise_epoch_elsewhere(app, partner.id)
    clock[0] += 4.9
    assert signed_in.get("/customers").status_code == 200  # this worker read the login 4.9 s ago
    clock[0] += 0.1
    response = signed_in.get("/customers")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_signing_in_again_through_another_worker_is_not_undone_by_this_ones_cache(app, signed_in, partner, clock):
    # Sign out and in again elsewhere within 5 s: this worker's cached epoch is the old one,
    # the new session's is the new one; the person stays signed in, and the old cookie is dead.
    client = signed_in
    assert client.get("/customers").status_code == 200
    old_cookie = client.get_cookie("session").value
    raise_epoch_elsewhere(app, partner.id)
    with client.session_transaction() as cookie:
        cookie[sign_in.EPOCH] += 1  # what the other worker's sign-in wrote
    assert client.get("/customers").status_code == 200
    client.set_cookie("session", old_cookie)
    assert client.get("/customers").status_code == 302


def test_an_epoch_raised_in_this_worker_ends_the_session_at_once(app, signed_in, partner, clock):
    assert signed_in.get("/customers").status_code == 200
    with app.app_context():
        db.session.get(StaffUser, partner.id).set_password("another long password")
        db.session.commit()
    assert signed_in.get("/customers").status_code == 302


def test_a_rolled_back_epoch_change_ends_nothing(app, signed_in, partner, clock):
    assert signed_in.get("/customers").status_code == 200
    with app.app_context():
        db.session.get(StaffUser, partner.id).end_sessions()
        db.session.flush()
        db.session.rollback()
    assert login_statements(app, signed_in) == []  # still the cached login, still signed in


# -- links ---------------------------------------------------------------------------------

def test_the_link_token_leaves_the_address_bar_at_once(app, logins, client):
    with app.app_context():
        invite = emails_to(app, "invited@example.com")[-1]
    path = link_in(app, invite)
    raw = path.rsplit("/", 1)[1]
    page = open_link(client, path)
    assert page.request.path == "/portal/set-password" and raw not in page.text
    assert "Set your password" in page.text
    # Without a link opened in this session, the page is the clear "does not work" page.
    assert app.test_client().get("/portal/set-password").status_code == 404
    assert app.test_client().get("/portal/reset").status_code == 404


# -- the signed cookie, verified once per worker (signed_session.py) ----------------------

def test_a_remembered_cookie_still_expires(app, signed_in, monkeypatch):
    assert signed_in.get("/customers").status_code == 200  # verified, and remembered
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 1
    monkeypatch.setattr(signed_session.time, "time", lambda: later)
    response = signed_in.get("/customers")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_cookie_one_character_off_a_remembered_one_is_refused(app, signed_in):
    assert signed_in.get("/customers").status_code == 200
    value = signed_in.get_cookie("session").value
    forged = app.test_client()
    # Not the last character: its low bits are base64 padding, so some changes there decode to
    # the same signature (the test failed about one run in twenty).
    forged.set_cookie("session", value[:-5] + ("A" if value[-5] != "A" else "B") + value[-4:])
    assert forged.get("/customers").status_code == 302
    assert copy_of(app, signed_in).get("/customers").status_code == 200  # the same string is the same session


def test_each_request_gets_its_own_copy_of_a_remembered_session(app):
    with app.test_request_context():
        value = app.session_interface.get_signing_serializer(app).dumps({"_flashes": [("info", "Saved.")]})
    cookie = {"Cookie": f"session={value}"}
    with app.test_request_context(headers=cookie):
        first = app.session_interface.open_session(app, flask.request)
        first["_flashes"].append(("info", "only in this request"))
    with app.test_request_context(headers=cookie):
        again = app.session_interface.open_session(app, flask.request)
    assert again["_flashes"] == [("info", "Saved.")]
