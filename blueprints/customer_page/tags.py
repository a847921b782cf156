"""The customer's tags, on every tab: apply one (a suggestion, or a name typed), remove one.

htmx swaps the tag block alone (it sits beside forms being typed in); a plain post comes
back to the tab the partner was on.
"""

from flask import abort, flash, make_response, redirect, render_template, request
from flask_login import current_user

from blueprints.customer_page.shell import bp, posted_tab, render_page, tab_url
from forms.tags import ApplyTagForm
from request_input import int_or_400
from services import tags
from tenancy import get_customer_or_404
from unit_of_work import unit_of_work
from web import is_partial


def _render_tags(customer, form, *, status=200, focus="tag-name"):
    """The tag block alone (htmx), or the tab the partner was on (a plain post).
    focus: the field (its disclosure open, to add another) or "+ Tag" (after a removal)."""
    if is_partial():
        page = render_template("customers/_tags.html", customer=customer, tag_form=form,
                               tab=posted_tab(), focus=focus, alerts_oob=True)
        return make_response(page, status)
    if status >= 400:
        return render_page(customer, posted_tab(), status=status, tag_form=form)
    return redirect(tab_url(customer, posted_tab()), code=303)


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
@unit_of_work()
def apply_tag(customer_id: int):
    customer = get_customer_or_404(customer_id)
    form = ApplyTagForm(prefix="tag")
    raw_id = request.form.get("tag_id", "")
    if raw_id:  # a suggestion, chosen
        tag = tags.find_tag(customer.partner_id, int_or_400(raw_id, low=1))
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
@unit_of_work()
def remove_tag(customer_id: int, tag_id: int):
    customer = get_customer_or_404(customer_id)
    tag = tags.find_tag(customer.partner_id, tag_id)
    if tag is None:
        abort(404)
    name = tag.name
    tags.remove_tag_from_customers(tag, [customer.id], staff_id=current_user.id)
    flash(f"Removed the tag {name}", "success")
    customer = get_customer_or_404(customer_id)
    return _render_tags(customer, ApplyTagForm(formdata=None, prefix="tag"), focus="add-tag")
