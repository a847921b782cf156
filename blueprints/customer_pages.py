"""A customer's page: Profile, Users and History tabs, the profile edit, tags, archive.

Every view renders the whole page, or for htmx its #customer-page fragment
(the tag block swaps on its own: it is on every tab, beside forms being typed in).
Each state has its own URL, so the same thing works as plain pages without JavaScript.
"""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.guards import require_staff
from blueprints.onboarding import DEPENDENTS, _typed
from extensions import db
from forms.customer import MAX_USERS, change_rows
from forms.customer_page import AddUsersForm, ProfileForm, UserEditForm
from forms.tags import ApplyTagForm
from models import CustomerUser, StaffUser
from services import customer_profile, customer_users, history, portal_access, tags
from services.customers import DuplicateEIN
from tenancy import get_customer_or_404
from web import is_partial

bp = Blueprint("customer_page", __name__, url_prefix="/customers/<int:customer_id>")
require_staff(bp)

TABS = {"profile": "Profile", "users": "Users", "history": "History"}
TAB_ENDPOINTS = {"profile": ".profile", "users": ".users", "history": ".history"}


# -- rendering -------------------------------------------------------------------

@bp.app_template_global()
def history_action(entry) -> str:
    return history.ACTIONS.get(entry.action, entry.action)


@bp.app_template_global()
def history_field(name: str) -> str:
    return history.FIELD_LABELS.get(name, name)


@bp.app_template_global()
def history_value(field: str, value) -> str:
    return history.display_value(field, value)


def _tab_url(customer, tab: str) -> str:
    return url_for(TAB_ENDPOINTS[tab], customer_id=customer.id)


def render_page(customer, tab: str, *, status: int = 200, url: str | None = None, **state):
    """The page in one state: a full page, or the #customer-page fragment for htmx.
    url: the address of that state, which the browser shows after an htmx post."""
    context = {"customer": customer, "tab": tab, "tabs": TABS, "tag_form": None, "failed": status >= 400,
               **state}
    if context["tag_form"] is None:
        context["tag_form"] = ApplyTagForm(formdata=None, prefix="tag")
    if tab == "history":
        context.update(_history_context(customer))
    template = "customers/_page.html" if is_partial() else "customers/show.html"
    response = make_response(render_template(template, **context), status)
    if is_partial() and request.method != "GET":
        # After a post the browser shows the state's own address (a GET link pushes its own).
        response.headers["HX-Replace-Url"] = url or _tab_url(customer, tab)
    return response


def _history_context(customer) -> dict:
    raw = request.args.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 18 else None
    entries, more = history.customer_history(customer, before_id=before)
    creator = db.session.get(StaffUser, customer.created_by_id) if customer.created_by_id else None
    return {"entries": entries, "more": more, "older_than": before, "creator": creator}


def _done(customer, tab: str, message: str, category: str = "success", **state):
    """After a change: a 303 to the tab for a full page, the fragment for htmx."""
    flash(message, category)
    if is_partial():
        return render_page(customer, tab, **state)
    return redirect(_tab_url(customer, tab), code=303)


# -- tabs ----------------------------------------------------------------------

@bp.get("")
def profile(customer_id: int):
    return render_page(get_customer_or_404(customer_id), "profile")


@bp.get("/users")
def users(customer_id: int):
    return render_page(get_customer_or_404(customer_id), "users")


@bp.get("/history", endpoint="history")
def history_tab(customer_id: int):
    return render_page(get_customer_or_404(customer_id), "history")


# -- profile edit ------------------------------------------------------------------

def _profile_form(customer, **kwargs) -> ProfileForm:
    return ProfileForm(partner_id=customer.partner_id, customer_id=customer.id, **kwargs)


def _render_edit(customer, form, *, status=200, conflict=None, both_changed=()):
    return render_page(
        customer, "profile", status=status, url=url_for(".edit", customer_id=customer.id),
        profile_form=form, conflict=conflict, both_changed=[history.FIELD_LABELS[n] for n in both_changed],
        form_fields=[form[name] for name in form.FIELDS],
    )


