"""Automation's pages: the reminder schedule (/settings/reminders) and the customer page's
Reminders tab (per open invoice: the reminders sent and the next one due; the customer's
on/off switch)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for

from blueprints.customer_page.shell import register_tab
from blueprints.guards import require_staff
from extensions import db
from forms.reminders import ReminderScheduleForm
from models import Tag, customer_tags, reminders_off_tags
from services import reminders
from tenancy import current_partner, current_partner_id, get_customer_or_404, scoped
from unit_of_work import unit_of_work

bp = Blueprint("automation_settings", __name__)
require_staff(bp)


def _tag_choices(partner_id: int) -> list[tuple[int, str]]:
    return [(tag.id, tag.name) for tag in db.session.scalars(scoped(Tag, partner_id).order_by(Tag.name_key))]


def _render_schedule(form: ReminderScheduleForm, partner_id: int, status: int = 200):
    fields = [field for entry in form.steps.entries for field in entry.form] + [form.off_tags]
    return render_template("automation/reminders.html", form=form, form_fields=fields,
                           customers_off=reminders.customers_off(partner_id),
                           variables=reminders.VARIABLES), status


@bp.route("/settings/reminders", methods=["GET", "POST"])
def schedule():
    partner_id = current_partner_id()
    if request.method == "GET":
        steps = reminders.schedule(partner_id)
        data = {"steps": [{"enabled": step.enabled, "offset_days": str(step.offset_days),
                           "subject_template": step.subject_template, "body_template": step.body_template}
                          for step in steps],
                "off_tags": sorted(reminders.off_tag_ids(partner_id))}
        form = ReminderScheduleForm(formdata=None, data=data)
        form.off_tags.choices = _tag_choices(partner_id)
        return _render_schedule(form, partner_id)
    form = ReminderScheduleForm()
    form.off_tags.choices = _tag_choices(partner_id)
    if not form.validate():
        return _render_schedule(form, partner_id, 422)
    with unit_of_work():
        reminders.update_steps(partner_id, form.values())
        reminders.set_off_tags(partner_id, set(form.off_tags.data or ()))
    flash("Reminder schedule saved", "success")
    return redirect(url_for(".schedule"), code=303)


# -- the customer page's Reminders tab -------------------------------------------------------


def _tab_context(customer) -> dict:
    partner = current_partner()
    zone = ZoneInfo(partner.time_zone)
    tagged_off = list(db.session.scalars(
        scoped(Tag, customer.partner_id, Tag.name)
        .join(customer_tags, (customer_tags.c.tag_id == Tag.id) & (customer_tags.c.customer_id == customer.id))
        .join(reminders_off_tags, reminders_off_tags.c.tag_id == Tag.id).order_by(Tag.name_key)))
    rows = reminders.for_customer(customer, zone, datetime.now(UTC).replace(tzinfo=None))
    return {"reminder_rows": rows, "reminders_off": reminders.is_off_for(customer), "tagged_off": tagged_off,
            "partner_zone": partner.time_zone}


register_tab(bp, "reminders", "Reminders", "/customers/<int:customer_id>/reminders", "automation/_tab.html",
             order=35, context=_tab_context)


@bp.post("/customers/<int:customer_id>/reminders/switch")
def switch(customer_id: int):
    customer = get_customer_or_404(customer_id)
    on = request.form.get("reminders") == "on"
    with unit_of_work():
        reminders.turn_customer(customer, on=on)
    flash(f"Reminders {'on' if on else 'off'} for {customer.company}", "success")
    back = url_for(".schedule") if request.form.get("from") == "settings" else url_for(".reminders",
                                                                                      customer_id=customer.id)
    return redirect(back, code=303)
