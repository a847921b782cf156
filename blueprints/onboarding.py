"""Add customer: step 1 (details), step 2 (users), then Create Customer.

The draft lives in the server-side session until Create Customer commits it.
It is written at Continue and at each step-2 action, never by a blur check.
"""

import re
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from blueprints.guards import require_staff
from forms.customer import MAX_USERS, CustomerUsersForm, NewCustomerDetailsForm, change_rows
from services.customers import DuplicateEIN, committed_customer, create_customer
from web import is_partial

bp = Blueprint("onboarding", __name__, url_prefix="/customers/new")
require_staff(bp)

DRAFT = "customer_draft"
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
STEP1_NAMES = {"csrf_token", "draft_token", "action", *NewCustomerDetailsForm.FIELDS}
USER_NAME_RE = re.compile(r"users-(\d{1,3})-(name|email)")
STALE = "That page was out of date: you have a newer draft of this customer. Here it is."


# -- the draft ---------------------------------------------------------------

def _draft() -> dict | None:
    return session.get(DRAFT)


def _save_draft(draft: dict) -> None:
    session[DRAFT] = draft  # assigning marks the session modified


def _discard_draft() -> None:
    session.pop(DRAFT, None)


def _new_token() -> str:
    return secrets.token_hex(16)


def _posted_token() -> str:
    token = request.form.get("draft_token", "")
    if not TOKEN_RE.fullmatch(token):
        abort(400)
    return token


def _refuse_repeated_or_foreign_fields(allowed) -> None:
    """A field sent twice, or one that belongs to the other step, is a bad request."""
    for name in request.form:
        if not allowed(name) or len(request.form.getlist(name)) > 1:
            abort(400)


def _users_step_field(name: str) -> bool:
    match = USER_NAME_RE.fullmatch(name)
    if match:
        return int(match.group(1)) < MAX_USERS
    return name in ("csrf_token", "draft_token", "action")


def _details_form(**kwargs) -> NewCustomerDetailsForm:
    return NewCustomerDetailsForm(partner_id=current_user.partner_id, **kwargs)


def _render_details(form, status=200):
    fields = [form[name] for name in form.FIELDS]
    return render_template("onboarding/details.html", form=form, form_fields=fields), status


def _render_users(form, details, status=200, focus_id=None):
    error_fields = [f for row in form.users for f in (row.form.name, row.form.email)]
    return render_template(
        "onboarding/users.html", form=form, details=details,
        error_fields=error_fields, focus_id=focus_id,
    ), status


# -- step 1 ------------------------------------------------------------------

@bp.get("")
def details():
    draft = _draft()
    if draft:
        form = _details_form(formdata=None, data={**(draft.get("details") or {}), "draft_token": draft["token"]})
    else:
        # A token for the form only: the draft is written at Continue.
        form = _details_form(formdata=None, data={"draft_token": _new_token()})
    return _render_details(form)


@bp.post("")
def continue_():
    _refuse_repeated_or_foreign_fields(STEP1_NAMES.__contains__)
    token = _posted_token()
    action = request.form.get("action", "continue")
    draft = _draft()
    if action == "cancel":
        return _cancel(draft, token)
    if action != "continue":
        abort(400)
    if draft and draft["token"] != token:
        flash(STALE, "warning")
        return redirect(url_for(".details"), code=303)
    if not draft:
        done = committed_customer(current_user.partner_id, token)
        if done is not None:
            flash(f"{done.company} was already created.", "info")
            return redirect(url_for("customer_page.profile", customer_id=done.id), code=303)
    form = _details_form()
    if not form.validate():
        return _render_details(form, 422)
    _save_draft({"token": token, "details": form.cleaned(), "users": (draft or {}).get("users", [])})
    return redirect(url_for(".users"), code=303)


# A blur check of these also refreshes the rows that depend on them
# (options, label and hint) and re-judges them when the partner filled them in.
DEPENDENTS = {"country": ("state", "postal_code"), "state": ("postal_code",)}


def _typed(field) -> bool:
    return bool((field.raw_data or [""])[0].strip())


@bp.post("/check/<name>")
def check_detail(name: str):
    """The blur check of one step-1 field. Reads the session, never writes it."""
    if name not in NewCustomerDetailsForm.FIELDS:
        abort(404)
    form = _details_form()
    form.check_field(name)
    also = DEPENDENTS.get(name, ())
    for other in also:
        if _typed(form[other]):
            form.check_field(other)
    return render_template(
        "onboarding/_details_check.html", form=form, name=name, also=also,
        check_base=url_for(".details") + "/check",
    )


