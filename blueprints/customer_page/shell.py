"""The customer's page: its summary, its tabs, and one tab's panel.

A tab is one register_tab() call, from any blueprint, and one template: its panel.
Every view of the page renders it through render_page(): the whole page, or for htmx its
#customer-page fragment. Each state has its own URL, so the page works without JavaScript.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from blueprints.guards import require_staff
from forms.tags import ApplyTagForm
from tenancy import get_customer_or_404
from web import is_partial

bp = Blueprint("customer_page", __name__, url_prefix="/customers/<int:customer_id>")
require_staff(bp)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    endpoint: str
    template: str  # the panel, included in templates/customers/_page.html
    context: Callable[[object], dict] | None  # what the panel shows: customer -> names
    order: int
    title: str | None  # put before the company's name in the page's title


def _tabs() -> dict[str, Tab]:
    """The tabs of this app: those of the blueprints it registered."""
    return current_app.extensions["customer_tabs"]


def register_tab(blueprint: Blueprint, key: str, label: str, rule: str, template: str, *,
                 order: int, context: Callable[[object], dict] | None = None, titled: bool = True) -> None:
    """Add a tab to the customer's page: its GET view (endpoint `<blueprint>.<key>`, the
    customer's id in the rule as `customer_id`) and its place among the tabs (by `order`).
    context(customer): the names its template reads, with their defaults, in a fixed
    number of queries; a view of that tab passes the rest (a form, a row being edited)."""
    tab = Tab(key, label, f"{blueprint.name}.{key}", template, context, order, label if titled else None)

    def view(customer_id: int):
        return render_page(get_customer_or_404(customer_id), key)

    def add_to_app(state) -> None:
        tabs = state.app.extensions.setdefault("customer_tabs", {})
        if key in tabs:
            raise ValueError(f"the customer page already has a tab {key!r}")
        tabs[key] = tab

    blueprint.add_url_rule(rule, endpoint=key, view_func=view, methods=["GET"])
    blueprint.record_once(add_to_app)


def tab_url(customer, key: str) -> str:
    return url_for(_tabs()[key].endpoint, customer_id=customer.id)


def render_page(customer, key: str, *, status: int = 200, url: str | None = None, **state):
    """The page on tab `key` in one state: a full page, or the #customer-page fragment for htmx.
    url: the address of that state, which the browser shows after an htmx post.
    state: names for the tab's template (over its context's defaults); `panel` puts another
    template in the tab's place (the profile's edit form), `title` another page title;
    `editing_profile` and `confirming_archive` are the header's states (customers/_header.html)."""
    tab = _tabs()[key]
    context = {
        "customer": customer, "tab": key, "tabs": sorted(_tabs().values(), key=lambda each: each.order),
        "failed": status >= 400, "focus": None, "editing_profile": False, "confirming_archive": False,
        "tag_form": ApplyTagForm(formdata=None, prefix="tag"), "panel": tab.template, "title": tab.title,
        **(tab.context(customer) if tab.context else {}),
        **state,
    }
    template = "customers/_page.html" if is_partial() else "customers/show.html"
    response = make_response(render_template(template, **context), status)
    if is_partial() and request.method != "GET":
        # After a post the browser shows the state's own address (a GET link pushes its own).
        response.headers["HX-Replace-Url"] = url or tab_url(customer, key)
    return response


def done(customer, key: str, message: str, category: str = "success", **state):
    """After a change: a 303 to the tab for a full page, the fragment for htmx."""
    flash(message, category)
    if is_partial():
        return render_page(customer, key, **state)
    return redirect(tab_url(customer, key), code=303)


def posted_tab() -> str:
    """The tab a form on every tab (the tags) was posted from."""
    key = request.form.get("tab", "profile")
    return key if key in _tabs() else "profile"
