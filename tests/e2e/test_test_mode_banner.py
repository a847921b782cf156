"""The TEST MODE banner in Chromium: on a dashboard and a portal page, at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from e2e.axe import assert_no_axe_violations
from e2e.conftest import DESKTOP, PHONE, new_page, sign_in
from e2e.test_dashboard import screenshot_dir


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_test_mode_banner_is_a_labelled_region_that_fits_every_width(browser, live_server, partner,
                                                                          tmp_path_factory, size, viewport):
    shots = screenshot_dir(tmp_path_factory)
    context, page = new_page(browser, live_server, viewport=viewport)
    sign_in(page, partner.email)
    page.goto("/portal/login")  # a portal page first, then back to the dashboard
    for name in ("portal-login", "customers"):
        banner = page.get_by_role("region", name="Test mode")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("no real money moves")
        assert banner.bounding_box()["y"] == 0  # above everything else on the page
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert_no_axe_violations(page)
        page.screenshot(path=str(shots / f"test-mode-{name}-{size}.png"))
        page.goto("/customers")
    context.close()
    assert page.problems == []