# -- step 2 ------------------------------------------------------------------

def _valid_draft_or_none():
    draft = _draft()
    if not draft or not draft.get("details"):
        return None
    return draft


@bp.get("/users")
def users():
    draft = _valid_draft_or_none()
    if draft is None:
        flash("Start with the customer's details.", "info")
        return redirect(url_for(".details"))
    rows = draft.get("users") or [{"name": "", "email": ""}]
    form = CustomerUsersForm(formdata=None, data={"users": rows, "draft_token": draft["token"]})
    return _render_users(form, draft["details"])


@bp.post("/users")
def users_action():
    _refuse_repeated_or_foreign_fields(_users_step_field)
    token = _posted_token()
    action = request.form.get("action", "")
    draft = _draft()
    if action == "cancel":
        return _cancel(draft, token)
    if draft is None or draft["token"] != token:
        done = committed_customer(current_user.partner_id, token)
        if done is not None and action == "create":
            flash("Customer created", "success")
            return redirect(url_for("customer_page.profile", customer_id=done.id), code=303)
        if draft is None:
            flash("Start with the customer's details.", "info")
            return redirect(url_for(".details"), code=303)
        flash(STALE, "warning")
        return redirect(url_for(".users" if draft.get("details") else ".details"), code=303)
    if not draft.get("details"):
        return redirect(url_for(".details"), code=303)

    form = CustomerUsersForm()
    rows = _posted_rows(form)
    if action == "create":
        return _create(draft, form, rows)
    if action == "back":
        _save_draft({**draft, "users": rows})
        return redirect(url_for(".details"), code=303)
    changed = change_rows(rows, action)
    if changed is None:
        abort(400)
    rows, focus_id = changed
    _save_draft({**draft, "users": rows})
    if is_partial():
        form = CustomerUsersForm(formdata=None, data={"users": rows, "draft_token": token})
        return render_template("onboarding/_user_rows.html", form=form, focus_id=focus_id)
    return redirect(url_for(".users", _anchor=focus_id), code=303)


@bp.post("/users/check/<int:index>/<name>")
def check_user(index: int, name: str):
    """The blur check of one user field. Reads the session, never writes it."""
    if name not in ("name", "email") or index >= MAX_USERS:
        abort(404)
    form = CustomerUsersForm()
    if index >= len(form.users.entries):
        abort(404)
    form.validate()
    field = form.users.entries[index].form[name]
    return render_template("onboarding/_user_check.html", field=field, index=index, name=name)


def _posted_rows(form: CustomerUsersForm) -> list[dict]:
    """The rows as typed (trimmed), kept in the draft even when not yet valid."""
    return [
        {"name": (row.form.name.data or "").strip(), "email": (row.form.email.data or "").strip()}
        for row in form.users.entries
    ]


def _land_on(customer):
    _discard_draft()
    flash("Customer created", "success")
    return redirect(url_for("customer_page.profile", customer_id=customer.id), code=303)


def _create(draft: dict, users_form: CustomerUsersForm, rows: list[dict]):
    partner_id = current_user.partner_id
    done = committed_customer(partner_id, draft["token"])
    if done is not None:  # a double click, or the same draft in two tabs
        return _land_on(done)
    # The draft may be stale (another tab, an EIN taken meanwhile): judge it again.
    details_form = _details_form(formdata=None, data=draft["details"], meta={"csrf": False})
    details_ok = details_form.validate()
    users_ok = users_form.validate()
    if not (details_ok and users_ok):
        done = committed_customer(partner_id, draft["token"])
        if done is not None:  # committed by a twin request while we judged
            return _land_on(done)
    _save_draft({**draft, "users": rows})
    if not details_ok:
        flash("Check the customer details: something changed since you entered them.", "warning")
        details_form.draft_token.data = draft["token"]
        return _render_details(details_form, 422)
    if not users_ok:
        return _render_users(users_form, draft["details"], 422)
    try:
        customer, _created = create_customer(
            partner_id=partner_id, staff_id=current_user.id,
            details=details_form.cleaned(), users=users_form.cleaned(), draft_token=draft["token"],
        )
    except DuplicateEIN:
        details_form.ein.errors = ["Another customer took this EIN a moment ago"]
        details_form.draft_token.data = draft["token"]
        return _render_details(details_form, 422)
    return _land_on(customer)


def _cancel(draft: dict | None, token: str):
    if draft and draft["token"] == token:
        _discard_draft()
    flash("The new customer was not saved.", "info")
    return redirect(url_for("customers.index"), code=303)
