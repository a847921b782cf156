"""The command line: create-partner and seed-demo."""

import re
import stat

import pytest
from sqlalchemy import func, select

from conftest import Auth, csrf_token
from extensions import db
from forms import rules
from models import Customer, CustomerUser, Partner, StaffUser


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def printed_password(output: str) -> str:
    return re.search(r"with password (\S+)", output).group(1)


def signs_in(client, email: str, password: str) -> bool:
    response = Auth(client).login(email, password)
    if response.status_code == 303:
        client.post("/logout", data={"csrf_token": Auth(client).token()})
        return True
    return False


# -- create-partner --------------------------------------------------------------

def test_create_partner_makes_a_partner_whose_login_works(app, runner, client):
    result = runner.invoke(args=["create-partner", "Acme IT", "Owner@Acme.example.com",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created partner 'Acme IT'" in result.output
    assert "a long enough password" not in result.output
    with app.app_context():
        staff = db.session.scalar(select(StaffUser))
        assert staff.partner.name == "Acme IT"
        assert staff.email == "Owner@acme.example.com"  # the domain as email-validator gives it
        assert "a long enough password" not in staff.password_hash  # stored only as a hash
    assert signs_in(client, "owner@acme.example.com", "a long enough password")
    assert not signs_in(client, "owner@acme.example.com", "another long password")


def test_create_partner_prompts_for_the_password_twice_without_echoing_it(app, runner, client):
    result = runner.invoke(args=["create-partner", "Acme IT", "owner@acme.example.com"],
                           input="prompted password 1\nprompted password 1\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "prompted password 1" not in result.output
    assert signs_in(client, "owner@acme.example.com", "prompted password 1")


def test_create_partner_asks_again_when_the_two_passwords_differ(app, runner, client):
    result = runner.invoke(args=["create-partner", "Acme IT", "owner@acme.example.com"],
                           input="prompted password 1\nprompted password 2\nprompted password 3\nprompted password 3\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert signs_in(client, "owner@acme.example.com", "prompted password 3")


def test_create_partner_refuses_an_email_that_already_has_a_login(app, runner, partner):
    result = runner.invoke(args=["create-partner", "Again", partner.email.upper(),
                                 "--password", "a long enough password"])
    assert result.exit_code == 2  # a usage error: a message, no traceback
    assert "already has a login" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert count(app, Partner) == 1 and count(app, StaffUser) == 1


def test_create_partner_refuses_a_short_password_and_a_bad_email(app, runner):
    short = runner.invoke(args=["create-partner", "Acme", "a@example.com", "--password", "short"])
    assert short.exit_code == 2 and "at least 12" in short.output
    for email in ("not-an-email", "owner@", "owner@acme"):
        bad = runner.invoke(args=["create-partner", "Acme", email, "--password", "a long enough password"])
        assert bad.exit_code == 2 and "not a valid email address" in bad.output, email
    nameless = runner.invoke(args=["create-partner", " ", "a@example.com", "--password", "a long enough password"])
    assert nameless.exit_code == 2 and "name" in nameless.output
    assert count(app, StaffUser) == 0 and count(app, Partner) == 0


@pytest.mark.parametrize("name", ["Acme\nIT", "Acme\u2028IT", "Acme\x00IT"])
def test_create_partner_refuses_a_name_that_is_not_one_line(app, runner, name):
    """Its name goes into every invitation's subject: a line break there would fail them all."""
    result = runner.invoke(args=["create-partner", name, "a@example.com", "--password", "a long enough password"])
    assert result.exit_code == 2 and "Partner name must not contain control characters" in result.output
    assert count(app, StaffUser) == 0 and count(app, Partner) == 0


# -- seed-demo -------------------------------------------------------------------

def test_seed_demo_makes_a_living_dashboard_and_prints_the_login(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "demo@example.com" in result.output
    assert count(app, Partner) == 1
    assert count(app, Customer) == 25
    assert count(app, CustomerUser) > 25  # some have several users
    Auth(client).login("demo@example.com", printed_password(result.output))
    page = client.get("/customers").text
    assert page.count('<td><a href="/customers/') == 25
    assert 'rel="next"' not in page  # exactly one page


def test_demo_customers_are_ones_a_partner_could_have_typed(app, runner):
    """Valid EINs, states, postal codes and emails, by the rules of the Add customer form."""
    runner.invoke(args=["seed-demo", "--customers", "60"])
    with app.app_context():
        customers = db.session.scalars(select(Customer)).all()
        assert len({c.company for c in customers}) == 60
        for customer in customers:
            if customer.ein:
                assert rules.normalize_ein(customer.ein) == customer.ein
            assert rules.normalize_region(customer.state, customer.country) == customer.state
            assert rules.normalize_postal_code(customer.postal_code, customer.country, customer.state) \
                == customer.postal_code
            for user in customer.users:
                assert rules.normalize_email(user.email) == user.email
        assert {c.country for c in customers} == {"US", "CA"}
        assert any(c.ein is None for c in customers) and any(c.legal_name is None for c in customers)


def test_seed_demo_makes_as_many_customers_as_asked(app, runner):
    result = runner.invoke(args=["seed-demo", "--customers", "3"])
    assert result.exit_code == 0, result.output
    assert count(app, Customer) == 3
    refused = runner.invoke(args=["seed-demo", "--customers", "-1"])
    assert refused.exit_code == 2 and count(app, Customer) == 3


def test_seed_demo_again_adds_to_the_same_partner_and_its_new_login_works(app, runner, client):
    first = runner.invoke(args=["seed-demo", "--customers", "5"])
    second = runner.invoke(args=["seed-demo", "--customers", "7"])
    assert second.exit_code == 0, second.output
    assert count(app, Partner) == 1 and count(app, StaffUser) == 1
    assert count(app, Customer) == 12
    with app.app_context():
        assert len(set(db.session.scalars(select(Customer.ein).where(Customer.ein.is_not(None))))) == \
            count(app, Customer, Customer.ein.is_not(None))
    assert signs_in(client, "demo@example.com", printed_password(second.output))
    if printed_password(first.output) != printed_password(second.output):
        assert not signs_in(client, "demo@example.com", printed_password(first.output))


def test_seed_demo_with_a_given_login(app, runner, client):
    result = runner.invoke(args=["seed-demo", "--customers", "3", "--email", "me@example.com",
                                 "--password", "my own password"])
    assert result.exit_code == 0, result.output
    assert "me@example.com" in result.output
    assert signs_in(client, "me@example.com", "my own password")
    again = runner.invoke(args=["seed-demo", "--customers", "2", "--email", "me@example.com",
                                "--password", "my own password"])
    assert again.exit_code == 0, again.output
    assert count(app, Partner) == 1 and count(app, Customer) == 5
    assert signs_in(client, "me@example.com", "my own password")


def test_seed_demo_only_if_new_adds_nothing_the_second_time_but_prints_a_working_login(app, runner, client):
    runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    result = runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    assert result.exit_code == 0, result.output
    assert count(app, Customer) == 4
    assert signs_in(client, "demo@example.com", printed_password(result.output))


# -- seed-demo in development: instance/demo-login.txt -------------------------------

@pytest.fixture
def demo_login_file(app, monkeypatch, tmp_path):
    path = tmp_path / "demo-login.txt"
    monkeypatch.setitem(app.config, "DEMO_LOGIN_FILE", str(path))
    return path


def printed_portal_login(output: str) -> tuple[str, str]:
    found = re.search(r"Sign in to the portal at http://\S+/portal/login as (\S+) with password (\S+)", output)
    return found.group(1), found.group(2)


def test_every_start_keeps_the_demo_passwords_and_the_second_says_what_it_found(
        app, runner, client, demo_login_file):
    first = runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    assert first.exit_code == 0, first.output
    assert "added 4 customers" in first.output
    assert stat.S_IMODE(demo_login_file.stat().st_mode) == 0o600
    second = runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    assert second.exit_code == 0, second.output
    assert "The demo data is already there: 4 customers." in second.output
    assert "added 0" not in second.output
    assert printed_password(second.output) == printed_password(first.output)
    assert printed_portal_login(second.output) == printed_portal_login(first.output)
    assert signs_in(client, "demo@example.com", printed_password(second.output))


def test_the_demo_portal_user_signs_in_to_the_portal(app, runner, client, demo_login_file):
    result = runner.invoke(args=["seed-demo", "--customers", "2"])
    email, password = printed_portal_login(result.output)
    page = client.get("/portal/login")
    response = client.post("/portal/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                                  "password": password})
    assert response.status_code == 303
    assert "Blue Dental" in client.get(response.headers["Location"], follow_redirects=True).text


def test_without_a_login_file_each_run_makes_a_new_password(app, runner):
    first = runner.invoke(args=["seed-demo", "--customers", "1"])
    second = runner.invoke(args=["seed-demo", "--customers", "0", "--only-if-new"])
    assert printed_password(first.output) != printed_password(second.output)