@bp.get("/edit")
def edit(customer_id: int):
    customer = get_customer_or_404(customer_id)
    data = {name: getattr(customer, name) or "" for name in ProfileForm.FIELDS}
    form = _profile_form(customer, formdata=None, data={**data, "version": str(customer.version)})
    return _render_edit(customer, form)


@bp.post("/edit")
def save(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = _profile_form(customer)
    started_from = form.started_from()
    if started_from is None:
        abort(400)
    valid = form.validate()
    if customer.version != started_from:
        return _render_conflict(customer, form, started_from, customer.version)
    if not valid:
        return _render_edit(customer, form, status=422)
    try:
        changes = customer_profile.update_profile(
            customer, form.cleaned(), expected_version=started_from, staff_id=current_user.id
        )
    except customer_profile.StaleProfile as stale:  # saved by someone else at this very moment
        return _render_conflict(get_customer_or_404(customer_id), form, started_from, stale.current_version)
    except DuplicateEIN:
        customer = get_customer_or_404(customer_id)
        form.ein.errors = ["Another customer took this EIN a moment ago"]
        return _render_edit(customer, form, status=422)
    message = "Profile saved" if changes else "Nothing changed"
    return _done(customer, "profile", message, "success" if changes else "info", focus="edit-profile")


def _render_conflict(customer, form, started_from: int, current_version: int):
    """409: what the others saved since the form was opened, merged into the form (fields
    only they changed take their values; fields both changed keep the partner's). The form
    now carries the current version, so saving again is a choice made knowingly."""
    since = history.profile_changes_since(customer, started_from)
    mine = {name: form[name].data if not form[name].errors else (form[name].raw_data or [""])[0]
            for name in form.FIELDS}
    current = {name: getattr(customer, name) for name in form.FIELDS}
    values, both = customer_profile.rebase(mine, current, since)
    merged = _profile_form(customer, formdata=None, data={**values, "version": str(current_version)},
                           meta={"csrf": False})
    merged.validate()
    return _render_edit(customer, merged, status=409, conflict=since, both_changed=both)


@bp.post("/edit/check/<name>")
def check_profile_field(customer_id: int, name: str):
    """The blur check of one profile field, as step 1 of Add customer does it."""
    customer = get_customer_or_404(customer_id)
    if name not in ProfileForm.FIELDS:
        abort(404)
    form = _profile_form(customer)
    form.check_field(name)
    also = DEPENDENTS.get(name, ())
    for other in also:
        if _typed(form[other]):
            form.check_field(other)
    return render_template(
        "onboarding/_details_check.html", form=form, name=name, also=also,
        check_base=url_for(".edit", customer_id=customer.id) + "/check",
    )


# -- archive ---------------------------------------------------------------------

@bp.post("/archive")
def archive(customer_id: int):
    customer = get_customer_or_404(customer_id)
    if customer_profile.archive_customer(customer, staff_id=current_user.id):
        flash(f"{customer.company} is archived. It no longer shows in All Customers.", "success")
    return redirect(url_for(".profile", customer_id=customer.id), code=303)


@bp.post("/restore")
def restore(customer_id: int):
    customer = get_customer_or_404(customer_id)
    if customer_profile.restore_customer(customer, staff_id=current_user.id):
        flash(f"{customer.company} is restored. It shows in All Customers again.", "success")
    return redirect(url_for(".profile", customer_id=customer.id), code=303)


# -- users -----------------------------------------------------------------------

def _user_or_404(customer, user_id: int) -> CustomerUser:
    user = db.session.scalar(
        select(CustomerUser).where(CustomerUser.id == user_id, CustomerUser.customer_id == customer.id)
    )
    if user is None:
        abort(404)
    return user


def _add_users_form(customer, **kwargs) -> AddUsersForm:
    return AddUsersForm(customer_id=customer.id, **kwargs)


def _render_add_users(customer, form, *, status=200, focus=None):
    error_fields = [f for row in form.users for f in (row.form.name, row.form.email)]
    return render_page(
        customer, "users", status=status, url=url_for(".add_users", customer_id=customer.id),
        add_form=form, error_fields=error_fields, focus_id=focus,
    )


@bp.get("/users/new")
def add_users(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = _add_users_form(customer, formdata=None, data={"users": [{"name": "", "email": ""}]})
    return _render_add_users(customer, form, focus="users-0-name")


@bp.post("/users/new")
def add_users_action(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = _add_users_form(customer)
    action = request.form.get("action", "")
    if action == "save":
        return _save_new_users(customer, form)
    rows = [{"name": (row.form.name.data or "").strip(), "email": (row.form.email.data or "").strip()}
            for row in form.users.entries]
    changed = change_rows(rows, action)
    if changed is None:
        abort(400)
    rows, focus = changed
    form = _add_users_form(customer, formdata=None, data={"users": rows})
    if is_partial():
        return render_template(
            "onboarding/_user_rows.html", form=form, focus_id=focus, **_user_rows_urls(customer)
        )
    return _render_add_users(customer, form, focus=focus)


def _user_rows_urls(customer) -> dict:
    """Where the step-2 row partial posts its buttons and blur checks, on this page."""
    return {
        "users_rows_url": url_for(".add_users", customer_id=customer.id),
        "users_check_base": url_for(".add_users", customer_id=customer.id) + "/check",
    }


def _save_new_users(customer, form):
    if not form.validate():
        return _render_add_users(customer, form, status=422)
    try:
        added = customer_users.add_users(customer, form.cleaned(), staff_id=current_user.id)
    except customer_users.DuplicateEmail:
        customer = get_customer_or_404(customer.id)
        form = _add_users_form(customer)
        form.validate()  # names the email someone added meanwhile
        return _render_add_users(customer, form, status=422)
    message = f"Added {added[0].name}" if len(added) == 1 else f"Added {len(added)} users"
    return _done(customer, "users", message, focus="add-users")


@bp.post("/users/new/check/<int:index>/<name>")
def check_new_user(customer_id: int, index: int, name: str):
    """The blur check of one field of the new users' rows."""
    customer = get_customer_or_404(customer_id)
    if name not in ("name", "email") or index >= MAX_USERS:
        abort(404)
    form = _add_users_form(customer)
    if index >= len(form.users.entries):
        abort(404)
    form.validate()
    field = form.users.entries[index].form[name]
    return render_template(
        "onboarding/_user_check.html", field=field, index=index, name=name, **_user_rows_urls(customer)
    )


def _user_form(user, **kwargs) -> UserEditForm:
    return UserEditForm(user=user, prefix="user", **kwargs)


def _render_user_edit(customer, user, form, *, status=200):
    return render_page(
        customer, "users", status=status,
        url=url_for(".edit_user", customer_id=customer.id, user_id=user.id),
        editing=user, user_form=form,
    )


@bp.get("/users/<int:user_id>/edit")
def edit_user(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    return _render_user_edit(customer, user, _user_form(user, formdata=None, obj=user))


@bp.post("/users/<int:user_id>/edit")
def save_user(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    form = _user_form(user)
    if not form.validate():
        return _render_user_edit(customer, user, form, status=422)
    try:
        changes = customer_users.update_user(
            user, name=form.name.data, email=form.email.data, staff_id=current_user.id
        )
    except customer_users.DuplicateEmail:
        customer = get_customer_or_404(customer_id)
        user = _user_or_404(customer, user_id)
        form.email.errors = [f"{form.email.data} is already a user of this customer"]
        return _render_user_edit(customer, user, form, status=422)
    message = f"Saved {user.name}" if changes else "Nothing changed"
    return _done(customer, "users", message, "success" if changes else "info", focus=f"edit-user-{user.id}")


@bp.post("/users/<int:user_id>/edit/check/<name>")
def check_user(customer_id: int, user_id: int, name: str):
    """The blur check of a user's name or email being edited."""
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    if name not in ("name", "email"):
        abort(404)
    form = _user_form(user)
    form.validate()
    return render_template(
        "customers/_user_edit_check.html", customer=customer, user=user, field=form[name], name=name
    )


@bp.app_template_global("portal_status")
def portal_status(user: CustomerUser):
    """("Invited", when) / ("Delivery failed", when) / ("Active", last sign-in) for the Users tab."""
    return portal_access.user_status(user)


@bp.post("/users/<int:user_id>/invite")
def resend_invitation(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    portal_access.resend_invitation(user)
    db.session.commit()
    return _done(customer, "users", f"Invitation sent again to {user.email}. The earlier link no longer works.")


@bp.get("/users/<int:user_id>/remove")
def confirm_remove_user(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    return render_page(
        customer, "users", url=url_for(".confirm_remove_user", customer_id=customer.id, user_id=user.id),
        removing=user,
    )


@bp.post("/users/<int:user_id>/remove")
def remove_user(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    name = user.name
    try:
        customer_users.remove_user(user, staff_id=current_user.id)
    except customer_users.LastUser as error:
        customer = get_customer_or_404(customer_id)
        flash(str(error), "error")
        return render_page(customer, "users", status=409)
    return _done(customer, "users", f"Removed {name}", focus="users-title")


# -- tags on this customer ---------------------------------------------------------

def _back_tab() -> str:
    tab = request.form.get("tab", "profile")
    return tab if tab in TABS else "profile"


def _render_tags(customer, form, *, status=200, focus="tag-name"):
    """The tag block alone (htmx), or the tab the partner was on (a plain post)."""
    if is_partial():
        page = render_template("customers/_tags.html", customer=customer, tag_form=form,
                               tab=_back_tab(), focus=focus, alerts_oob=True)
        return make_response(page, status)
    if status >= 400:
        return render_page(customer, _back_tab(), status=status, tag_form=form)
    return redirect(_tab_url(customer, _back_tab()), code=303)


@bp.get("/tags/suggestions")
def tag_suggestions(customer_id: int):
    customer = get_customer_or_404(customer_id)
    text = request.args.get("tag-name", "")[:200]
    applied = {tag.id for tag in customer.tags}
    found = tags.suggestions(customer.partner_id, text, exclude=applied)
    exact = tags.find_tag_by_name(customer.partner_id, text) if text.strip() else None
    return render_template("customers/_tag_suggestions.html", customer=customer, text=text.strip(),
                           suggestions=found, exact=exact, applied=applied)


@bp.post("/tags")
def apply_tag(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = ApplyTagForm(prefix="tag")
    raw_id = request.form.get("tag_id", "")
    if raw_id:  # a suggestion, chosen
        if not raw_id.isdigit() or len(raw_id) > 18:
            abort(400)
        tag = tags.find_tag(customer.partner_id, int(raw_id))
        if tag is None:
            abort(404)
        added, created = tags.add_tag_to_customers(tag, [customer.id], staff_id=current_user.id), False
    else:  # a name, typed: Enter creates the tag if the partner has none of that name
        if not form.validate():
            return _render_tags(customer, form, status=422)
        tag, created, added = tags.apply_by_name(customer, form.name.data, staff_id=current_user.id)
    if created:
        flash(f"Created the tag {tag.name} and added it", "success")
    elif added:
        flash(f"Added the tag {tag.name}", "success")
    else:
        flash(f"{customer.company} already has the tag {tag.name}", "info")
    customer = get_customer_or_404(customer_id)
    return _render_tags(customer, ApplyTagForm(formdata=None, prefix="tag"))


@bp.post("/tags/<int:tag_id>/remove")
def remove_tag(customer_id: int, tag_id: int):
    customer = get_customer_or_404(customer_id)
    tag = tags.find_tag(customer.partner_id, tag_id)
    if tag is None:
        abort(404)
    name = tag.name
    tags.remove_tag_from_customers(tag, [customer.id], staff_id=current_user.id)
    flash(f"Removed the tag {name}", "success")
    customer = get_customer_or_404(customer_id)
    return _render_tags(customer, ApplyTagForm(formdata=None, prefix="tag"))
