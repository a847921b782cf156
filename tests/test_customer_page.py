"""The customer's page over plain HTTP: tabs, the profile edit, users, tags on the customer, archive."""

import re
from html import unescape as html_unescape

import pytest
from customer_helpers import (
    DETAILS,
    PARTIAL,
    flashes,
    history_of,
    htmx_post,
    load_customer,
    make_customer,
    make_tag,
    post,
    second_staff,
    tag_customers,
    tag_names_on,
    user_emails,
)
from sqlalchemy import select, update
from test_portal import create_customer, emails_to, link_in, portal_login, set_password

from conftest import Auth
from extensions import db
from models import Customer, Tag
from services import customer_profile
from unit_of_work import unit_of_work

EDIT_FORM = dict(DETAILS)


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))


def edit_data(html: str, **changes) -> dict:
    """The edit form as the browser would post it (what it holds, its version), with changes typed."""
    form = html[html.index('action="/customers/'):]
    values = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) in (*EDIT_FORM, "version"):
            values[name.group(1)] = html_unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    assert values.get("version", "").isdigit(), "the edit form carries no version"
    return {**values, **changes}


# -- the page and its tabs ------------------------------------------------------------

def test_customer_page_shows_the_company_its_details_tags_and_tabs(app, signed_in, partner, customer_id):
    tag_customers(app, partner, make_tag(app, partner, "VIP", "purple"), [customer_id])
    page = signed_in.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Northwind Dental</h1>" in html
    assert "Northwind Dental LLC" in html and "91-1144442" in html and "100 Main St" in html and "Austin" in html
    assert 'class="chip tag-purple"' in html and ">VIP</a>" in html
    for tab, url in (("Profile", f"/customers/{customer_id}"), ("Users", f"/customers/{customer_id}/users"),
                     ("History", f"/customers/{customer_id}/history")):
        assert f'href="{url}"' in html and f">{tab}</a>" in html
    assert re.search(r'aria-current="page"\s+hx-get="/customers/\d+"', html)
    assert "<title>Northwind Dental · Receivables</title>" in html


def header_of(html: str) -> str:
    return html[html.index('<header class="customer-header">'):html.index('<nav class="tabs"')]


def test_the_header_holds_the_status_the_facts_no_tab_shows_tags_edit_and_more(app, signed_in, partner,
                                                                               customer_id):
    tag_customers(app, partner, make_tag(app, partner, "VIP", "purple"), [customer_id])
    header = header_of(signed_in.get(f"/customers/{customer_id}").text)
    assert re.search(r"<h1>Northwind Dental</h1>\s*<span class=\"badge badge-active\">Active</span>", header)
    assert "<span>2 users</span>" in header and re.search(r"Added <time datetime=\"[0-9T:-]+Z\">", header)
    # The chips stay removable; "+ Tag" is a closed disclosure holding the typeahead.
    assert "Remove tag VIP" in header
    assert re.search(r'<details class="tag-toggle" data-disclosure>\s*<summary class="chip-add" id="add-tag">',
                     header)
    assert 'id="tag-name"' in header and "data-open-focus" in header
    # Edit is the main action; Archive waits behind "More", on a page of its own that asks first.
    assert re.search(rf'<a class="button button-primary" href="/customers/{customer_id}/edit" id="edit-profile"',
                     header)
    more = header[header.index('<details class="menu"'):]
    assert re.search(r'<summary class="button">More<span class="visually-hidden"> actions</span></summary>', more)
    assert re.search(rf'<a class="menu-item" href="/customers/{customer_id}/archive" id="archive-customer"', more)
    assert 'method="post"' not in more  # nothing is archived from the menu itself


def test_no_fact_is_shown_twice_and_the_header_never_says_not_given(app, signed_in, partner):
    customer_id = make_customer(app, partner, legal_name=None, ein=None)
    html = signed_in.get(f"/customers/{customer_id}").text
    header = header_of(html)
    assert "Not given" not in header
    for fact in ("100 Main St", "Austin", "78701", "United States", "Legal name", "EIN"):
        assert fact not in header
    page = html[html.index('<div id="customer-page"'):]
    assert page.count("Northwind Dental") == 1  # the heading: the Profile tab does not repeat it
    assert page.count("Added") == 1  # the header: the Profile tab does not repeat the date either
    assert page.count(f'href="/customers/{customer_id}/edit"') == 1  # one Edit, in the header


def test_the_edit_form_has_no_edit_button_above_it(signed_in, customer_id):
    html = signed_in.get(f"/customers/{customer_id}/edit").text
    assert 'id="edit-profile"' not in html and "<h1>Northwind Dental</h1>" in html
    assert 'id="archive-customer"' in html


