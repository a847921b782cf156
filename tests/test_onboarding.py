"""Add customer, as a partner does it over plain HTTP: details, users, Create Customer."""

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from conftest import PASSWORD, Auth, statements
from extensions import db
from forms.checks import form_for_check
from forms.customer import NewCustomerDetailsForm
from keys import email_key
from models import Customer, CustomerUser, StaffUser, StoredDraft
from models._time import utcnow
from services.drafts import delete_expired

DETAILS = {
    "company": "Northwind Dental",
    "legal_name": "Northwind Dental LLC",
    "ein": "911144442",
    "country": "US",
    "address": "100 Main St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden {name}"
    return match.group(1)


class Flow:
    """The partner's browser tab: it sends back the page's hidden inputs."""

    def __init__(self, client):
        self.client = client
        self.page = None

    def open(self, path="/customers/new"):
        self.page = self.client.get(path)
        return self.page

    def tokens(self):
        return {
            "csrf_token": hidden(self.page.text, "csrf_token"),
            "draft_token": hidden(self.page.text, "draft_token"),
        }

    def post(self, path, data, follow=False, headers=None):
        response = self.client.post(
            path, data={**self.tokens(), **data}, follow_redirects=follow, headers=headers
        )
        if follow or response.status_code != 303:
            self.page = response
        return response

    def continue_(self, **overrides):
        return self.post("/customers/new", {**DETAILS, **overrides, "action": "continue"})

    def to_users(self, **overrides):
        self.open()
        assert self.continue_(**overrides).status_code == 303
        return self.open("/customers/new/users")

    def users(self, rows, action):
        data = {"action": action}
        for i, (name, email) in enumerate(rows):
            data[f"users-{i}-name"] = name
            data[f"users-{i}-email"] = email
        return self.post("/customers/new/users", data)

    def check(self, field, **values):
        data = {**self.tokens(), **DETAILS, **values}
        return self.client.post(
            f"/customers/new/check/{field}", data=data,
            headers={**PARTIAL, "X-CSRFToken": data["csrf_token"]},
        )


@pytest.fixture
def flow(signed_in):
    return Flow(signed_in)


def stored_drafts(app) -> list:
    with app.app_context():
        return db.session.execute(select(StoredDraft.__table__).order_by(StoredDraft.updated_at)).all()


def session_of(app, client) -> dict:
    """What the session cookie holds, read with the app's own serializer."""
    return app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)


def make_staff(app, partner_id: int, email: str) -> str:
    with app.app_context():
        staff = StaffUser(partner_id=partner_id, name="Colleague", email=email, email_key=email_key(email))
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    return email


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


# -- step 1 -----------------------------------------------------------------

def test_step_one_shows_the_fields_of_the_seed_with_country_first_in_the_address(flow):
    page = flow.open().text
    names = re.findall(r'<(?:input|select)[^>]*name="(\w+)"', page)
    fields = [n for n in names if n not in ("csrf_token", "draft_token", "q")]
    assert fields == ["company", "legal_name", "ein", "country", "address", "city", "state", "postal_code"]
    assert "novalidate" in page
    assert 'aria-current="step"' in page and "Company details" in page
    assert re.search(r'<option value="US" selected>United States</option>', page)
    assert "(optional)" in page


def test_continue_keeps_the_draft_and_goes_to_users_without_writing_anything(app, flow):
    flow.open()
    response = flow.continue_()
    assert response.status_code == 303
    assert response.headers["Location"] == "/customers/new/users"
    assert count(app, Customer) == 0
    page = flow.open("/customers/new/users").text
    assert "Users for Northwind Dental" in page


