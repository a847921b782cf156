"""The shell on a phone and a desktop: Menu, back link, favicon, nothing wider than the screen."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import PHONE, new_page, sign_in
from e2e.test_dashboard import screenshot_dir


def nav_links(page):
    return page.locator("nav[aria-label=Main] a")


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_nav_folds_behind_menu(browser, live_server, partner, tmp_path_factory, javascript):
    context, page = new_page(browser, live_server, viewport=PHONE, java_script_enabled=javascript)
    sign_in(page, partner.email)
    summary = page.locator("nav[aria-label=Main] summary")
    expect(summary).to_have_text("Menu")
    expect(nav_links(page).first).to_be_hidden()
    summary.click()
    expect(page.get_by_role("link", name="Tags")).to_be_visible()
    page.screenshot(path=str(screenshot_dir(tmp_path_factory) / f"menu-open-{javascript}.png"))
    page.get_by_role("link", name="Tags").click()
    expect(page.locator("h1")).to_have_text("Tags")
    expect(nav_links(page).first).to_be_hidden()
    context.close()


def test_on_a_desktop_the_nav_is_always_shown(signed_in_page):
    page = signed_in_page
    expect(page.locator("nav[aria-label=Main] summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Tags")).to_be_visible()
    expect(page.locator(".breadcrumbs ol")).to_be_visible()
    expect(page.locator(".breadcrumb-back")).to_have_count(0)


def test_on_a_phone_breadcrumbs_are_a_back_link(browser, live_server, partner):
    context, page = new_page(browser, live_server, viewport=PHONE)
    sign_in(page, partner.email)
    page.goto("/customers/new")
    back = page.get_by_role("link", name="Back to All Customers")
    expect(back).to_be_visible()
    expect(page.locator(".breadcrumbs ol")).to_be_hidden()
    back.click()
    expect(page.locator("h1")).to_have_text("All Customers")
    context.close()


@pytest.mark.parametrize("path", ["/customers?q=nothing-matches", "/tags"])
def test_short_pages_start_right_under_the_nav_on_a_phone(browser, live_server, partner, path):
    context, page = new_page(browser, live_server, viewport=PHONE)
    sign_in(page, partner.email)
    page.goto(path)
    nav_bottom = page.locator("nav[aria-label=Main]").bounding_box()
    main_top = page.locator("main").bounding_box()["y"]
    assert main_top - (nav_bottom["y"] + nav_bottom["height"]) < 2
    # Below the app's top bar (the TEST MODE banner above it is the sandbox's, not the page's).
    heading = page.locator("h1").bounding_box()["y"] - page.locator(".topbar").bounding_box()["y"]
    assert heading < 200, f"the heading starts {heading}px below the top bar"
    context.close()


def test_every_page_shows_the_favicon(browser, live_server, partner):
    """Sideways scroll and axe-core on every page: test_every_page.py."""
    context, page = new_page(browser, live_server)
    favicons = []
    page.on("response", lambda response: "favicon" in response.url and favicons.append(response.status))
    sign_in(page, partner.email)
    for path in ["/customers", "/customers?q=nothing-matches", "/customers/new", "/tags", "/tags/new"]:
        page.goto(path)
    assert favicons and all(status in (200, 304) for status in favicons)
    context.close()
    assert page.problems == []


def test_favicon_ico_leads_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()
