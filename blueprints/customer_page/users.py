"""The Users tab: the customer's users and their portal access; add, edit, remove, invite again."""

from functools import partial

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.blur import CheckUrls, answer_check
from blueprints.customer_page.shell import bp, done, register_tab, render_page
from blueprints.rows import row_action
from extensions import db
from forms import show_error
from forms.customer_page import AddUsersForm, UserEditForm
from forms.rows import focus_id
from models import CustomerUser
from services import customer_users, portal_access
from tenancy import get_customer_or_404
from unit_of_work import unit_of_work


def users_context(customer) -> dict:
    """The tab's states, none by default: a row being edited or removed, new users' rows;
    and every row's portal status, in a fixed number of queries."""
    return {"editing": None, "user_form": None, "removing": None, "add_form": None,
            "portal_statuses": portal_access.user_statuses(customer.users)}


register_tab(bp, "users", "Users", "/users", "customers/_users.html", order=20, context=users_context)


def _user_or_404(customer, user_id: int) -> CustomerUser:
    user = db.session.scalar(
        select(CustomerUser).where(CustomerUser.id == user_id, CustomerUser.customer_id == customer.id)
    )
    if user is None:
        abort(404)
    return user


# -- new users: step 2's rows ---------------------------------------------------

def _add_users_form(customer, **kwargs) -> AddUsersForm:
    return AddUsersForm(customer_id=customer.id, **kwargs)


def _rows_urls(customer) -> dict:
    """Where the rows' buttons and blur checks post, on this page."""
    return {"rows_url": url_for(".add_users", customer_id=customer.id),
            "check_url": CheckUrls("customer_page.check_new_user", customer_id=customer.id)}


def _render_add_users(customer, form, *, status=200, focus_id=None):
    return render_page(
        customer, "users", status=status, url=url_for(".add_users", customer_id=customer.id),
        add_form=form, error_fields=[f for row in form.users for f in row.form], focus_id=focus_id,
        **_rows_urls(customer),
    )


@bp.get("/users/new")
def add_users(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = _add_users_form(customer, formdata=None)  # one blank row (min_entries)
    return _render_add_users(customer, form, focus_id=focus_id(form.users, 0))


@bp.post("/users/new")
def add_users_action(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = _add_users_form(customer)
    action = request.form.get("action", "")
    if action == "save":
        return _save_new_users(customer, form)
    return row_action(
        form.users, action, template="_user_rows.html",
        rebuild=lambda rows: _add_users_form(customer, formdata=None, data={"users": rows}),
        full_page=lambda rows, focus_id: _render_add_users(
            customer, _add_users_form(customer, formdata=None, data={"users": rows}), focus_id=focus_id),
        **_rows_urls(customer),
    )


def _save_new_users(customer, form):
    if not form.validate():
        return _render_add_users(customer, form, status=422)
    try:
        with unit_of_work():
            added = customer_users.add_users(customer, form.cleaned(), staff_id=current_user.id)
    except customer_users.DuplicateEmail as error:
        customer = get_customer_or_404(customer.id)
        form = _add_users_form(customer)
        if form.validate():  # names the email someone added meanwhile
            show_error(form, error)
        return _render_add_users(customer, form, status=422)
    message = f"Added {added[0].name}" if len(added) == 1 else f"Added {len(added)} users"
    return done(customer, "users", message, focus="add-users")


@bp.post("/users/new/check/<int:index>/<name>")
def check_new_user(customer_id: int, index: int, name: str):
    """The blur check of one field of the new users' rows."""
    customer = get_customer_or_404(customer_id)
    return answer_check(partial(_add_users_form, customer), f"users-{index}-{name}",
                        _rows_urls(customer)["check_url"], "_user_fields.html")


# -- one user ---------------------------------------------------------------------

def _user_form(user, **kwargs) -> UserEditForm:
    return UserEditForm(user=user, prefix="user", **kwargs)


def _edit_check_urls(user) -> CheckUrls:
    return CheckUrls("customer_page.check_user", customer_id=user.customer_id, user_id=user.id)


def _render_user_edit(customer, user, form, *, status=200):
    return render_page(
        customer, "users", status=status,
        url=url_for(".edit_user", customer_id=customer.id, user_id=user.id),
        editing=user, user_form=form, check_url=_edit_check_urls(user),
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
        with unit_of_work():
            changes = customer_users.update_user(
                user, name=form.name.data, email=form.email.data, staff_id=current_user.id
            )
    except customer_users.DuplicateEmail as error:
        customer = get_customer_or_404(customer_id)
        user = _user_or_404(customer, user_id)
        form = _user_form(user)
        if form.validate():  # names the email someone saved meanwhile
            show_error(form, error)
        return _render_user_edit(customer, user, form, status=422)
    message = f"Saved {user.name}" if changes else "Nothing changed"
    return done(customer, "users", message, "success" if changes else "info", focus=f"edit-user-{user.id}")


@bp.post("/users/<int:user_id>/edit/check/<name>")
def check_user(customer_id: int, user_id: int, name: str):
    """The blur check of a user's name or email being edited."""
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    return answer_check(partial(_user_form, user), name, _edit_check_urls(user), "_user_fields.html")


@bp.post("/users/<int:user_id>/invite")
@unit_of_work()
def resend_invitation(customer_id: int, user_id: int):
    customer = get_customer_or_404(customer_id)
    user = _user_or_404(customer, user_id)
    portal_access.resend_invitation(user)
    return done(customer, "users", f"Invitation sent again to {user.email}. The earlier link no longer works.")


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
        with unit_of_work():
            customer_users.remove_user(user, staff_id=current_user.id)
    except customer_users.LastUser as error:
        customer = get_customer_or_404(customer_id)
        flash(error.message, "error")
        return render_page(customer, "users", status=error.status)
    return done(customer, "users", f"Removed {name}", focus="users-title")