def test_continue_with_mistakes_shows_a_summary_and_keeps_every_value(flow):
    flow.open()
    response = flow.continue_(company="  ", ein="12-345", postal_code="1234")
    assert response.status_code == 422
    page = response.text
    assert "<title>Error: " in page
    assert 'role="alert"' in page and "There is a problem" in page
    assert '<a href="#company">Enter the company name</a>' in page
    assert 'href="#ein"' in page and 'href="#postal_code"' in page
    assert 'value="12-345"' in page and 'value="Northwind Dental LLC"' in page
    assert re.search(r'id="ein"[^>]*aria-describedby="ein-hint ein-error"[^>]*aria-invalid="true"', page)
    assert 'id="ein-error"' in page


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"company": "x" * 201}, "Company must be 200 characters or fewer"),
        # A NUL byte never reaches a form: the input guard refuses the request (test_request_input.py).
        ({"company": "A\x07B"}, "Company must not contain control characters"),
        ({"company": "Acme\u2028Co"}, "Company must not contain control characters"),  # never reaches an email
        ({"legal_name": "Acme\u2029LLC"}, "Legal name must not contain control characters"),
        ({"city": "y" * 10_000}, "City must be 100 characters or fewer"),
        ({"ein": "９１１１４４４４２"}, "Enter the EIN as 9 digits, like 12-3456789"),
        ({"country": "MX"}, "Select United States or Canada"),
        ({"state": "ON"}, "Ontario"),
        ({"postal_code": "10001", "state": "CA"}, "ZIP code 10001 is not in California"),
        ({"postal_code": "K1A 0B1"}, "looks like a Canadian postal code"),
    ],
)
def test_partner_sees_a_clear_message_for_each_broken_value(app, flow, values, message):
    flow.open()
    response = flow.continue_(**values)
    assert response.status_code == 422
    assert message in response.text
    assert count(app, Customer) == 0


def test_values_are_stored_normalized(app, flow):
    flow.to_users(country="ca", state="Québec", postal_code="h2y1c6", city="Montréal", ein="")
    flow.users([("Ann", "Ann@Example.COM")], "create")
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert (customer.country, customer.state, customer.postal_code) == ("CA", "QC", "H2Y 1C6")
        assert customer.ein is None and customer.legal_name == "Northwind Dental LLC"
        assert customer.users[0].email == "Ann@example.com"


def test_repeated_or_foreign_fields_are_a_bad_request(app, flow):
    flow.open()
    tokens = flow.tokens()
    repeated = flow.client.post(
        "/customers/new",
        data=MultiDict([*tokens.items(), *DETAILS.items(), ("company", "Other"), ("action", "continue")]),
    )
    assert repeated.status_code == 400
    foreign = flow.post("/customers/new", {**DETAILS, "users-0-name": "Ann", "action": "continue"})
    assert foreign.status_code == 400
    assert "Traceback" not in foreign.text
    assert count(app, Customer) == 0


def test_missing_fields_get_the_required_messages(flow):
    flow.open()
    response = flow.post("/customers/new", {"action": "continue"})
    assert response.status_code == 422
    for message in ("Enter the company name", "Enter the address", "Enter the city"):
        assert message in response.text


# -- blur checks ------------------------------------------------------------

def test_blur_check_returns_the_normalized_value_with_no_message(flow):
    flow.open()
    response = flow.check("postal_code", country="CA", state="ON", postal_code="k1a0b1")
    assert response.status_code == 200
    assert 'id="row-postal_code"' in response.text
    assert 'value="K1A 0B1"' in response.text
    assert "field-error" not in response.text
    ein = flow.check("ein", ein="911144442")
    assert 'value="91-1144442"' in ein.text


def test_blur_check_returns_the_message_beside_the_field(flow):
    flow.open()
    response = flow.check("postal_code", state="CA", postal_code="10001")
    assert "ZIP code 10001 is not in California" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="postal_code-hint postal_code-error"' in response.text
    # Once a field shows a message, it re-checks as the partner types.
    assert "input changed delay" in response.text


def test_changing_country_swaps_the_provinces_and_the_postal_label(flow):
    flow.open()
    response = flow.check("country", country="CA", state="", postal_code="")
    page = response.text
    assert 'id="row-country"' in page
    assert re.search(r'id="row-state"[^>]*hx-swap-oob', page)
    assert "Ontario" in page and "Texas" not in page
    assert "Postal code" in page
    assert "field-error" not in page  # untouched empty fields are not nagged


def test_changing_state_rechecks_a_postal_code_already_entered(flow):
    flow.open()
    response = flow.check("state", state="NY", postal_code="06390")
    assert re.search(r'id="row-postal_code"[^>]*hx-swap-oob', response.text)
    assert "field-error" not in response.text
    wrong = flow.check("state", state="CA", postal_code="06390")
    assert "is not in California" in wrong.text