@pytest.mark.parametrize(("tab", "expected"), [
    ("users", ["ann@example.com", "bob@example.com", "Add users"]),
    ("history", ["Added the customer", "Acme IT staff"]),
])
def test_each_tab_has_its_own_address_that_reloads_to_the_same_tab(signed_in, customer_id, tab, expected):
    html = signed_in.get(f"/customers/{customer_id}/{tab}").text
    for text in expected:
        assert text in html
    assert re.search(rf'href="/customers/{customer_id}/{tab}" id="tab-{tab}" aria-current="page"', html)


def test_an_htmx_tab_request_gets_the_fragment(signed_in, customer_id):
    response = signed_in.get(f"/customers/{customer_id}/users", headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="customer-page"' in response.text
    assert "HX-Replace-Url" not in response.headers  # the link pushes its own address


def test_the_page_shows_only_what_exists(signed_in, customer_id):
    html = signed_in.get(f"/customers/{customer_id}").text
    assert "Delete customer" not in html


# -- another partner's customer, and ids that do not belong -----------------------------------

OTHER_GETS = ["", "/users", "/history", "/edit", "/users/new", "/tags/suggestions?tag-name=a", "/payment-methods"]
OTHER_POSTS = ["/edit", "/edit/check/company", "/archive", "/restore", "/users/new", "/users/new/check/0/email",
               "/tags", "/tags/1/remove"]


@pytest.fixture
def theirs(app, other_partner):
    return make_customer(app, other_partner, company="Rival Client")


@pytest.mark.parametrize("path", OTHER_GETS)
def test_another_partners_customer_is_not_found(signed_in, theirs, path):
    assert signed_in.get(f"/customers/{theirs}{path}").status_code == 404


@pytest.mark.parametrize("path", OTHER_POSTS)
def test_another_partners_customer_cannot_be_changed(app, signed_in, theirs, path, customer_id):
    before = load_customer(app, theirs)
    response = post(signed_in, f"/customers/{theirs}{path}", {**DETAILS, "version": "1", "tag-name": "X"},
                    page=f"/customers/{customer_id}")
    assert response.status_code == 404
    after = load_customer(app, theirs)
    assert (after.version, after.archived_at, after.tags) == (before.version, before.archived_at, [])


def test_another_partners_user_is_not_found(app, signed_in, partner, other_partner, customer_id):
    theirs = make_customer(app, other_partner, users=(("Zed", "zed@example.com"),))
    their_user = load_customer(app, theirs).users[0].id
    mine = load_customer(app, customer_id).users[0].id
    for path in (f"/customers/{customer_id}/users/{their_user}/edit", f"/customers/{theirs}/users/{mine}/edit",
                 f"/customers/{customer_id}/users/{their_user}/remove"):
        assert signed_in.get(path).status_code == 404
    response = post(signed_in, f"/customers/{customer_id}/users/{their_user}/remove",
                    page=f"/customers/{customer_id}")
    assert response.status_code == 404
    assert user_emails(app, theirs) == ["zed@example.com"]


def test_a_user_of_another_customer_is_not_found_under_this_one(app, signed_in, partner, customer_id):
    other = make_customer(app, partner, company="Other Co", ein=None)
    their_user = load_customer(app, other).users[0].id
    assert signed_in.get(f"/customers/{customer_id}/users/{their_user}/edit").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, customer_id):
    response = client.get(f"/customers/{customer_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_change_needs_the_csrf_token(app, signed_in, customer_id):
    response = signed_in.post(f"/customers/{customer_id}/archive")
    assert response.status_code == 400
    assert load_customer(app, customer_id).archived_at is None


# -- profile edit -----------------------------------------------------------------------

def test_edit_form_uses_step_one_fields_with_their_blur_checks_and_carries_the_version(signed_in, customer_id):
    html = signed_in.get(f"/customers/{customer_id}/edit").text
    for name in ("company", "legal_name", "ein", "address", "city", "state", "postal_code", "country"):
        assert f'name="{name}"' in html
    assert f'hx-post="/customers/{customer_id}/edit/check/postal_code"' in html
    assert re.search(r'<input id="version" name="version" type="hidden" value="1">', html)
    assert f'action="/customers/{customer_id}/edit"' in html and "novalidate" in html
    assert 'value="Northwind Dental"' in html


def test_saving_the_profile_redirects_to_the_page_and_records_who_changed_what(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit",
                    edit_data(page, company="Northwind Dental Group", postal_code="787011234"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{customer_id}"
    customer = load_customer(app, customer_id)
    assert (customer.company, customer.postal_code, customer.version) == ("Northwind Dental Group", "78701-1234", 2)
    assert history_of(app, customer_id)[-1] == ("profile.updated", None, [
        {"field": "company", "before": "Northwind Dental", "after": "Northwind Dental Group"},
        {"field": "postal_code", "before": "78701", "after": "78701-1234"},
    ])
    shown = signed_in.get(response.headers["Location"]).text
    assert "Profile saved" in shown and "<h1>Northwind Dental Group</h1>" in shown


def test_saving_with_htmx_swaps_back_the_read_only_page(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = htmx_post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, city="Round Rock",
                         postal_code="78664"), page=f"/customers/{customer_id}/edit")
    assert response.status_code == 200
    assert 'id="customer-page"' in response.text and "<html" not in response.text
    assert 'id="edit-profile"' in response.text and "autofocus" in response.text
    assert "Profile saved" in response.text  # into #alerts, out of band
    assert response.headers["HX-Replace-Url"] == f"/customers/{customer_id}"


def test_a_mistake_comes_back_with_the_message_by_the_field_and_nothing_saved(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, postal_code="10001"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Edit profile: Northwind Dental · Receivables</title>" in html
    assert "There is a problem" in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="postal_code-hint postal_code-error"' in html
    assert 'id="postal_code-error"' in html and 'value="10001"' in html
    customer = load_customer(app, customer_id)
    assert (customer.postal_code, customer.version) == ("78701", 1)
    assert [a for a, _s, _c in history_of(app, customer_id)] == []


def test_a_stale_edit_is_refused_with_what_changed_meanwhile(app, client, signed_in, partner, customer_id):
    # Two staff of the same partner open the edit form of the same customer.
    dana = second_staff(app, partner)
    other = app.test_client()
    Auth(other).login(dana.email)
    mine = signed_in.get(f"/customers/{customer_id}/edit").text
    theirs = other.get(f"/customers/{customer_id}/edit").text
    # Dana saves first.
    assert post(other, f"/customers/{customer_id}/edit", edit_data(theirs, city="Round Rock", postal_code="78664"),
                page=f"/customers/{customer_id}/edit").status_code == 303
    # My save started from version 1: refused, not silently written over Dana's.
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(mine, company="Northwind Smiles"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 409
    html = response.text
    assert "Someone else changed this customer while you were editing" in html
    assert "Dana Park" in html
    assert re.search(r'City</th>\s*<td[^>]*>Austin</td>\s*<td[^>]*>Round Rock</td>', html)
    assert 'value="Northwind Smiles"' in html  # my typing is kept
    assert 'value="Round Rock"' in html and 'value="78664"' in html  # with Dana's change
    assert "The form now has their changes and yours" in html
    customer = load_customer(app, customer_id)
    assert (customer.company, customer.city, customer.version) == ("Northwind Dental", "Round Rock", 2)
    # The form now carries the current version: saving again is a knowing choice, and keeps both.
    again = post(signed_in, f"/customers/{customer_id}/edit", edit_data(html), page=f"/customers/{customer_id}/edit")
    assert again.status_code == 303
    customer = load_customer(app, customer_id)
    assert (customer.company, customer.city, customer.postal_code) == ("Northwind Smiles", "Round Rock", "78664")


def test_a_field_both_changed_keeps_my_value_and_says_so(app, signed_in, partner, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    with app.app_context(), unit_of_work():
        customer_profile.update_profile(db.session.get(Customer, customer_id), {"legal_name": "NW Holdings"},
                                        expected_version=1, staff_id=partner.id)
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, legal_name="NW Dental Inc"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 409
    assert "You changed Legal name too: the form keeps your value there." in response.text
    assert 'value="NW Dental Inc"' in response.text
    assert load_customer(app, customer_id).legal_name == "NW Holdings"


def test_a_stale_edit_with_a_mistake_shows_the_conflict_and_the_mistake(app, signed_in, partner, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    with app.app_context(), unit_of_work():
        customer_profile.update_profile(db.session.get(Customer, customer_id), {"legal_name": "NW Holdings"},
                                        expected_version=1, staff_id=partner.id)
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, postal_code="10001"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 409
    assert "Someone else changed this customer" in response.text
    assert "There is a problem" in response.text and 'id="postal_code-error"' in response.text
    assert 'value="10001"' in response.text and 'value="NW Holdings"' in response.text


def test_a_stale_edit_with_htmx_gets_the_conflict_in_the_fragment(app, signed_in, partner, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    with app.app_context(), unit_of_work():
        customer_profile.update_profile(db.session.get(Customer, customer_id), {"legal_name": "NW LLC"},
                                        expected_version=1, staff_id=partner.id)
    response = htmx_post(signed_in, f"/customers/{customer_id}/edit", edit_data(page),
                         page=f"/customers/{customer_id}/edit")
    assert response.status_code == 409
    assert "Someone else changed this customer" in response.text and "<html" not in response.text
    assert response.headers["HX-Replace-Url"] == f"/customers/{customer_id}/edit"


def test_two_saves_at_the_same_instant_cannot_both_win(app, partner, customer_id):
    """The version check is in the UPDATE itself, not only in Python."""
    with app.app_context():
        customer = db.session.get(Customer, customer_id)  # read at version 1
        db.session.execute(update(Customer).where(Customer.id == customer_id).values(version=2))  # a twin commits
        with pytest.raises(customer_profile.StaleProfile) as refused:
            customer_profile.update_profile(customer, {"company": "Mine"}, expected_version=1, staff_id=partner.id)
        assert refused.value.current_version == 2
    assert load_customer(app, customer_id).company == "Northwind Dental"


def test_saving_unchanged_values_says_so_and_keeps_the_version(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page), page=f"/customers/{customer_id}/edit",
                    follow=True)
    assert "Nothing changed" in flashes(response.text)
    assert load_customer(app, customer_id).version == 1
    assert history_of(app, customer_id) == []


@pytest.mark.parametrize("version", ["", "abc", "-1", "9" * 30])
def test_an_edit_without_a_sound_version_is_a_bad_request(signed_in, customer_id, version):
    response = post(signed_in, f"/customers/{customer_id}/edit", {**EDIT_FORM, "version": version},
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 400


def test_the_ein_of_another_customer_is_refused_with_a_link_but_its_own_is_fine(app, signed_in, partner, customer_id):
    other = make_customer(app, partner, company="Quick Co", ein="12-3456789")
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, ein="123456789"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 422
    assert "Quick Co already has the EIN 12-3456789" in response.text
    assert f'href="/customers/{other}"' in response.text
    check = htmx_post(signed_in, f"/customers/{customer_id}/edit/check/ein", edit_data(page, ein="91-1144442"),
                      page=f"/customers/{customer_id}/edit")
    assert "already has the EIN" not in check.text


def test_blur_check_of_an_edit_field_answers_with_its_row(signed_in, customer_id):
    edit_url = f"/customers/{customer_id}/edit"
    page = signed_in.get(edit_url).text
    url = f"{edit_url}/check"
    bad = htmx_post(signed_in, f"{url}/postal_code", edit_data(page, postal_code="1234"), page=edit_url)
    assert bad.status_code == 200
    assert 'id="row-postal_code"' in bad.text and 'aria-invalid="true"' in bad.text
    assert f'hx-post="{url}/postal_code"' in bad.text
    good = htmx_post(signed_in, f"{url}/ein", edit_data(page, ein="911144442"), page=edit_url)
    assert 'value="91-1144442"' in good.text and "field-error" not in good.text
    country = htmx_post(signed_in, f"{url}/country", edit_data(page, country="CA", state="", postal_code=""),
                        page=edit_url)
    assert 'id="row-state" hx-swap-oob="outerMorph"' in country.text and "Ontario" in country.text
    assert htmx_post(signed_in, f"{url}/draft_token", edit_data(page), page=edit_url).status_code == 404


def test_the_edit_works_as_plain_pages_with_an_unknown_state_name_normalized(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit",
                    edit_data(page, country="Canada", state="québec", postal_code="h2x1y4", city="Montréal"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 303
    customer = load_customer(app, customer_id)
    assert (customer.country, customer.state, customer.postal_code) == ("CA", "QC", "H2X 1Y4")


def test_an_unknown_country_gets_its_message_not_an_error_page(app, signed_in, customer_id):
    page = signed_in.get(f"/customers/{customer_id}/edit").text
    response = post(signed_in, f"/customers/{customer_id}/edit", edit_data(page, country="Mars", state="TX"),
                    page=f"/customers/{customer_id}/edit")
    assert response.status_code == 422
    assert "Select United States or Canada" in response.text
    assert load_customer(app, customer_id).country == "US"


# -- users -------------------------------------------------------------------------------

def add_users_data(rows, action="save"):
    data = {"action": action}
    for i, (name, email) in enumerate(rows):
        data[f"users-{i}-name"] = name
        data[f"users-{i}-email"] = email
    return data


def test_users_tab_lists_each_users_name_email_and_when_added(signed_in, customer_id):
    html = signed_in.get(f"/customers/{customer_id}/users").text
    assert re.search(r"<td>Ann Lee</td>\s*<td>ann@example.com</td>\s*<td><time datetime=", html)
    assert "Bob Ray" in html


def test_partner_adds_users_with_the_step_two_rows(app, signed_in, customer_id):
    url = f"/customers/{customer_id}/users/new"
    form = signed_in.get(url).text
    assert 'name="users-0-name"' in form and 'name="users-0-email"' in form
    assert f'hx-post="{url}/check/0/email"' in form
    response = post(signed_in, url, add_users_data([("Cy Díaz", " cy@EXAMPLE.com "), ("Di Wu", "di@example.com")]),
                    page=url)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{customer_id}/users"
    assert user_emails(app, customer_id)[2:] == ["cy@example.com", "di@example.com"]
    assert [(a, s) for a, s, _c in history_of(app, customer_id)] == [
        ("user.added", "Cy Díaz <cy@example.com>"), ("user.added", "Di Wu <di@example.com>")]
    assert "Added 2 users" in flashes(signed_in.get(response.headers["Location"]).text)


@pytest.mark.parametrize("email", ["ANN@example.com", "ann@EXAMPLE.COM", " ann@example.com "])
def test_an_email_already_on_this_customer_is_refused(app, signed_in, customer_id, email):
    url = f"/customers/{customer_id}/users/new"
    response = post(signed_in, url, add_users_data([("Ann Again", email)]), page=url)
    assert response.status_code == 422
    assert "is already a user of this customer" in response.text
    assert 'id="users-0-email-error"' in response.text and 'value="Ann Again"' in response.text
    assert len(user_emails(app, customer_id)) == 2


def test_the_blur_check_of_a_new_user_refuses_an_email_already_on_the_customer(signed_in, customer_id):
    url = f"/customers/{customer_id}/users/new"
    response = htmx_post(signed_in, f"{url}/check/0/email", add_users_data([("Ann", "Ann@Example.com")]), page=url)
    assert response.status_code == 200
    assert "Ann@example.com is already a user of this customer" in response.text
    assert f'hx-post="{url}/check/0/email"' in response.text
    assert htmx_post(signed_in, f"{url}/check/5/email", add_users_data([("A", "a@example.com")]),
                     page=url).status_code == 404


def test_two_new_rows_with_one_email_are_refused(app, signed_in, customer_id):
    url = f"/customers/{customer_id}/users/new"
    response = post(signed_in, url, add_users_data([("Cy", "cy@example.com"), ("Cy 2", "CY@example.com")]), page=url)
    assert response.status_code == 422
    assert "CY@example.com is already a user of this customer" in response.text
    assert len(user_emails(app, customer_id)) == 2


def test_add_another_row_and_remove_a_row_with_and_without_htmx(signed_in, customer_id):
    url = f"/customers/{customer_id}/users/new"
    rows = htmx_post(signed_in, url, add_users_data([("Cy", "cy@example.com")], "add"), page=url)
    assert rows.status_code == 200
    assert rows.text.lstrip().startswith("<div id=\"user-rows\"")
    assert 'name="users-1-name"' in rows.text and 'data-focus-id="users-1-name"' in rows.text
    assert f'hx-post="{url}"' in rows.text and f'hx-post="{url}/check/1/email"' in rows.text
    page = post(signed_in, url, add_users_data([("Cy", "cy@example.com"), ("Di", "di@example.com")], "remove-0"),
                page=url)
    assert page.status_code == 200 and "<html" in page.text
    assert 'value="Di"' in page.text and 'value="Cy"' not in page.text
    assert post(signed_in, url, add_users_data([], "explode"), page=url).status_code == 400


def test_partner_edits_a_users_name_and_email(app, signed_in, customer_id):
    user_id = load_customer(app, customer_id).users[0].id
    url = f"/customers/{customer_id}/users/{user_id}/edit"
    form = signed_in.get(url).text
    assert 'value="Ann Lee"' in form and 'name="user-email"' in form
    response = post(signed_in, url, {"user-name": "Ann Lee-Ray", "user-email": "ann.ray@Example.COM"}, page=url)
    assert response.status_code == 303
    assert user_emails(app, customer_id)[0] == "ann.ray@example.com"
    assert history_of(app, customer_id)[-1] == ("user.updated", "Ann Lee <ann@example.com>", [
        {"field": "name", "before": "Ann Lee", "after": "Ann Lee-Ray"},
        {"field": "email", "before": "ann@example.com", "after": "ann.ray@example.com"},
    ])


def test_a_user_cannot_take_the_email_of_another_user_of_the_customer(app, signed_in, customer_id):
    user_id = load_customer(app, customer_id).users[0].id
    url = f"/customers/{customer_id}/users/{user_id}/edit"
    response = post(signed_in, url, {"user-name": "Ann", "user-email": "BOB@example.com"}, page=url)
    assert response.status_code == 422
    assert "BOB@example.com is already a user of this customer" in response.text
    assert 'id="user-email-error"' in response.text
    check = htmx_post(signed_in, f"{url}/check/email", {"user-name": "Ann", "user-email": "bob@example.com"}, page=url)
    assert "already a user of this customer" in check.text and 'id="row-user-email"' in check.text
    own = htmx_post(signed_in, f"{url}/check/email", {"user-name": "Ann", "user-email": "ANN@example.com"}, page=url)
    assert "field-error" not in own.text


def test_removing_a_user_asks_first_then_removes_it(app, signed_in, customer_id):
    bob = load_customer(app, customer_id).users[1].id
    confirm = signed_in.get(f"/customers/{customer_id}/users/{bob}/remove")
    assert confirm.status_code == 200
    assert "Remove Bob Ray (bob@example.com)?" in confirm.text
    assert user_emails(app, customer_id) == ["ann@example.com", "bob@example.com"]
    response = post(signed_in, f"/customers/{customer_id}/users/{bob}/remove",
                    page=f"/customers/{customer_id}/users/{bob}/remove")
    assert response.status_code == 303
    assert user_emails(app, customer_id) == ["ann@example.com"]
    assert history_of(app, customer_id)[-1] == ("user.removed", "Bob Ray <bob@example.com>", [
        {"field": "name", "before": "Bob Ray", "after": None},
        {"field": "email", "before": "bob@example.com", "after": None},
    ])


def test_the_last_user_is_never_removed(app, signed_in, partner):
    customer_id = make_customer(app, partner)
    ann = load_customer(app, customer_id).users[0].id
    page = signed_in.get(f"/customers/{customer_id}/users").text
    assert f"/users/{ann}/remove" not in page
    assert "A customer needs at least one user" in page
    response = post(signed_in, f"/customers/{customer_id}/users/{ann}/remove", page=f"/customers/{customer_id}")
    assert response.status_code == 409
    assert "A customer needs at least one user" in flashes(response.text)
    assert user_emails(app, customer_id) == ["ann@example.com"]
    assert history_of(app, customer_id) == []


def test_two_removals_at_once_still_leave_one_user(app, partner, customer_id):
    """Each removal locks the customer's row, so the second one counts after the first."""
    import threading

    ids = [u.id for u in load_customer(app, customer_id).users]
    barrier = threading.Barrier(2)
    outcomes = []

    def remove(user_id):
        from models import CustomerUser
        from services import customer_users

        with app.app_context():
            user = db.session.get(CustomerUser, user_id)
            user.customer  # noqa: B018 - load before racing
            barrier.wait()
            try:
                with unit_of_work():
                    customer_users.remove_user(user, staff_id=partner.id)
                outcomes.append("removed")
            except customer_users.LastUser:
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - SQLite answers a write race with "locked"
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=remove, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(user_emails(app, customer_id)) == 1
    assert outcomes.count("removed") == 1


# -- tags on the customer ------------------------------------------------------------------

def test_typing_an_existing_tag_name_in_any_case_applies_that_tag(app, signed_in, partner, customer_id):
    vip = make_tag(app, partner, "VIP")
    response = post(signed_in, f"/customers/{customer_id}/tags", {"tag-name": " vip ", "tab": "users"},
                    page=f"/customers/{customer_id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/{customer_id}/users"
    assert tag_names_on(app, customer_id) == ["VIP"]
    with app.app_context():
        assert db.session.query(Tag).count() == 1
    assert history_of(app, customer_id)[-1] == ("tag.added", "VIP", [])
    assert vip


def test_enter_on_a_new_name_creates_the_tag_and_applies_it(app, signed_in, partner, customer_id):
    response = htmx_post(signed_in, f"/customers/{customer_id}/tags", {"tag-name": "Net 30"},
                         page=f"/customers/{customer_id}")
    assert response.status_code == 200
    assert response.text.count('id="customer-tags"') == 1 and "<html" not in response.text
    assert ">Net 30</a>" in response.text and "Created the tag Net 30 and added it" in response.text
    # "+ Tag" stays open, its field focused, for the next tag.
    assert '<details class="tag-toggle" data-disclosure open>' in response.text
    assert re.search(r'id="tag-name"[^>]*autofocus>', response.text)
    assert tag_names_on(app, customer_id) == ["Net 30"]
    assert [a for a, _s, _c in history_of(app, partner_id=partner.partner_id)] == ["tag.created"]


def test_typing_a_tag_the_customer_already_has_says_so(app, signed_in, partner, customer_id):
    tag_customers(app, partner, make_tag(app, partner, "VIP"), [customer_id])
    response = htmx_post(signed_in, f"/customers/{customer_id}/tags", {"tag-name": "VIP"},
                         page=f"/customers/{customer_id}")
    assert "Northwind Dental already has the tag VIP" in response.text
    assert [a for a, _s, _c in history_of(app, customer_id)] == ["tag.added"]


def test_choosing_a_suggestion_applies_that_tag(app, signed_in, partner, customer_id):
    tag = make_tag(app, partner, "Healthcare", "teal")
    response = htmx_post(signed_in, f"/customers/{customer_id}/tags", {"tag-name": "hea", "tag_id": str(tag)},
                         page=f"/customers/{customer_id}")
    assert response.status_code == 200
    assert tag_names_on(app, customer_id) == ["Healthcare"]


def test_a_forged_tag_id_of_another_partner_is_not_found_and_applies_nothing(app, signed_in, other_partner,
                                                                              customer_id):
    theirs = make_tag(app, other_partner, "Their tag")
    for data in ({"tag_id": str(theirs)}, {"tag_id": "999999"}):
        response = post(signed_in, f"/customers/{customer_id}/tags", data, page=f"/customers/{customer_id}")
        assert response.status_code == 404
    assert post(signed_in, f"/customers/{customer_id}/tags", {"tag_id": "1e3"},
                page=f"/customers/{customer_id}").status_code == 400
    assert post(signed_in, f"/customers/{customer_id}/tags/{theirs}/remove",
                page=f"/customers/{customer_id}").status_code == 404
    assert tag_names_on(app, customer_id) == []


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the tag"),
    ("   ", "Enter a name for the tag"),
    ("x" * 41, "Tag name must be 40 characters or fewer"),
    ("bad\x07name", "Tag name must not contain control characters"),  # NUL: a 400 before any view
])
def test_a_bad_tag_name_gets_a_message_by_the_field(app, signed_in, customer_id, name, message):
    response = htmx_post(signed_in, f"/customers/{customer_id}/tags", {"tag-name": name},
                         page=f"/customers/{customer_id}")
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert 'aria-describedby="tag-name-hint tag-name-error"' in response.text
    assert '<details class="tag-toggle" data-disclosure open>' in response.text
    assert tag_names_on(app, customer_id) == []


def test_removing_a_tag_from_its_chip(app, signed_in, partner, customer_id):
    tag = make_tag(app, partner, "VIP")
    tag_customers(app, partner, tag, [customer_id])
    page = signed_in.get(f"/customers/{customer_id}").text
    assert f'action="/customers/{customer_id}/tags/{tag}/remove"' in page
    assert "Remove tag VIP" in page
    response = htmx_post(signed_in, f"/customers/{customer_id}/tags/{tag}/remove", {"tab": "profile"},
                         page=f"/customers/{customer_id}")
    assert response.status_code == 200 and "Removed the tag VIP" in response.text
    # Focus goes to "+ Tag", closed (the removed chip's button is gone).
    assert '<details class="tag-toggle" data-disclosure>' in response.text
    assert re.search(r'<summary class="chip-add" id="add-tag" autofocus>', response.text)
    assert tag_names_on(app, customer_id) == []
    assert history_of(app, customer_id)[-1] == ("tag.removed", "VIP", [])


def test_suggestions_match_what_was_typed_and_leave_out_tags_already_on(app, signed_in, partner, customer_id):
    for name in ("Net 30", "Net 60", "Internet", "VIP", "100%_done"):
        make_tag(app, partner, name)
    tag_customers(app, partner, make_tag(app, partner, "Network"), [customer_id])
    html = signed_in.get(f"/customers/{customer_id}/tags/suggestions", query_string={"tag-name": "NET"}).text
    names = re.findall(r'<span class="visually-hidden">Add tag </span>([^<]+)</button>', html)
    assert names == ["Net 30", "Net 60", "Internet"]  # names starting with it first
    assert "Press Enter to create the tag “NET”" in html
    percent = signed_in.get(f"/customers/{customer_id}/tags/suggestions", query_string={"tag-name": "%_"}).text
    assert re.findall(r'Add tag </span>([^<]+)</button>', percent) == ["100%_done"]  # no wildcards
    exact = signed_in.get(f"/customers/{customer_id}/tags/suggestions", query_string={"tag-name": "network"}).text
    assert "already has the tag Network" in exact
    assert 'id="tag-suggestions"' in signed_in.get(f"/customers/{customer_id}/tags/suggestions").text


def test_tag_names_are_shown_as_text_never_as_markup(app, signed_in, partner, customer_id):
    tag_customers(app, partner, make_tag(app, partner, "<script>alert(1)</script>"), [customer_id])
    html = signed_in.get(f"/customers/{customer_id}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- archive -------------------------------------------------------------------------------

def test_archive_asks_first_and_says_what_archiving_does(app, signed_in, customer_id):
    for method in ("GET", "HEAD"):
        assert signed_in.open(f"/customers/{customer_id}/archive", method=method).status_code == 200
    html = signed_in.get(f"/customers/{customer_id}/archive").text
    assert "<title>Archive: Northwind Dental · Receivables</title>" in html
    panel = html[html.index('<section class="confirm-panel"'):html.index('<nav class="tabs"')]
    assert "Archive Northwind Dental?" in panel
    assert "It leaves All Customers, search and the tag filters" in panel and 'href="/customers?archived=1"' in panel
    assert "Its 2 users can no longer open it\n      in the customer portal; their logins stay." in panel
    assert "Nothing is deleted" in panel and "You can restore it at any time" in panel
    assert re.search(rf'<form class="actions" method="post" action="/customers/{customer_id}/archive">\s*'
                     r'<input type="hidden" name="csrf_token" value="[^"]+">', panel)
    assert 'data-busy-label="Archiving…">Archive customer</button>' in panel
    assert f'href="/customers/{customer_id}"' in panel and ">Cancel</a>" in panel
    assert load_customer(app, customer_id).archived_at is None and history_of(app, customer_id) == []


def test_the_archive_question_comes_into_the_page_for_htmx_with_focus_on_it(signed_in, customer_id):
    response = signed_in.get(f"/customers/{customer_id}/archive", headers=PARTIAL)
    assert response.status_code == 200 and "<html" not in response.text
    assert re.search(r'<h2 id="archive-title" tabindex="-1" autofocus>', response.text)


def test_the_archive_question_of_an_archived_customer_goes_back_to_its_page(app, signed_in, customer_id):
    post(signed_in, f"/customers/{customer_id}/archive", page=f"/customers/{customer_id}")
    response = signed_in.get(f"/customers/{customer_id}/archive")
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer_id}"


def test_archiving_hides_the_customer_and_restoring_brings_it_back(app, signed_in, customer_id):
    response = post(signed_in, f"/customers/{customer_id}/archive", page=f"/customers/{customer_id}/archive")
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/{customer_id}"
    page = signed_in.get(f"/customers/{customer_id}").text
    assert "Northwind Dental is archived" in page
    header = header_of(page)
    assert '<span class="badge badge-archived">Archived</span>' in header and "Active" not in header
    more = header[header.index('<details class="menu"'):]
    assert f'action="/customers/{customer_id}/restore"' in more and ">Restore customer</button>" in more
    assert "/archive" not in more
    assert "it does not show in All Customers, and its users cannot open it in the customer portal" in page
    assert "Northwind Dental" not in signed_in.get("/customers").text.split("</h1>", 1)[1]
    assert "Northwind Dental" in signed_in.get("/customers?archived=1").text
    assert post(signed_in, f"/customers/{customer_id}/restore", page=f"/customers/{customer_id}").status_code == 303
    assert load_customer(app, customer_id).archived_at is None
    restored = signed_in.get(f"/customers/{customer_id}").text
    assert "Northwind Dental is restored" in restored and "badge-active" in restored
    assert [a for a, _s, _c in history_of(app, customer_id)] == ["customer.archived", "customer.restored"]


def test_archiving_does_what_the_question_says_to_the_portal(app, signed_in):
    portal_client = app.test_client()
    customer_id = create_customer(signed_in, users=[("Ann Lee", "ann@example.com")])
    set_password(portal_client, link_in(app, emails_to(app, "ann@example.com")[0]))
    portal_login(portal_client, "ann@example.com")
    assert "Northwind Dental" in portal_client.get("/portal").text
    post(signed_in, f"/customers/{customer_id}/archive", page=f"/customers/{customer_id}/archive")
    hidden = portal_client.get("/portal").text  # the login still works; the company is gone from it
    assert "No company to show" in hidden and "Northwind Dental" not in hidden
    post(signed_in, f"/customers/{customer_id}/restore", page=f"/customers/{customer_id}")
    assert "Northwind Dental" in portal_client.get("/portal").text


def test_archiving_twice_changes_nothing_more(app, signed_in, customer_id):
    for _ in range(2):
        post(signed_in, f"/customers/{customer_id}/archive", page=f"/customers/{customer_id}")
    assert [a for a, _s, _c in history_of(app, customer_id)] == ["customer.archived"]


def test_nothing_is_ever_hard_deleted_from_the_page(app, signed_in, customer_id):
    html = signed_in.get(f"/customers/{customer_id}").text
    assert "Delete" not in html
    assert signed_in.delete(f"/customers/{customer_id}").status_code == 405
    with app.app_context():
        assert db.session.scalar(select(Customer.id).where(Customer.id == customer_id)) == customer_id

