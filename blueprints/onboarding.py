"""Add customer: step 1 (details), step 2 (users), then Create Customer.

The draft is kept (services/drafts.py: a row the session names) until Create Customer
commits it. It is written at Continue and at each step-2 action, never by a blur check.
"""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.blur import CheckUrls, answer_check
from blueprints.guards import require_staff
from blueprints.rows import row_action
from forms import show_error
from forms.checks import form_for_check
from forms.customer import MAX_USERS, CustomerUsersForm, NewCustomerDetailsForm
from forms.rows import posted_rows
from request_input import int_value
from services.customers import DraftAlreadyCreated, DuplicateEIN, committed_customer, create_customer
from services.drafts import CustomerDraft
from unit_of_work import unit_of_work

bp = Blueprint("onboarding", __name__, url_prefix="/customers/new")
require_staff(bp)

STEP1_NAMES = {"csrf_token", "draft_token", "action", *NewCustomerDetailsForm.FIELDS}
USER_NAME_RE = re.compile(r"users-([0-9]{1,3})-(name|email)")  # ASCII digits: \d takes "١٢" too
STALE = "That page was out of date: you have a newer draft of this customer. Here it is."
DETAILS_CHECK = CheckUrls("onboarding.check_detail")
USERS_CHECK = CheckUrls("onboarding.check_user")


def _posted_token() -> str:
    token = request.form.get("draft_token", "")
    if not CustomerDraft.valid_token(token):
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
        return int_value(match.group(1), high=MAX_USERS - 1) is not None
    return name in ("csrf_token", "draft_token", "action")


def _owner() -> tuple[int, int]:
    """Whose drafts: the signed-in staff user's, at its partner."""
    return current_user.partner_id, current_user.id


def _details_form(**kwargs) -> NewCustomerDetailsForm:
    return NewCustomerDetailsForm(partner_id=current_user.partner_id, **kwargs)


def _render_details(form, status=200):
    fields = [form[name] for name in form.FIELDS]
    return render_template("onboarding/details.html", form=form, form_fields=fields,
                           check_url=DETAILS_CHECK), status


def _render_users(form, details, status=200, focus_id=None):
    error_fields = [f for row in form.users for f in row.form]
    return render_template(
        "onboarding/users.html", form=form, details=details, error_fields=error_fields,
        focus_id=focus_id, rows_url=url_for(".users"), check_url=USERS_CHECK,
    ), status


# -- step 1 ------------------------------------------------------------------

@bp.get("")
def details():
    draft = CustomerDraft.load(*_owner())
    if draft:
        form = _details_form(formdata=None, data={**(draft.details or {}), "draft_token": draft.token})
    else:
        # A token for the form only: the draft is written at Continue.
        form = _details_form(formdata=None, data={"draft_token": CustomerDraft.new_token()})
    return _render_details(form)


@bp.post("")
def continue_():
    _refuse_repeated_or_foreign_fields(STEP1_NAMES.__contains__)
    token = _posted_token()
    action = request.form.get("action", "continue")
    draft = CustomerDraft.load(*_owner())
    if action == "cancel":
        return _cancel(draft, token)
    if action != "continue":
        abort(400)
    if draft and draft.is_stale(token):
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
    CustomerDraft(*_owner(), token, form.cleaned(), draft.users if draft else []).save()
    return redirect(url_for(".users"), code=303)


@bp.post("/check/<name>")
def check_detail(name: str):
    """The blur check of one step-1 field. Reads the session, never writes it."""
    if name not in NewCustomerDetailsForm.FIELDS:
        abort(404)
    form_class = form_for_check(NewCustomerDetailsForm, name)  # the fields this check reads and draws
    return answer_check(lambda **kwargs: form_class(partner_id=current_user.partner_id, **kwargs), name,
                        DETAILS_CHECK, "_customer_fields.html")


# -- step 2 ------------------------------------------------------------------