@pytest.mark.parametrize("name, built", [
    ("company", ["company"]),
    ("ein", ["ein"]),
    ("country", ["country", "postal_code", "state"]),  # both redrawn when the country changes
    ("state", ["country", "postal_code", "state"]),  # judged against the country, redraws the postal code
    ("postal_code", ["country", "postal_code", "state"]),
])
def test_a_blur_check_builds_only_the_fields_it_judges_and_redraws(app, name, built):
    with app.test_request_context():
        form = form_for_check(NewCustomerDetailsForm, name)(partner_id=1, formdata=None, meta={"csrf": False})
    assert sorted(form._fields) == built


def test_blur_check_of_an_unknown_field_is_not_found(flow):
    flow.open()
    assert flow.check("password").status_code == 404


def test_blur_check_touches_neither_the_draft_nor_the_session(app, flow):
    flow.open()
    flow.continue_()
    flow.open("/customers/new")
    before = stored_drafts(app)
    with statements(app) as seen:
        response = flow.check("company", company="Changed Name")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert not [s for s in seen if "customer_drafts" in s]
    assert stored_drafts(app) == before


def test_a_blur_check_answers_with_the_rows_only_and_still_needs_the_csrf_token(flow):
    flow.open()
    answer = flow.check("company", company="Harbor Dental")
    assert answer.status_code == 200 and 'id="row-company"' in answer.text
    assert "csrf_token" not in answer.text
    untokened = {**DETAILS, "draft_token": flow.tokens()["draft_token"]}
    without = flow.client.post("/customers/new/check/company", data=untokened, headers=PARTIAL)
    assert without.status_code == 400


def test_a_remembered_csrf_token_is_accepted_only_as_it_was_and_with_its_own_session(app, flow, partner):
    # CSRFProtect remembers a token it accepted (signed_session.RememberedTokens): the same
    # token again passes, anything near it, or it with another session, is still refused.
    flow.open()
    token = flow.tokens()["csrf_token"]
    assert flow.check("company", company="Harbor Dental").status_code == 200  # accepted, and remembered
    assert flow.check("company", company="Harbor Dental").status_code == 200
    # One character off, not the last: that one's low bits are base64 padding.
    off = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for wrong in (off, token + "x", ""):
        checked = flow.client.post("/customers/new/check/company", data={**DETAILS, "csrf_token": wrong},
                                   headers={**PARTIAL, "X-CSRFToken": wrong})
        assert checked.status_code == 400
        continued = flow.client.post("/customers/new", data={**DETAILS, "action": "continue", "csrf_token": wrong,
                                                              "draft_token": flow.tokens()["draft_token"]})
        assert continued.status_code == 400
    other = Auth(app.test_client())
    assert other.login(partner.email).status_code == 303
    other.client.get("/customers/new")  # the other session has a CSRF secret of its own
    stolen = other.client.post("/customers/new/check/company", data={**DETAILS, "csrf_token": token},
                               headers={**PARTIAL, "X-CSRFToken": token})
    assert stolen.status_code == 400
    assert other.client.post("/logout", data={"csrf_token": token}).status_code == 400
    flow.client.post("/logout", data={"csrf_token": token})
    signed_out = flow.client.post("/customers/new/check/company", data={**DETAILS, "csrf_token": token},
                                  headers={**PARTIAL, "X-CSRFToken": token})
    assert signed_out.status_code == 400


def test_a_remembered_csrf_token_still_expires_at_the_time_limit(app, flow, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 60)
    flow.open()
    assert flow.check("company", company="Harbor Dental").status_code == 200  # remembered until its limit
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30)
    assert flow.check("company", company="Harbor Dental").status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 62)
    assert flow.check("company", company="Harbor Dental").status_code == 400
    assert flow.continue_().status_code == 400


def test_a_blur_check_runs_no_sql_but_the_duplicate_lookup(app, flow):
    flow.open()
    flow.check("company", company="Harbor Dental")  # the signed-in principal is in the worker's cache now
    with statements(app) as company:
        assert flow.check("company", company="Harbor Dental").status_code == 200
    assert len(company) == 1, company
    assert re.search(r"\bFROM customers\b.*\bcompany_key\b", company[0], re.S)
    with statements(app) as city:  # a field whose rule does not read the database
        assert flow.check("city", city="Austin").status_code == 200
    assert city == []


def test_duplicate_ein_links_to_the_existing_customer(app, flow):
    flow.to_users()
    flow.users([("Ann", "ann@example.com")], "create")
    flow.open()
    response = flow.check("ein", company="Someone Else", ein="91-1144442")
    assert "Northwind Dental already has the EIN 91-1144442" in response.text
    with app.app_context():
        existing = db.session.scalar(select(Customer))
    assert f'href="/customers/{existing.id}"' in response.text


