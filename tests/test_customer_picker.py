"""The customer picker (blueprints/customer_picker.py): the partner types the start of a company's
name and chooses among its matches, from All Customers' word index; never another partner's."""

from customer_helpers import PARTIAL, make_customer

import blueprints.customer_picker


def pick(client, q, kind="auto-pay", **more):
    return client.get("/customers/pick", query_string={"kind": kind, "customer_id_q": q, **more}, headers=PARTIAL)


def test_typing_the_start_of_a_name_suggests_the_partners_matching_customers(app, signed_in, partner, other_partner):
    harbor = make_customer(app, partner, company="Harbor Architects", legal_name="Harbor Architects LLP",
                           ein="92-1234567", city="Boston")
    north = make_customer(app, partner, company="Northwind Dental")
    make_customer(app, other_partner, company="Harbor Rival", ein="93-1234567")
    answer = pick(signed_in, "harb")
    assert answer.status_code == 200 and "<html" not in answer.text
    assert f'name="customer_id" value="{harbor}"> <span>Harbor Architects' in answer.text
    assert "Harbor Architects LLP, Boston" in answer.text  # what tells two names apart
    assert "Harbor Rival" not in answer.text and f'value="{north}"' not in answer.text
    assert 'data-announce="1 customer matches “harb”"' in answer.text
    assert "No customer’s name starts with “zzz”" in pick(signed_in, "zzz").text


def test_the_chosen_customer_stays_checked_and_another_partners_is_never_shown(
        app, signed_in, partner, other_partner):
    harbor = make_customer(app, partner, company="Harbor Architects", ein="92-1234567")
    north = make_customer(app, partner, company="Northwind Dental")
    theirs = make_customer(app, other_partner, company="Rival Co", ein="93-1234567")
    answer = pick(signed_in, "harb", customer_id=str(north)).text
    assert f'value="{north}" checked> <span>Northwind Dental' in answer and f'value="{harbor}"> <span>Harbor' in answer
    assert "1 more customer match “harb”" in answer
    refused = pick(signed_in, "", customer_id=str(theirs)).text
    assert "Rival" not in refused and "checked" not in refused


def test_past_so_many_matches_the_picker_asks_for_more_of_the_name(app, signed_in, partner, monkeypatch):
    monkeypatch.setattr(blueprints.customer_picker, "SUGGESTIONS", 2)
    for n, ein in enumerate(("92-1234561", "92-1234562", "92-1234563")):
        make_customer(app, partner, company=f"Harbor {n}", ein=ein)
    answer = pick(signed_in, "harbor").text
    assert answer.count('type="radio"') == 2 and "type more of the name" in answer


def test_the_picker_is_a_fragment_for_htmx_and_all_customers_search_otherwise(signed_in):
    response = signed_in.get("/customers/pick?kind=invoices&customer_q=harb")
    assert response.status_code == 303 and response.headers["Location"] == "/customers?q=harb"
    assert signed_in.get("/customers/pick?kind=nothing", headers=PARTIAL).status_code == 404
    answer = pick(signed_in, "", kind="invoices").text  # a filter's picker: "Any customer" is a choice
    assert 'name="customer" value="" checked> Any customer' in answer


def test_signed_out_the_picker_asks_to_sign_in(client):
    response = client.get("/customers/pick?kind=auto-pay&customer_id_q=harb")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/customers/pick?kind=auto-pay&customer_id_q=harb", headers=PARTIAL).status_code == 401