@bp.get("/users")
def users():
    draft = CustomerDraft.load(*_owner())
    if draft is None or not draft.details:
        flash("Start with the customer's details.", "info")
        return redirect(url_for(".details"))
    form = CustomerUsersForm(formdata=None, data={"users": draft.users, "draft_token": draft.token})
    return _render_users(form, draft.details)


@bp.post("/users")
def users_action():
    _refuse_repeated_or_foreign_fields(_users_step_field)
    token = _posted_token()
    action = request.form.get("action", "")
    draft = CustomerDraft.load(*_owner())
    if action == "cancel":
        return _cancel(draft, token)
    if draft is None or draft.is_stale(token):
        done = committed_customer(current_user.partner_id, token)
        if done is not None and action == "create":
            flash("Customer created", "success")
            return redirect(url_for("customer_page.profile", customer_id=done.id), code=303)
        if draft is None:
            flash("Start with the customer's details.", "info")
            return redirect(url_for(".details"), code=303)
        flash(STALE, "warning")
        return redirect(url_for(".users" if draft.details else ".details"), code=303)
    if not draft.details:
        return redirect(url_for(".details"), code=303)

    form = CustomerUsersForm()
    if action == "create":
        return _create(draft, form, posted_rows(form.users))
    if action == "back":
        draft.with_(users=posted_rows(form.users)).save()
        return redirect(url_for(".details"), code=303)
    return row_action(
        form.users, action, template="_user_rows.html",
        keep=lambda rows: draft.with_(users=rows).save(),
        rebuild=lambda rows: CustomerUsersForm(formdata=None, data={"users": rows, "draft_token": token}),
        full_page=lambda _rows, focus_id: redirect(url_for(".users", _anchor=focus_id), code=303),
        rows_url=url_for(".users"), check_url=USERS_CHECK,
    )


@bp.post("/users/check/<int:index>/<name>")
def check_user(index: int, name: str):
    """The blur check of one user field. Reads the session, never writes it."""
    return answer_check(CustomerUsersForm, f"users-{index}-{name}", USERS_CHECK, "_user_fields.html")


def _land_on(draft: CustomerDraft, customer):
    draft.discard()
    flash("Customer created", "success")
    return redirect(url_for("customer_page.profile", customer_id=customer.id), code=303)


def _create(draft: CustomerDraft, users_form: CustomerUsersForm, rows: list[dict]):
    partner_id = current_user.partner_id
    done = committed_customer(partner_id, draft.token)
    if done is not None:  # a double click, or the same draft in two tabs
        return _land_on(draft, done)
    # The draft may be stale (another tab, an EIN taken meanwhile): judge it again.
    details_form = _details_form(formdata=None, data=draft.details, meta={"csrf": False})
    details_ok = details_form.validate()
    users_ok = users_form.validate()
    if not (details_ok and users_ok):
        done = committed_customer(partner_id, draft.token)
        if done is not None:  # committed by a twin request while we judged
            return _land_on(draft, done)
    draft.with_(users=rows).save()
    if not details_ok:
        flash("Check the customer details: something changed since you entered them.", "warning")
        details_form.draft_token.data = draft.token
        return _render_details(details_form, 422)
    if not users_ok:
        return _render_users(users_form, draft.details, 422)
    try:
        with unit_of_work():
            customer = create_customer(
                partner_id=partner_id, staff_id=current_user.id,
                details=details_form.cleaned(), users=users_form.cleaned(), draft_token=draft.token,
            )
    except (DraftAlreadyCreated, DuplicateEIN) as error:
        done = committed_customer(partner_id, draft.token)
        if done is not None:  # a twin request committed this draft first
            return _land_on(draft, done)
        if not isinstance(error, DuplicateEIN):
            raise
        show_error(details_form, error)
        details_form.draft_token.data = draft.token
        return _render_details(details_form, 422)
    return _land_on(draft, customer)


def _cancel(draft: CustomerDraft | None, token: str):
    if draft and not draft.is_stale(token):
        draft.discard()
    flash("The new customer was not saved.", "info")
    return redirect(url_for("customers.index"), code=303)