def test_same_company_name_gives_a_warning_that_does_not_block(app, flow):
    flow.to_users()
    flow.users([("Ann", "ann@example.com")], "create")
    flow.open()
    response = flow.check("company", company="northwind  dental!")
    assert "You already have a customer called Northwind Dental." in response.text
    assert "field-error" not in response.text
    flow.open()
    assert flow.continue_(company="Northwind, Dental", ein="").status_code == 303


# -- step 2 -----------------------------------------------------------------

def test_users_step_without_details_sends_the_partner_to_step_one(flow):
    response = flow.client.get("/customers/new/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers/new"


def test_add_and_remove_rows_without_javascript(flow):
    flow.to_users()
    response = flow.users([("Ann", "ann@example.com")], "add")
    assert response.status_code == 303
    page = flow.open("/customers/new/users").text
    assert 'name="users-1-name"' in page
    flow.users([("Ann", "ann@example.com"), ("Bob", "bob@example.com")], "remove-0")
    page = flow.open("/customers/new/users").text
    assert 'value="Bob"' in page and 'value="Ann"' not in page
    assert 'name="users-1-name"' not in page


def test_add_and_remove_rows_with_htmx_swap_only_the_rows(flow):
    flow.to_users()
    response = flow.users([("Ann", "ann@example.com")], "add")
    flow.page = flow.client.get("/customers/new/users")  # keep the tab's tokens
    added = flow.client.post(
        "/customers/new/users",
        data={**flow.tokens(), "users-0-name": "Ann", "users-0-email": "ann@example.com",
              "users-1-name": "", "users-1-email": "", "action": "add"},
        headers=PARTIAL,
    )
    assert response.status_code == 303
    assert added.status_code == 200
    assert added.text.lstrip().startswith('<div id="user-rows"')
    assert 'name="users-2-name"' in added.text
    assert 'data-focus-id="users-2-name"' in added.text


def buttons(html: str) -> list[str]:
    """The action values of the visible submit buttons, in reading order."""
    return re.findall(r'<button class="button[^"]*" type="submit" name="action" value="([\w-]+)"', html)


def test_each_step_is_a_card_with_its_own_action_first_and_back_and_cancel_after(flow):
    step1 = flow.open().text
    assert '<section class="card" aria-labelledby="step-title">' in step1
    assert buttons(step1) == ["continue", "cancel"]
    step2 = flow.to_users().text
    assert '<section class="card" aria-labelledby="step-title">' in step2
    assert buttons(step2)[-3:] == ["create", "back", "cancel"]
    assert "button-quiet" not in step2.split('class="actions step-actions"')[1]


def test_a_finished_step_says_so_in_words_and_the_current_one_is_marked(flow):
    step1 = flow.open().text
    assert step1.count('aria-current="step"') == 1 and "— done" not in step1
    step2 = flow.to_users().text
    done = re.search(r'<li class="step-done">(.*?)</li>', step2, re.S).group(1)
    assert "✓" in done and "Completed:" in done and "Company details" in done and "— done" in done
    assert re.search(r'<li aria-current="step">\s*<span class="step-number" aria-hidden="true">2</span> Users', step2)


def test_rows_are_numbered_and_one_row_has_no_remove_button(flow):
    page = flow.to_users().text
    assert '<legend class="row-title">User 1</legend>' in page
    assert 'value="remove-' not in page
    flow.users([("Ann Lee", "ann@example.com")], "add")
    page = flow.open("/customers/new/users").text
    assert '<legend class="row-title">User 2</legend>' in page
    assert re.findall(r'value="(remove-\d)"', page) == ["remove-0", "remove-1"]
    # Each Remove heads its row: after a row's Email comes the next row, not that row's Remove.
    assert page.index('value="remove-1"') < page.index('name="users-1-name"')
    assert page.index('name="users-0-email"') < page.index('value="remove-1"')
    # Enter in a field still means Create Customer: the hidden default button comes first.
    assert page.index('name="action" value="create" hidden') < page.index('value="remove-0"')


@pytest.mark.parametrize(("rows", "action", "said"), [
    ([("Bob Ray", "bob@example.com"), ("Ann Lee", "ann@example.com")], "remove-1", "Removed User 2, Ann Lee"),
    ([("Bob Ray", "bob@example.com"), ("", "")], "remove-1", "Removed User 2"),
    ([("Bob Ray", "bob@example.com"), ("Ann Lee", "ann@example.com")], "add", None),
])
def test_a_removed_row_is_announced_by_its_number_and_name(flow, rows, action, said):
    flow.to_users()
    data = {**flow.tokens(), "action": action}
    for i, (name, email) in enumerate(rows):
        data |= {f"users-{i}-name": name, f"users-{i}-email": email}
    swapped = flow.client.post("/customers/new/users", data=data, headers=PARTIAL)
    assert swapped.status_code == 200
    announced = re.search(r'data-announce="([^"]*)"', swapped.text)
    assert (announced.group(1) if announced else None) == said


def test_removing_the_only_row_leaves_one_empty_row(flow):
    flow.to_users()
    flow.users([("Ann", "ann@example.com")], "remove-0")
    page = flow.open("/customers/new/users").text
    assert 'name="users-0-name"' in page and 'value="Ann"' not in page


def test_create_needs_at_least_one_complete_user(app, flow):
    flow.to_users()
    response = flow.users([("", "")], "create")
    assert response.status_code == 422
    assert "Enter the name" in response.text and "Enter the email address" in response.text
    assert count(app, Customer) == 0


def test_emails_must_differ_ignoring_case(app, flow):
    flow.to_users()
    response = flow.users([("Ann", "ann@example.com"), ("Ann B", "ANN@example.com")], "create")
    assert response.status_code == 422
    assert "ANN@example.com is already a user of this customer" in response.text
    assert count(app, Customer) == 0


def test_back_and_forth_keeps_everything(flow):
    flow.to_users()
    flow.users([("Ann", "ann@example.com"), ("Bob", "not-an-email")], "back")
    step1 = flow.open().text
    assert 'value="Northwind Dental"' in step1
    for _ in range(3):
        assert flow.continue_().status_code == 303
        flow.open("/customers/new/users")
        flow.users([("Ann", "ann@example.com"), ("Bob", "not-an-email")], "back")
        flow.open()
    page = flow.open("/customers/new/users").text
    assert 'value="Ann"' in page and 'value="not-an-email"' in page


def test_create_customer_writes_customer_and_users_once_and_lands_on_its_page(app, flow):
    flow.to_users()
    response = flow.users([("Ann Lee", " ann@Example.com "), ("Bob Ray", "bob@example.com")], "create")
    assert response.status_code == 303
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.ein == "91-1144442"
        assert [u.email for u in customer.users] == ["ann@example.com", "bob@example.com"]
    assert response.headers["Location"] == f"/customers/{customer.id}"
    page = flow.client.get(response.headers["Location"]).text
    assert "Customer created" in page and "Northwind Dental" in page
    # The draft is gone: a new Add customer starts empty.
    assert 'value="Northwind Dental"' not in flow.open().text


def test_a_repeated_create_lands_on_the_same_customer(app, flow):
    flow.to_users()
    first = flow.users([("Ann", "ann@example.com")], "create")
    again = flow.users([("Ann", "ann@example.com")], "create")  # back, then submit again
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, Customer) == 1 and count(app, CustomerUser) == 1


