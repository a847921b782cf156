"""Tags: the partner's /tags pages, All Customers filtered by tags, and bulk tagging."""

import re
from pathlib import Path

import pytest
from customer_helpers import (
    PARTIAL,
    flashes,
    history_of,
    make_customer,
    make_tag,
    post,
    tag_customers,
    tag_names_on,
)
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Customer, Tag, customer_tags
from models.tag import COLORS
from services import customer_profile
from services import customers as customer_service
from unit_of_work import unit_of_work

CSS = Path(__file__).parent.parent / "static" / "css" / "app.css"


def tag_row(app, tag_id) -> Tag:
    with app.app_context():
        tag = db.session.get(Tag, tag_id)
        if tag is not None:
            db.session.expunge(tag)
        return tag


def companies(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a></td>', html)


# -- /tags -----------------------------------------------------------------------------

def test_tags_page_lists_tags_with_how_many_customers_carry_them(app, signed_in, partner):
    vip = make_tag(app, partner, "VIP", "purple", "Top accounts")
    make_tag(app, partner, "Unused", "gray")
    ids = [make_customer(app, partner, company=f"Co {i}", ein=None) for i in range(3)]
    tag_customers(app, partner, vip, ids)
    with app.app_context(), unit_of_work():
        customer_profile.archive_customer(db.session.get(Customer, ids[0]), staff_id=partner.id)
    html = signed_in.get("/tags").text
    assert re.search(r'<span class="chip tag-purple">VIP</span>', html) and "Top accounts" in html
    assert re.search(r'href="/customers\?tag=VIP"[^>]*>2<span class="visually-hidden"> customers tagged VIP', html)
    assert "+1 archived" in html
    assert re.search(r'href="/customers\?tag=Unused"[^>]*>0<', html)


def test_tags_page_without_tags_invites_to_create_one(signed_in):
    html = signed_in.get("/tags").text
    assert "No tags yet" in html and 'href="/tags/new"' in html


def test_partner_creates_a_tag_with_a_color_and_a_description(app, signed_in, partner):
    form = signed_in.get("/tags/new").text
    for color in COLORS:
        assert f'value="{color}"' in form
    response = post(signed_in, "/tags/new", {"name": "  Net 30 ", "color": "green", "description": "Pays in 30 days"},
                    page="/tags/new")
    assert response.status_code == 303 and response.headers["Location"] == "/tags"
    with app.app_context():
        tag = db.session.query(Tag).one()
        assert (tag.name, tag.color, tag.description, tag.partner_id) == (
            "Net 30", "green", "Pays in 30 days", partner.partner_id)
    assert history_of(app, partner_id=partner.partner_id)[0][:2] == ("tag.created", "Net 30")
    assert "Created the tag Net 30" in flashes(signed_in.get("/tags").text)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "", "color": "blue"}, "name", "Enter a name for the tag"),
    ({"name": "x" * 41, "color": "blue"}, "name", "Tag name must be 40 characters or fewer"),
    ({"name": "vip", "color": "blue"}, "name", "You already have a tag called VIP"),
    ({"name": "STRASSE", "color": "blue"}, "name", "You already have a tag called Straße"),
    ({"name": "New", "color": "magenta"}, "color", "Choose a color for the tag"),
    ({"name": "New", "color": "blue", "description": "d" * 201}, "description",
     "Description must be 200 characters or fewer"),
])
def test_a_tag_form_mistake_gets_its_message(app, signed_in, partner, data, field, message):
    make_tag(app, partner, "VIP")
    make_tag(app, partner, "Straße")
    response = post(signed_in, "/tags/new", data, page="/tags/new")
    assert response.status_code == 422
    assert message in response.text
    assert "<title>Error: New tag · Receivables</title>" in response.text
    assert f'href="#{field}"' in response.text  # the summary links to the field
    with app.app_context():
        assert db.session.query(Tag).count() == 2


def test_another_partner_may_use_the_same_tag_name(app, signed_in, other_partner):
    make_tag(app, other_partner, "VIP")
    assert post(signed_in, "/tags/new", {"name": "VIP", "color": "red"}, page="/tags/new").status_code == 303


