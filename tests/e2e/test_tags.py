"""Tags in Chromium: create, apply by typing, remove, delete; filter and bulk-tag All Customers."""

import re

from customer_helpers import make_customer, make_tag, tag_customers, tag_names_on
from playwright.sync_api import expect

from e2e.conftest import assert_no_axe_violations


def test_partner_creates_applies_and_deletes_tags(app, signed_in_page, partner):
    page = signed_in_page
    customer_id = make_customer(app, partner)

    page.click("nav >> text=Tags")
    expect(page).to_have_url(re.compile(r"/tags$"))
    expect(page.locator(".empty-state")).to_contain_text("No tags yet")
    assert_no_axe_violations(page)

    page.click(".page-header >> text=New tag")
    page.fill("#name", "Net 30")
    page.check("input[name=color][value=green]")
    page.fill("#description", "Pays within 30 days")
    page.click("button:has-text('Create tag')")
    expect(page.locator("#alerts")).to_contain_text("Created the tag Net 30")
    expect(page.locator(".tags-table")).to_contain_text("Pays within 30 days")
    assert_no_axe_violations(page)

    # The same name in another case is refused, by the field and in the summary.
    page.click(".page-header >> text=New tag")
    page.fill("#name", "NET 30")
    page.click("button:has-text('Create tag')")
    expect(page.locator(".error-summary")).to_contain_text("You already have a tag called Net 30")
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    # On the customer: typing suggests the tag; choosing it applies it.
    page.goto(f"/customers/{customer_id}")
    page.click("#add-tag")
    page.locator("#tag-name").press_sequentially("ne", delay=40)
    suggestion = page.locator("#tag-suggestions button", has_text="Net 30")
    expect(suggestion).to_be_visible()
    assert_no_axe_violations(page)
    suggestion.click()
    expect(page.locator("#customer-tags .chip-link")).to_have_text(["Net 30"])
    expect(page.locator("#tag-name")).to_be_focused()
    expect(page.locator("#tag-name")).to_have_value("")

    # Enter on a new name creates the tag and applies it.
    page.locator("#tag-name").press_sequentially("Quarterly", delay=20)
    expect(page.locator("#tag-suggestions")).to_contain_text("Press Enter to create the tag “Quarterly”")
    page.keyboard.press("Enter")
    expect(page.locator("#customer-tags .chip-link")).to_have_text(["Net 30", "Quarterly"])
    expect(page.locator("#alerts")).to_contain_text("Created the tag Quarterly and added it")
    assert tag_names_on(app, customer_id) == ["Net 30", "Quarterly"]

    # Remove from its chip.
    page.click("button:has-text('Remove tag Quarterly')")
    expect(page.locator("#customer-tags .chip-link")).to_have_text(["Net 30"])
    expect(page.locator("#add-tag")).to_be_focused()
    assert_no_axe_violations(page)

    # Delete, after a confirmation that says how many customers lose it.
    page.goto("/tags")
    page.click("a:has-text('Delete Net 30')")
    expect(page.locator(".lead")).to_have_text("1 customer will lose this tag.")
    assert_no_axe_violations(page)
    page.click("button:has-text('Delete tag')")
    expect(page.locator("#alerts")).to_contain_text("Deleted the tag Net 30. 1 customer lost it.")
    assert tag_names_on(app, customer_id) == []

    page.click("a:has-text('Tag history')")
    expect(page.locator(".history")).to_contain_text("Deleted a tag: Net 30")
    assert_no_axe_violations(page)


def test_partner_filters_the_list_by_tags_and_tags_customers_in_bulk(app, signed_in_page, partner):
    page = signed_in_page
    ids = {name: make_customer(app, partner, company=name, ein=None) for name in ("Alpha", "Beta", "Gamma", "Delta")}
    vip, net = make_tag(app, partner, "VIP", "purple"), make_tag(app, partner, "Net 30", "blue")
    tag_customers(app, partner, vip, [ids["Alpha"], ids["Beta"]])
    tag_customers(app, partner, net, [ids["Alpha"], ids["Gamma"]])
    rows = page.locator("#customer-results tbody tr")

    page.goto("/customers")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("VIP")
    page.click("summary:has-text('Filter by tag')")
    assert_no_axe_violations(page)

    page.check("label:has-text('VIP')")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"tag=VIP"))
    page.check("label:has-text('Net 30')")
    expect(rows).to_have_count(3)
    page.check("#filter-match-all")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alpha")
    expect(page.locator(".active-filters")).to_contain_text("Customers with all of:")
    page.locator("#search-q").press_sequentially("zzz", delay=20)
    expect(page.locator("#customer-results")).to_contain_text("No customers match")
    assert_no_axe_violations(page)

    # Bulk: select the whole page, add a tag; then take it off one customer.
    page.goto("/customers")
    page.check("#select-page")
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")
    page.select_option("#bulk-tag", label="VIP")
    page.click(".bulk-bar button:has-text('Add tag')")
    expect(page.locator("#alerts")).to_contain_text("Added the tag VIP to 2 customers (2 customers already had it)")
    assert all("VIP" in tag_names_on(app, cid) for cid in ids.values())

    page.get_by_label("Select Gamma").check()
    page.select_option("#bulk-tag", label="Net 30")
    page.click(".bulk-bar button:has-text('Remove tag')")
    expect(page.locator("#alerts")).to_contain_text("Removed the tag Net 30 from 1 customer")
    assert tag_names_on(app, ids["Gamma"]) == ["VIP"]
    assert_no_axe_violations(page)


def test_filtering_and_bulk_tagging_work_without_javascript(app, signed_in_page_no_js, partner):
    page = signed_in_page_no_js
    ids = [make_customer(app, partner, company=name, ein=None) for name in ("Alpha", "Beta")]
    make_tag(app, partner, "VIP", "purple")
    page.goto("/customers")
    expect(page.locator("#select-page")).to_be_hidden()
    page.get_by_label("Select Beta").check()
    page.select_option("#bulk-tag", label="VIP")
    page.click(".bulk-bar button:has-text('Add tag')")
    expect(page.locator("#alerts")).to_contain_text("Added the tag VIP to 1 customer")
    page.click("summary:has-text('Filter by tag')")
    page.check("label:has-text('VIP')")
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"tag=VIP"))
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    assert tag_names_on(app, ids[1]) == ["VIP"]