def test_a_stale_tab_is_refused_and_shown_the_current_draft(app, flow, signed_in):
    flow.to_users()
    old_tab = Flow(signed_in)
    old_tab.page = flow.page
    flow.users([("Ann", "ann@example.com")], "cancel")
    flow.open()
    flow.continue_(company="Second Company", ein="")
    response = old_tab.users([("Ann", "ann@example.com")], "create")
    assert response.status_code == 303
    page = signed_in.get(response.headers["Location"]).text
    assert "out of date" in page and "Second Company" in page
    assert count(app, Customer) == 0


def test_cancel_discards_the_draft(app, flow):
    flow.to_users()
    response = flow.users([("Ann", "ann@example.com")], "cancel")
    assert response.status_code == 303 and response.headers["Location"] == "/customers"
    assert 'value="Northwind Dental"' not in flow.open().text
    assert count(app, Customer) == 0


def test_a_customer_with_fifty_users_fits_in_the_draft(app, flow):
    flow.to_users()
    rows = [(f"User {n}", f"user{n}@example.com") for n in range(50)]
    flow.users(rows, "add")
    flow.open("/customers/new/users")
    assert 'value="user49@example.com"' in flow.page.text
    assert flow.users(rows, "create").status_code == 303
    assert count(app, CustomerUser) == 50