def test_the_database_keeps_tag_names_unique_per_partner_ignoring_case(app, partner):
    make_tag(app, partner, "Été")
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.add(Tag(partner_id=partner.partner_id, name="ÉTÉ", color="blue"))
        db.session.commit()


def test_renaming_and_recoloring_keeps_the_tag_on_its_customers_with_one_log_entry(app, signed_in, partner):
    tag = make_tag(app, partner, "Net 30", "blue")
    ids = [make_customer(app, partner, company=f"Co {i}", ein=None) for i in range(30)]
    tag_customers(app, partner, tag, ids)
    form = signed_in.get(f"/tags/{tag}/edit").text
    assert 'value="Net 30"' in form and re.search(r'value="blue"\s+checked', form)
    response = post(signed_in, f"/tags/{tag}/edit", {"name": "Net 30 days", "color": "teal", "description": ""},
                    page=f"/tags/{tag}/edit")
    assert response.status_code == 303
    assert (tag_row(app, tag).name, tag_row(app, tag).color) == ("Net 30 days", "teal")
    assert tag_names_on(app, ids[7]) == ["Net 30 days"]
    log = history_of(app, partner_id=partner.partner_id)
    assert log[-1] == ("tag.updated", "Net 30", [
        {"field": "name", "before": "Net 30", "after": "Net 30 days"},
        {"field": "color", "before": "blue", "after": "teal"},
    ])
    assert all(action == "tag.added" for action, _s, _c in history_of(app, ids[7]))


def test_a_tag_can_change_the_case_of_its_own_name_but_not_take_anothers(app, signed_in, partner):
    tag = make_tag(app, partner, "vip")
    make_tag(app, partner, "Net 30")
    assert post(signed_in, f"/tags/{tag}/edit", {"name": "VIP", "color": "blue"},
                page=f"/tags/{tag}/edit").status_code == 303
    response = post(signed_in, f"/tags/{tag}/edit", {"name": "NET 30", "color": "blue"}, page=f"/tags/{tag}/edit")
    assert response.status_code == 422 and "You already have a tag called Net 30" in response.text
    assert tag_row(app, tag).name == "VIP"


def test_deleting_asks_first_saying_how_many_customers_lose_it(app, signed_in, partner):
    tag = make_tag(app, partner, "VIP")
    ids = [make_customer(app, partner, company=f"Co {i}", ein=None) for i in range(3)]
    tag_customers(app, partner, tag, ids)
    with app.app_context(), unit_of_work():
        customer_profile.archive_customer(db.session.get(Customer, ids[2]), staff_id=partner.id)
    confirm = signed_in.get(f"/tags/{tag}/delete").text
    assert "2 customers will lose this tag (and 1 archived customer)." in confirm
    assert tag_row(app, tag) is not None
    response = post(signed_in, f"/tags/{tag}/delete", page=f"/tags/{tag}/delete")
    assert response.status_code == 303
    assert tag_row(app, tag) is None
    assert all(tag_names_on(app, cid) == [] for cid in ids)
    assert "Deleted the tag VIP. 3 customers lost it." in flashes(signed_in.get("/tags").text)
    log = history_of(app, partner_id=partner.partner_id)
    assert [a for a, _s, _c in log].count("tag.deleted") == 1
    assert {"field": "customers", "before": 3, "after": 0} in log[-1][2]


def test_deleting_an_unused_tag_says_no_customer_has_it(app, signed_in, partner):
    tag = make_tag(app, partner, "Spare")
    assert "No customer has this tag." in signed_in.get(f"/tags/{tag}/delete").text


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/tags/{id}/edit"), ("post", "/tags/{id}/edit"),
    ("get", "/tags/{id}/delete"), ("post", "/tags/{id}/delete"),
])
def test_another_partners_tag_is_not_found(app, signed_in, other_partner, method, path):
    theirs = make_tag(app, other_partner, "Theirs")
    url = path.format(id=theirs)
    if method == "get":
        response = signed_in.get(url)
    else:
        response = post(signed_in, url, {"name": "Mine now", "color": "red"}, page="/tags")
    assert response.status_code == 404
    assert tag_row(app, theirs).name == "Theirs"


