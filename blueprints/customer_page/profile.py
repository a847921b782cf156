"""The Profile tab: the customer's details, their edit (with its conflict screen), archive and restore."""

from functools import partial

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from blueprints.blur import CheckUrls, answer_check
from blueprints.customer_page.shell import bp, done, register_tab, render_page
from forms import show_error
from forms.checks import form_for_check
from forms.customer_page import ProfileForm
from services import customer_profile, history
from services.customers import DuplicateEIN
from tenancy import get_customer_or_404
from unit_of_work import unit_of_work

register_tab(bp, "profile", "Profile", "", "customers/_profile.html", order=10, titled=False)


def _profile_form(customer, form_class=ProfileForm, **kwargs) -> ProfileForm:
    return form_class(partner_id=customer.partner_id, customer_id=customer.id, **kwargs)


def _check_urls(customer) -> CheckUrls:
    return CheckUrls("customer_page.check_profile_field", customer_id=customer.id)


def _render_edit(customer, form, *, status=200, conflict=None, both_changed=()):
    return render_page(
        customer, "profile", status=status, url=url_for(".edit", customer_id=customer.id),
        panel="customers/_profile_form.html", title="Edit profile", editing_profile=True,
        profile_form=form, conflict=conflict, both_changed=[history.FIELD_LABELS[n] for n in both_changed],
        form_fields=[form[name] for name in form.FIELDS], check_url=_check_urls(customer),
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
        with unit_of_work():
            changes = customer_profile.update_profile(
                customer, form.cleaned(), expected_version=started_from, staff_id=current_user.id
            )
    except customer_profile.StaleProfile as stale:  # saved by someone else at this very moment
        customer = get_customer_or_404(customer_id)
        return _render_conflict(customer, form, started_from, stale.current_version or customer.version)
    except DuplicateEIN as error:
        customer = get_customer_or_404(customer_id)
        show_error(form, error)
        return _render_edit(customer, form, status=422)
    message = "Profile saved" if changes else "Nothing changed"
    return done(customer, "profile", message, "success" if changes else "info", focus="edit-profile")


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
    form_class = form_for_check(ProfileForm, name)  # the fields this check reads and draws
    return answer_check(partial(_profile_form, customer, form_class), name, _check_urls(customer),
                        "_customer_fields.html")


# -- archive ---------------------------------------------------------------------

@bp.get("/archive")
def confirm_archive(customer_id: int):
    """Archive asks first, at its own address (so it works without JavaScript): the page
    with a confirmation under its header that says what archiving does; the POST archives."""
    customer = get_customer_or_404(customer_id)
    if customer.archived:
        return redirect(url_for(".profile", customer_id=customer.id))
    return render_page(customer, "profile", title="Archive", confirming_archive=True)


@bp.post("/archive")
def archive(customer_id: int):
    return _archive_or_restore(customer_id, customer_profile.archive_customer,
                               "{} is archived. It no longer shows in All Customers.")


@bp.post("/restore")
def restore(customer_id: int):
    return _archive_or_restore(customer_id, customer_profile.restore_customer,
                               "{} is restored. It shows in All Customers again.")


@unit_of_work()
def _archive_or_restore(customer_id: int, change, message: str):
    customer = get_customer_or_404(customer_id)
    if change(customer, staff_id=current_user.id):
        flash(message.format(customer.company), "success")
    return redirect(url_for(".profile", customer_id=customer.id), code=303)