def test_an_ein_taken_meanwhile_sends_the_partner_back_to_the_details(app, flow, partner):
    flow.to_users()
    other = Flow(flow.client.application.test_client())
    Auth(other.client).login(partner.email)
    other.to_users(company="Quick Co")
    other.users([("Zed", "zed@example.com")], "create")
    response = flow.users([("Ann", "ann@example.com")], "create")
    assert response.status_code == 422
    assert "Quick Co already has the EIN 91-1144442" in response.text
    assert count(app, Customer) == 1


def test_two_tabs_creating_the_same_draft_at_once_make_one_customer(app, flow):
    flow.to_users()
    tokens = flow.tokens()
    data = {**tokens, "users-0-name": "Ann", "users-0-email": "ann@example.com", "action": "create"}
    cookie = flow.client.get_cookie("session").value
    results = []

    def submit():
        client = app.test_client()
        client.set_cookie("session", cookie)
        results.append(client.post("/customers/new/users", data=data))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 303 for r in results), [r.status_code for r in results]
    assert len({r.headers["Location"] for r in results}) == 1
    assert count(app, Customer) == 1



def test_a_huge_post_is_refused_cleanly(app, flow):
    flow.open()
    response = flow.continue_(company="x" * 2_000_000)
    assert response.status_code == 413
    assert "Traceback" not in response.text
    assert count(app, Customer) == 0


def test_the_cookie_names_the_draft_and_holds_none_of_it(app, flow):
    flow.to_users()
    rows = [(f"User {n}", f"user{n}@example.com") for n in range(50)]
    flow.users(rows, "add")
    cookie = session_of(app, flow.client)
    assert set(cookie) <= {"_user_id", "_fresh", "_id", "_permanent", "csrf_token", "login_epoch", "draft"}
    assert cookie["draft"] == flow.tokens()["draft_token"]
    assert len(flow.client.get_cookie("session").value) < 400
    [draft] = stored_drafts(app)
    assert draft.token == cookie["draft"] and len(draft.data["users"]) == 51  # "add" adds an empty row
    assert draft.data["details"]["company"] == "Northwind Dental"


def test_a_draft_survives_across_requests_and_sessions_of_its_staff_user(app, flow, partner):
    flow.to_users()
    flow.users([("Ann", "ann@example.com")], "back")
    again = Flow(app.test_client())  # the same staff user, signed in again elsewhere, names it
    Auth(again.client).login(partner.email)
    with again.client.session_transaction() as session:
        session["draft"] = stored_drafts(app)[0].token
    assert 'value="Northwind Dental"' in again.open().text
    assert 'value="ann@example.com"' in again.open("/customers/new/users").text


def test_a_draft_is_its_staff_users_alone(app, flow, partner, other_partner):
    flow.to_users()
    token = stored_drafts(app)[0].token
    colleague = make_staff(app, partner.partner_id, "colleague@acme-it.example.com")
    for email in (colleague, other_partner.email):
        other = Flow(app.test_client())
        Auth(other.client).login(email)
        with other.client.session_transaction() as session:
            session["draft"] = token  # a forged cookie naming someone else's draft
        assert "Northwind" not in other.open().text
        assert other.client.get("/customers/new/users").headers["Location"] == "/customers/new"
        other.open()
        other.continue_(company="Mine Now", ein="")  # a new draft of their own, not an overwrite
    assert stored_drafts(app)[0].data["details"]["company"] == "Northwind Dental"
    assert 'value="Northwind Dental"' in flow.open().text


def test_an_expired_draft_is_ignored_and_the_worker_deletes_it(app, flow):
    flow.to_users()
    with app.app_context():
        db.session.execute(update(StoredDraft).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert 'value="Northwind Dental"' not in flow.open().text
    with app.app_context():
        assert delete_expired("test", lambda: False) == "drafts: deleted 1 expired"
    assert stored_drafts(app) == []


def test_create_customer_and_cancel_delete_the_draft(app, flow):
    flow.to_users()
    flow.users([("Ann", "ann@example.com")], "create")
    assert stored_drafts(app) == [] and "draft" not in session_of(app, flow.client)
    flow.to_users(company="Second Co", ein="")
    flow.users([("Ann", "ann@example.com")], "cancel")
    assert stored_drafts(app) == []
