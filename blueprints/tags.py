"""Tags: the partner's list, create, edit, delete, the tag log, and bulk tagging from All Customers."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func

from blueprints.guards import require_staff
from extensions import db
from forms import show_error
from forms.tags import TagForm
from models import Customer
from request_input import int_or_400, int_value, safe_next
from services import history, tags
from tenancy import current_partner_id, customers
from unit_of_work import unit_of_work

bp = Blueprint("tags", __name__, url_prefix="/tags")
require_staff(bp)

MAX_BULK = 1000  # far more than a page of All Customers


def _tag_or_404(tag_id: int):
    tag = tags.find_tag(current_partner_id(), tag_id)
    if tag is None:
        abort(404)
    return tag


def _render_form(form, tag=None, status=200):
    fields = [form.name, form.color, form.description]
    return render_template("tags/form.html", form=form, tag=tag, form_fields=fields), status


@bp.get("")
def index():
    partner_tags = tags.partner_tags(current_partner_id())
    counts = tags.customer_counts(current_partner_id())
    return render_template("tags/index.html", tags=partner_tags, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = TagForm(partner_id=current_partner_id())
    if request.method != "POST" or not form.validate():  # GET and HEAD only show the form
        return _render_form(form, status=422 if request.method == "POST" else 200)
    try:
        with unit_of_work():
            tag = tags.create_tag(
                current_partner_id(), staff_id=current_user.id, name=form.name.data, color=form.color.data,
                description=form.description.data,
            )
    except tags.TagNameTaken as error:
        form = TagForm(partner_id=current_partner_id())
        if form.validate():  # names the tag someone made meanwhile
            show_error(form, error)
        return _render_form(form, status=422)
    flash(f"Created the tag {tag.name}", "success")
    return redirect(url_for(".index"), code=303)


@bp.route("/<int:tag_id>/edit", methods=["GET", "POST"])
def edit(tag_id: int):
    tag = _tag_or_404(tag_id)
    if request.method != "POST":  # GET and HEAD only show the form
        return _render_form(TagForm(partner_id=current_partner_id(), tag_id=tag.id, formdata=None, obj=tag), tag)
    form = TagForm(partner_id=current_partner_id(), tag_id=tag.id)
    if not form.validate():
        return _render_form(form, tag, status=422)
    try:
        with unit_of_work():
            changes = tags.update_tag(
                tag, staff_id=current_user.id, name=form.name.data, color=form.color.data,
                description=form.description.data,
            )
    except tags.TagNameTaken as error:
        form = TagForm(partner_id=current_partner_id(), tag_id=tag_id)
        if form.validate():  # names the tag someone made meanwhile
            show_error(form, error)
        return _render_form(form, _tag_or_404(tag_id), status=422)
    flash(f"Saved the tag {form.name.data}" if changes else "Nothing changed", "success" if changes else "info")
    return redirect(url_for(".index"), code=303)


@bp.route("/<int:tag_id>/delete", methods=["GET", "POST"])
def delete(tag_id: int):
    tag = _tag_or_404(tag_id)
    if request.method != "POST":  # GET and HEAD only ask: a HEAD once deleted the tag, unchecked
        active, archived = tags.customer_counts(current_partner_id(), [tag.id]).get(tag.id, (0, 0))
        return render_template("tags/delete.html", tag=tag, active=active, archived=archived)
    name = tag.name
    with unit_of_work():
        lost = tags.delete_tag(tag, staff_id=current_user.id)
    customers = "1 customer" if lost == 1 else f"{lost} customers"
    flash(f"Deleted the tag {name}. {customers} lost it.", "success")
    return redirect(url_for(".index"), code=303)


@bp.get("/history")
def log():
    before = int_value(request.args.get("before"), low=1)
    entries, more = history.tag_log(current_partner_id(), before_id=before)
    return render_template("tags/history.html", entries=entries, more=more, older_than=before)


# -- bulk, from All Customers ------------------------------------------------------

def _back_to_list() -> str:
    """Where the partner was: a same-site All Customers address (its filters and page)."""
    target = safe_next(request.form.get("next"), url_for("customers.index"))
    return target if urlsplit(target).path == url_for("customers.index") else url_for("customers.index")


def _ids(values: list[str]) -> list[int]:
    if len(values) > MAX_BULK:
        abort(400)
    return sorted({int_or_400(v, low=1) for v in values})


@bp.post("/bulk")
def bulk():
    """Add a tag to, or remove it from, the customers ticked in All Customers."""
    action = request.form.get("action", "")
    if action not in ("add", "remove"):
        abort(400)
    customer_ids = _ids(request.form.getlist("customer_id"))
    raw_tag = request.form.get("tag_id", "")
    if not customer_ids:
        flash("Select at least one customer first", "warning")
        return redirect(_back_to_list(), code=303)
    if not raw_tag:
        flash("Choose the tag to add or remove", "warning")
        return redirect(_back_to_list(), code=303)
    tag = _tag_or_404(_ids([raw_tag])[0])
    # Every id must be one of the partner's customers: a forged one fails the whole request.
    found = db.session.scalar(
        customers(current_partner_id()).with_only_columns(func.count(Customer.id))
        .where(Customer.id.in_(customer_ids))
    )
    if found != len(customer_ids):
        abort(404)
    name = tag.name
    try:
        with unit_of_work():
            if action == "add":
                changed = tags.add_tag_to_customers(tag, customer_ids, staff_id=current_user.id)
            else:
                changed = tags.remove_tag_from_customers(tag, customer_ids, staff_id=current_user.id)
    except tags.TagGone:  # deleted while this request waited for it
        flash(f"The tag {name} was deleted a moment ago: nothing changed", "warning")
        return redirect(_back_to_list(), code=303)
    if action == "add":
        message = f"Added the tag {name} to {_customers(changed)}"
    else:
        message = f"Removed the tag {name} from {_customers(changed)}"
    unchanged = len(customer_ids) - changed
    if unchanged:
        message += f" ({_customers(unchanged)} already {'had' if action == 'add' else 'did not have'} it)"
    flash(message, "success")
    return redirect(_back_to_list(), code=303)


def _customers(count: int) -> str:
    return "1 customer" if count == 1 else f"{count} customers"