def test_tag_names_and_descriptions_show_as_text(app, signed_in, partner):
    make_tag(app, partner, "<script>x</script>", description='<img src=x onerror="alert(1)">')
    html = signed_in.get("/tags").text
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_tag_log_lists_changes_to_tags(app, signed_in, partner):
    tag = make_tag(app, partner, "VIP")
    post(signed_in, f"/tags/{tag}/edit", {"name": "VIPs", "color": "blue"}, page=f"/tags/{tag}/edit")
    html = signed_in.get("/tags/history").text
    assert "Created a tag</strong>: VIP" in html and "Edited a tag</strong>: VIP" in html
    assert re.search(r'Name</th>\s*<td[^>]*>VIP</td>\s*<td[^>]*>VIPs</td>', html)


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("color", COLORS)
def test_every_palette_color_is_readable(color):
    """Each tag color's text on its background meets WCAG AA for small text (4.5:1)."""
    css = CSS.read_text()
    text = re.search(rf"--tag-{color}-text:\s*(#[0-9a-f]{{6}})", css).group(1)
    background = re.search(rf"--tag-{color}-bg:\s*(#[0-9a-f]{{6}})", css).group(1)
    lighter, darker = sorted((_luminance(text), _luminance(background)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5
    assert f".tag-{color} {{" in css


def test_the_database_refuses_a_tag_on_another_partners_customer(app, partner, other_partner):
    theirs = make_customer(app, other_partner)
    mine = make_tag(app, partner, "Mine")
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.execute(insert(customer_tags).values(partner_id=partner.partner_id, customer_id=theirs, tag_id=mine,
                                                        company_sort="theirs", archived=False))
        db.session.commit()


# -- All Customers by tag -------------------------------------------------------------------

@pytest.fixture
def tagged(app, partner):
    """Four customers: Alpha (VIP, Net 30), Beta (VIP), Gamma (Net 30), Delta (none)."""
    ids = {name: make_customer(app, partner, company=name, ein=None) for name in ("Alpha", "Beta", "Gamma", "Delta")}
    vip, net = make_tag(app, partner, "VIP", "purple"), make_tag(app, partner, "Net 30", "blue")
    tag_customers(app, partner, vip, [ids["Alpha"], ids["Beta"]])
    tag_customers(app, partner, net, [ids["Alpha"], ids["Gamma"]])
    return {**ids, "vip": vip, "net": net}


def test_the_list_shows_each_customers_tag_chips(signed_in, tagged):
    html = signed_in.get("/customers").text
    row = html[html.index(">Alpha</a>"):html.index(">Beta</a>")]
    assert re.search(r'class="chip tag-blue" href="/customers\?tag=Net\+30">Net 30</a>', row)
    assert 'class="chip tag-purple" href="/customers?tag=VIP">VIP</a>' in row


@pytest.mark.parametrize(("query", "expected"), [
    ("tag=VIP", ["Alpha", "Beta"]),
    ("tag=vip", ["Alpha", "Beta"]),
    ("tag=VIP&tag=Net+30", ["Alpha", "Beta", "Gamma"]),
    ("tag=VIP&tag=Net+30&match=any", ["Alpha", "Beta", "Gamma"]),
    ("tag=VIP&tag=Net+30&match=all", ["Alpha"]),
    ("tag=VIP&tag=Net+30&match=all&q=gam", []),
    ("tag=Net+30&q=gam", ["Gamma"]),
    ("tag=Nope", []),
    ("tag=VIP&tag=Nope", ["Alpha", "Beta"]),
    ("tag=VIP&tag=Nope&match=all", []),
    ("tag=&q=", ["Alpha", "Beta", "Delta", "Gamma"]),
    ("match=bogus&tag=VIP", ["Alpha", "Beta"]),
])
def test_filtering_by_tags(signed_in, tagged, query, expected):
    response = signed_in.get(f"/customers?{query}")
    assert response.status_code == 200
    assert companies(response.text) == expected


def test_an_unknown_tag_name_is_shown_as_such(signed_in, tagged):
    html = signed_in.get("/customers?tag=Nope").text
    assert "Nope (no such tag)" in html and "No customers match" in html


def test_another_partners_tags_never_filter_this_list(app, signed_in, other_partner, tagged):
    theirs = make_customer(app, other_partner, company="Rival Co", ein=None)
    tag_customers(app, other_partner, make_tag(app, other_partner, "Rivalry"), [theirs])
    tag_customers(app, other_partner, make_tag(app, other_partner, "VIP"), [theirs])
    assert companies(signed_in.get("/customers?tag=Rivalry").text) == []
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Alpha", "Beta"]


def test_the_filter_and_search_come_back_as_an_htmx_fragment(signed_in, tagged):
    response = signed_in.get("/customers?tag=VIP&q=bet", headers=PARTIAL)
    assert response.text.lstrip().startswith('<section id="customer-results"')
    assert companies(response.text) == ["Beta"]


def test_the_filter_form_shows_the_chosen_tags(signed_in, tagged):
    html = signed_in.get("/customers?tag=vip&match=all").text
    assert re.search(rf'id="filter-tag-{tagged["vip"]}" name="tag" value="VIP" checked', html)
    assert re.search(r'name="match" value="all" checked', html)
    assert "<details class=\"tag-filter\" open>" in html


def test_paging_keeps_the_filters(app, signed_in, partner):
    tag = make_tag(app, partner, "Bulk")
    ids = [make_customer(app, partner, company=f"Co {i:02d}", ein=None) for i in range(30)]
    tag_customers(app, partner, tag, ids)
    html = signed_in.get("/customers?tag=Bulk&match=all&q=co").text
    next_link = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "tag=Bulk" in next_link and "match=all" in next_link and "q=co" in next_link
    assert companies(signed_in.get(next_link).text) == [f"Co {i:02d}" for i in range(25, 30)]


def test_chips_cost_one_query_for_the_whole_page(app, signed_in, partner):
    tag = make_tag(app, partner, "Everyone")

    def statements_for_a_page_of(count):
        new = [make_customer(app, partner, company=f"C{i:02d}", ein=None) for i in range(count)]
        tag_customers(app, partner, tag, new)
        signed_in.get("/customers")  # the first visit also stores the session's CSRF token
        seen = []
        with app.app_context():
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                html = signed_in.get("/customers").text
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return html.count(">Everyone</a>"), len(seen)

    two, statements_for_two = statements_for_a_page_of(2)
    twelve, statements_for_twelve = statements_for_a_page_of(10)
    assert (two, twelve) == (2, 12)
    assert statements_for_twelve == statements_for_two


def test_archived_customers_show_only_when_asked(app, signed_in, partner, tagged):
    with app.app_context(), unit_of_work():
        customer_profile.archive_customer(db.session.get(Customer, tagged["Beta"]), staff_id=partner.id)
    assert companies(signed_in.get("/customers").text) == ["Alpha", "Delta", "Gamma"]
    archived = signed_in.get("/customers?archived=1").text
    assert companies(archived) == ["Beta"]
    assert "Archived customers" in archived and "Show active customers" in archived
    assert companies(signed_in.get("/customers?archived=1&tag=VIP").text) == ["Beta"]
    assert companies(signed_in.get("/customers?archived=1&tag=Net+30").text) == []
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Alpha"]


def test_an_empty_archive_says_so(signed_in, tagged):
    assert "No archived customers" in signed_in.get("/customers?archived=1").text


def tag_rows_follow_their_customers(app, partner_id) -> bool:
    """Every customer_tags row of the partner carries its customer's sort key and archived state
    (the tag filter's index, ix_customer_tags_list)."""
    with app.app_context():
        rows = db.session.execute(
            select(customer_tags.c.company_sort, customer_tags.c.archived, Customer.company_sort, Customer.archived_at)
            .join(Customer, Customer.id == customer_tags.c.customer_id).where(customer_tags.c.partner_id == partner_id)
        ).all()
    return bool(rows) and all(sort == own and archived == (archived_at is not None)
                              for sort, archived, own, archived_at in rows)


def test_the_tag_filter_follows_every_write_that_moves_a_customer(app, signed_in, partner, tagged):
    pid = partner.partner_id
    assert bulk(signed_in, tagged["vip"], [tagged["Gamma"]]).status_code == 303
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Alpha", "Beta", "Gamma"]
    # Renamed on its profile, by the API or an import (services.customers.update_customer): its
    # place in the filtered list moves with it.
    with app.app_context(), unit_of_work():
        customer_service.update_customer(db.session.get(Customer, tagged["Alpha"]), {"company": "Zulu"},
                                         staff_id=partner.id)
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Beta", "Gamma", "Zulu"]
    assert companies(signed_in.get("/customers?tag=VIP&tag=Net+30&match=all").text) == ["Gamma", "Zulu"]
    assert companies(signed_in.get("/customers?tag=Net+30&q=zul").text) == ["Zulu"]
    # Archived and restored on the customer's page.
    assert post(signed_in, f"/customers/{tagged['Beta']}/archive", page=f"/customers/{tagged['Beta']}").status_code \
        == 303
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Gamma", "Zulu"]
    assert companies(signed_in.get("/customers?archived=1&tag=VIP").text) == ["Beta"]
    assert companies(signed_in.get("/customers?archived=1&tag=VIP&q=bet").text) == ["Beta"]
    assert tag_rows_follow_their_customers(app, pid)
    assert post(signed_in, f"/customers/{tagged['Beta']}/restore", page=f"/customers/{tagged['Beta']}").status_code \
        == 303
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Beta", "Gamma", "Zulu"]
    assert companies(signed_in.get("/customers?archived=1&tag=VIP").text) == []
    # Tagged by typing on the customer's page, then taken off in bulk, then the tag deleted.
    assert post(signed_in, f"/customers/{tagged['Delta']}/tags", {"tag-name": "vip"},
                page=f"/customers/{tagged['Delta']}").status_code == 303
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Beta", "Delta", "Gamma", "Zulu"]
    assert tag_rows_follow_their_customers(app, pid)
    assert bulk(signed_in, tagged["vip"], [tagged["Beta"], tagged["Gamma"]], action="remove").status_code == 303
    assert companies(signed_in.get("/customers?tag=VIP").text) == ["Delta", "Zulu"]
    assert post(signed_in, f"/tags/{tagged['vip']}/delete", page="/tags").status_code == 303
    assert "VIP (no such tag)" in signed_in.get("/customers?tag=VIP").text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(customer_tags)
                                 .where(customer_tags.c.tag_id == tagged["vip"])) == 0
    assert tag_rows_follow_their_customers(app, pid)


def test_a_tag_filter_pages_in_the_lists_order_and_counts_its_own_customers(app, signed_in, partner):
    tag, other = make_tag(app, partner, "Bulk"), make_tag(app, partner, "Other")
    ids = [make_customer(app, partner, company=f"Co {i:02d}", ein=None) for i in range(30)]
    untagged = make_customer(app, partner, company="Co 05b", ein=None)  # between two tagged ones
    tag_customers(app, partner, tag, ids)
    tag_customers(app, partner, other, ids[::2] + [untagged])
    first = signed_in.get("/customers?tag=Bulk").text
    assert "30 customers" in first and companies(first) == [f"Co {i:02d}" for i in range(25)]
    second = signed_in.get(re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")).text
    assert companies(second) == [f"Co {i:02d}" for i in range(25, 30)] and "Showing 26–30" in second
    back = signed_in.get(re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")).text
    assert companies(back) == companies(first)
    both = signed_in.get("/customers?tag=Bulk&tag=Other&match=all").text
    assert "15 customers" in both and companies(both) == [f"Co {i:02d}" for i in range(0, 30, 2)]
    either = signed_in.get("/customers?tag=Bulk&tag=Other").text
    assert "31 customers" in either and companies(either)[5:7] == ["Co 05", "Co 05b"]


# -- bulk tagging ---------------------------------------------------------------------------

def bulk(client, tag_id, customer_ids, action="add", next_url="/customers?tag=VIP"):
    data = {"tag_id": str(tag_id), "action": action, "customer_id": [str(i) for i in customer_ids],
            "next": next_url}
    return post(client, "/tags/bulk", data, page="/customers")


def test_partner_adds_a_tag_to_the_selected_customers(app, signed_in, partner, tagged):
    html = signed_in.get("/customers").text
    assert 'action="/tags/bulk"' in html and f'name="customer_id" value="{tagged["Delta"]}"' in html
    response = bulk(signed_in, tagged["vip"], [tagged["Alpha"], tagged["Gamma"], tagged["Delta"]])
    assert response.status_code == 303 and response.headers["Location"] == "/customers?tag=VIP"
    assert tag_names_on(app, tagged["Delta"]) == ["VIP"]
    assert tag_names_on(app, tagged["Gamma"]) == ["Net 30", "VIP"]
    assert "Added the tag VIP to 2 customers (1 customer already had it)" in flashes(
        signed_in.get("/customers").text)
    assert history_of(app, tagged["Delta"])[-1] == ("tag.added", "VIP", [])
    assert [a for a, _s, _c in history_of(app, tagged["Alpha"])].count("tag.added") == 2  # none new


def test_partner_removes_a_tag_from_the_selected_customers(app, signed_in, tagged):
    response = bulk(signed_in, tagged["net"], [tagged["Alpha"], tagged["Beta"]], action="remove")
    assert response.status_code == 303
    assert tag_names_on(app, tagged["Alpha"]) == ["VIP"]
    assert history_of(app, tagged["Alpha"])[-1] == ("tag.removed", "Net 30", [])
    assert history_of(app, tagged["Beta"])[-1][0] == "tag.added"


def test_a_forged_customer_id_fails_the_whole_bulk_action(app, signed_in, other_partner, tagged):
    theirs = make_customer(app, other_partner, company="Rival Co", ein=None)
    assert bulk(signed_in, tagged["vip"], [tagged["Delta"], theirs]).status_code == 404
    assert bulk(signed_in, tagged["vip"], [tagged["Delta"], 999999]).status_code == 404
    assert tag_names_on(app, tagged["Delta"]) == [] and tag_names_on(app, theirs) == []


def test_another_partners_tag_cannot_be_applied_in_bulk(app, signed_in, other_partner, tagged):
    theirs = make_tag(app, other_partner, "Theirs")
    assert bulk(signed_in, theirs, [tagged["Delta"]]).status_code == 404
    assert tag_names_on(app, tagged["Delta"]) == []


@pytest.mark.parametrize(("data", "message"), [
    ({"tag_id": "", "action": "add", "customer_id": "1"}, "Choose the tag to add or remove"),
    ({"tag_id": "1", "action": "add"}, "Select at least one customer first"),
])
def test_a_bulk_action_missing_its_tag_or_customers_says_what_to_do(signed_in, tagged, data, message):
    response = post(signed_in, "/tags/bulk", data, page="/customers", follow=True)
    assert message in flashes(response.text)


@pytest.mark.parametrize("data", [
    {"tag_id": "1", "action": "explode", "customer_id": "1"},
    {"tag_id": "x", "action": "add", "customer_id": "1"},
    {"tag_id": "1", "action": "add", "customer_id": "1; DROP TABLE"},
    {"tag_id": "1", "action": "add", "customer_id": [str(i) for i in range(1001)]},
])
def test_a_malformed_bulk_action_is_a_bad_request(signed_in, tagged, data):
    assert post(signed_in, "/tags/bulk", data, page="/customers").status_code == 400


@pytest.mark.parametrize("next_url", ["https://evil.example.com/customers", "//evil.example.com", "/tags", ""])
def test_bulk_action_returns_only_to_all_customers(signed_in, tagged, next_url):
    response = bulk(signed_in, tagged["vip"], [tagged["Delta"]], next_url=next_url)
    assert response.headers["Location"] == "/customers"


def test_bulk_action_needs_the_csrf_token(app, signed_in, tagged):
    response = signed_in.post("/tags/bulk", data={"tag_id": tagged["vip"], "action": "add",
                                                  "customer_id": tagged["Delta"]})
    assert response.status_code == 400
    assert tag_names_on(app, tagged["Delta"]) == []
