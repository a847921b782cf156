"""History: every change to a customer's profile, users and tags, with who, when, before and after."""

import re

import pytest
from customer_helpers import (
    history_of,
    load_customer,
    make_customer,
    make_tag,
    post,
    second_staff,
    tag_customers,
    user_emails,
)
from sqlalchemy import select

from extensions import db
from models import Customer, CustomerUser, HistoryEntry, Tag
from services import customer_profile, customer_users, history
from services import tags as tag_service
from services.customers import DuplicateEIN
from unit_of_work import unit_of_work


def test_history_tab_shows_who_changed_what_and_when_newest_first(app, signed_in, partner):
    customer_id = make_customer(app, partner)
    dana = second_staff(app, partner)
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        customer_profile.update_profile(customer, {"city": "Round Rock", "postal_code": "78664", "country": "US"},
                                        expected_version=1, staff_id=dana.id)
        customer_users.add_users(customer, [{"name": "Cy <b>Díaz</b>", "email": "cy@example.com"}], staff_id=partner.id)
    tag_customers(app, partner, make_tag(app, partner, "VIP"), [customer_id])
    html = signed_in.get(f"/customers/{customer_id}/history").text
    what = re.findall(r'<p class="history-what"><strong>([^<]+)</strong>', html)
    assert what == ["Added a tag", "Added a user", "Edited the profile", "Added the customer"]
    assert "Added a tag</strong>: VIP" in html
    assert "Cy &lt;b&gt;Díaz&lt;/b&gt; &lt;cy@example.com&gt;" in html
    assert re.search(r'City</th>\s*<td[^>]*>Austin</td>\s*<td[^>]*>Round Rock</td>', html)
    assert re.search(r'Email</th>\s*<td[^>]*>Not given</td>\s*<td[^>]*>cy@example.com</td>', html)
    assert "Dana Park," in html and "Acme IT staff," in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\w{3} \d+, \d{4} at \d+:\d\d [AP]M UTC</time>', html)


def test_country_codes_and_colors_read_as_names(app, partner):
    assert history.display_value("country", "CA") == "Canada"
    assert history.display_value("color", "teal") == "Teal"
    assert history.display_value("ein", None) == "Not given"


def test_a_change_that_fails_leaves_no_history(app, partner):
    """The entry is written in the change's transaction: a refused change leaves neither."""
    mine = make_customer(app, partner)
    make_customer(app, partner, company="Quick Co", ein="12-3456789")
    with app.app_context():
        customer = db.session.get(Customer, mine)
        with pytest.raises(DuplicateEIN), unit_of_work():  # taken by another customer, as by a request a moment before
            customer_profile.update_profile(customer, {"ein": "12-3456789"}, expected_version=1, staff_id=partner.id)
        with pytest.raises(customer_users.DuplicateEmail), unit_of_work():
            customer_users.add_users(db.session.get(Customer, mine), [{"name": "Ann", "email": "ann@example.com"}],
                                     staff_id=partner.id)
    customer = load_customer(app, mine)
    assert (customer.ein, customer.version) == ("91-1144442", 1)
    assert user_emails(app, mine) == ["ann@example.com"]
    assert history_of(app, mine) == []


def test_a_refused_last_user_removal_leaves_no_history(app, partner):
    customer_id = make_customer(app, partner)
    with app.app_context():
        user = db.session.scalar(select(CustomerUser).where(CustomerUser.customer_id == customer_id))
        with pytest.raises(customer_users.LastUser), unit_of_work():
            customer_users.remove_user(user, staff_id=partner.id)
    assert history_of(app, customer_id) == []


def test_renaming_or_deleting_a_tag_writes_one_entry_whatever_the_customers(app, partner):
    tag_id = make_tag(app, partner, "VIP", "purple")
    ids = [make_customer(app, partner, company=f"Co {i}", ein=None) for i in range(40)]
    tag_customers(app, partner, tag_id, ids)
    with app.app_context():
        before = db.session.query(HistoryEntry).count()
        with unit_of_work():
            tag = db.session.get(Tag, tag_id)
            tag_service.update_tag(tag, staff_id=partner.id, name="VIPs", color="purple", description=None)
            tag_service.delete_tag(db.session.get(Tag, tag_id), staff_id=partner.id)
        assert db.session.query(HistoryEntry).count() == before + 2
    log = history_of(app, partner_id=partner.partner_id)
    assert [a for a, _s, _c in log] == ["tag.created", "tag.updated", "tag.deleted"]
    assert log[-1][1] == "VIPs"


def test_history_pages_through_long_histories(app, signed_in, partner):
    customer_id = make_customer(app, partner)
    tag_id = make_tag(app, partner, "Flip")
    with app.app_context():
        tag = db.session.get(Tag, tag_id)
        for _ in range(30):  # 60 entries
            with unit_of_work():
                tag_service.add_tag_to_customers(tag, [customer_id], staff_id=partner.id)
            with unit_of_work():
                tag_service.remove_tag_from_customers(tag, [customer_id], staff_id=partner.id)
    first = signed_in.get(f"/customers/{customer_id}/history").text
    assert first.count('class="history-entry"') == history.PAGE_SIZE
    assert "Added the customer" not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = signed_in.get(older).text
    assert second.count('class="history-entry"') == 60 - history.PAGE_SIZE + 1
    assert "Added the customer" in second and 'rel="next"' not in second


def test_the_history_of_another_partners_customer_is_not_found(app, signed_in, other_partner):
    theirs = make_customer(app, other_partner)
    assert signed_in.get(f"/customers/{theirs}/history").status_code == 404


def test_the_tag_log_is_the_partners_own(app, signed_in, partner, other_partner):
    make_tag(app, other_partner, "Secret plan")
    make_tag(app, partner, "Mine")
    html = signed_in.get("/tags/history").text
    assert "Mine" in html and "Secret plan" not in html


def test_a_page_edit_and_its_entry_name_the_signed_in_staff(app, client, partner):
    from conftest import Auth

    dana = second_staff(app, partner)
    Auth(client).login(dana.email)
    customer_id = make_customer(app, partner)
    response = post(client, f"/customers/{customer_id}/archive", page=f"/customers/{customer_id}")
    assert response.status_code == 303
    with app.app_context():
        entry = db.session.scalar(select(HistoryEntry).where(HistoryEntry.customer_id == customer_id))
        assert (entry.action, entry.staff_id, entry.partner_id) == ("customer.archived", dana.id, partner.partner_id)
