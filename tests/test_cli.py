"""The command line: create-partner and seed-demo."""

from sqlalchemy import func, select

from conftest import Auth
from extensions import db
from models import Customer, CustomerUser, Partner, StaffUser


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_partner_makes_a_partner_whose_login_works(app, runner, client):
    result = runner.invoke(args=["create-partner", "Acme IT", "Owner@Acme.example.com",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created partner 'Acme IT'" in result.output
    assert Auth(client).login("owner@acme.example.com", "a long enough password").status_code == 303


def test_create_partner_prompts_for_the_password(app, runner, client):
    result = runner.invoke(args=["create-partner", "Acme IT", "owner@acme.example.com"],
                           input="prompted password 1\nprompted password 1\n")
    assert result.exit_code == 0, result.output
    assert Auth(client).login("owner@acme.example.com", "prompted password 1").status_code == 303


def test_create_partner_refuses_an_email_that_already_has_a_login(app, runner, partner):
    result = runner.invoke(args=["create-partner", "Again", partner.email.upper(),
                                 "--password", "a long enough password"])
    assert result.exit_code != 0
    assert "already has a login" in result.output
    assert count(app, Partner) == 1


def test_create_partner_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["create-partner", "Acme", "a@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 12" in result.output
    assert count(app, StaffUser) == 0


def test_seed_demo_makes_a_living_dashboard_and_prints_the_login(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    password = result.output.split("with password ")[1].strip()
    assert count(app, Customer) == 25
    assert count(app, CustomerUser) >= 25
    Auth(client).login("demo@example.com", password)
    assert client.get("/customers").text.count('<td><a href="/customers/') == 25


def test_seed_demo_again_adds_to_the_same_partner(app, runner):
    runner.invoke(args=["seed-demo", "--customers", "5"])
    result = runner.invoke(args=["seed-demo", "--customers", "7"])
    assert result.exit_code == 0, result.output
    assert count(app, Partner) == 1
    assert count(app, Customer) == 12


def test_seed_demo_with_a_given_login(app, runner, client):
    result = runner.invoke(args=["seed-demo", "--customers", "3", "--email", "me@example.com",
                                 "--password", "my own password"])
    assert result.exit_code == 0, result.output
    assert Auth(client).login("me@example.com", "my own password").status_code == 303


def test_seed_demo_only_if_new_adds_nothing_the_second_time(app, runner):
    runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    runner.invoke(args=["seed-demo", "--customers", "4", "--only-if-new"])
    assert count(app, Customer) == 4
