"""Automation's pages: the reminder schedule (/settings/reminders), invoice summaries
(/settings/summaries) and the customer page's Reminders tab (per open invoice: the reminders
sent and the next one due; the customer's switches for reminders and summaries)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from blueprints.blur import CheckUrls, answer_check
from blueprints.customer_page.shell import register_tab
from blueprints.customer_picker import pick_from, read_pick
from blueprints.guards import require_staff
from extensions import db
from forms.reminders import AutoPayRuleForm, ReminderScheduleForm, SummaryScheduleForm
from models import Customer, Invoice, Tag, customer_tags, reminders_off_tags
from request_input import int_or_400
from services import auto_pay, reminders, summaries
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
            "partner_zone": partner.time_zone, "summaries_on": summaries.schedule(customer.partner_id) is not None,
            "summary_left_out": summaries.is_left_out(customer)}


register_tab(bp, "reminders", "Reminders", "/customers/<int:customer_id>/reminders", "automation/_tab.html",
             order=35, context=_tab_context)


# Each of a customer's switches: the form field naming it, what it changes, and what it says.
SWITCHES = {
    "reminders": (lambda customer, on: reminders.turn_customer(customer, on=on), "Reminders", ".schedule"),
    "summaries": (lambda customer, on: summaries.leave_out(customer, left_out=not on), "Invoice summaries",
                  ".summary_settings"),
}


@bp.post("/customers/<int:customer_id>/reminders/switch")
def switch(customer_id: int):
    customer = get_customer_or_404(customer_id)
    kind = "summaries" if "summaries" in request.form else "reminders"
    turn, label, settings_page = SWITCHES[kind]
    on = request.form.get(kind) == "on"
    with unit_of_work():
        turn(customer, on)
    flash(f"{label} {'on' if on else 'off'} for {customer.company}", "success")
    back = url_for(settings_page) if request.form.get("from") == "settings" else url_for(".reminders",
                                                                                        customer_id=customer.id)
    return redirect(back, code=303)


# -- invoice summaries -----------------------------------------------------------------------


@bp.route("/settings/summaries", methods=["GET", "POST"])
def summary_settings():
    partner_id = current_partner_id()
    if request.method == "GET":
        current = summaries.schedule(partner_id)
        data = ({"enabled": current.enabled, "period": current.period, "start_date": current.start_date.isoformat()}
                if current else {"enabled": False, "period": "monthly", "start_date": ""})
        return _render_summaries(SummaryScheduleForm(formdata=None, data=data), partner_id)
    form = SummaryScheduleForm()
    if not form.validate():
        return _render_summaries(form, partner_id, 422)
    with unit_of_work():
        summaries.save(partner_id, summaries.SummaryValues(form.enabled.data, form.period.data, form.start_date.data))
    flash("Invoice summaries saved", "success")
    return redirect(url_for(".summary_settings"), code=303)


def _render_summaries(form: SummaryScheduleForm, partner_id: int, status: int = 200):
    return render_template("automation/summaries.html", form=form, form_fields=[form.period, form.start_date],
                           left_out=summaries.left_out(partner_id)), status


# -- auto-pay --------------------------------------------------------------------------------


AUTO_PAY_CHECK = CheckUrls("automation_settings.auto_pay_check")
AUTO_PAY_CHECKED = ("offset_days", "max_retries")  # checked on blur; the choices are radios and a picker


def _auto_pay_form(partner_id: int, **kwargs) -> AutoPayRuleForm:
    return AutoPayRuleForm(partner_id=partner_id, tags=_tag_choices(partner_id), **kwargs)


def _rule_data(rule) -> dict:
    return {"scope": rule.scope, "customer_id": rule.customer_id, "tag_id": rule.tag_id,
            "offset_days": str(rule.offset_days), "max_retries": str(rule.max_retries)}


def _rule_values(form: AutoPayRuleForm) -> auto_pay.RuleValues:
    return auto_pay.RuleValues(form.scope.data, form.customer_id.data, form.tag_id.data, form.offset_days.data,
                               form.max_retries.data)


def _render_rule_form(template: str, form: AutoPayRuleForm, partner_id: int, status: int = 200, pick=None,
                      **context):
    """A page with the rule form (Add on the list, or Edit); the picker shows what was posted, by default."""
    pick = pick or pick_from("auto-pay", partner_id, request.form)
    return render_template(template, form=form, pick=pick, check_url=AUTO_PAY_CHECK,
                           form_fields=[form.scope, form.customer_id, form.tag_id, form.offset_days,
                                        form.max_retries], **context), status


def _render_auto_pay(form: AutoPayRuleForm, partner_id: int, status: int = 200):
    partner = current_partner()
    now = datetime.now(UTC).replace(tzinfo=None)
    window = timedelta(days=current_app.config["AUTOMATION_WINDOW_DAYS"])
    rules = [(rule, *auto_pay.preview(partner, rule, now, window)) for rule in auto_pay.rules(partner_id)]
    return _render_rule_form("automation/auto_pay.html", form, partner_id, status, rules=rules,
                             customers=_companies(partner_id, [rule for rule, _charge, _out in rules]),
                             tags=dict(form.tags))


def _companies(partner_id: int, rules) -> dict[int, str]:
    """The names of the customers the rules are for, by id (a rule's heading)."""
    named = {rule.customer_id for rule in rules if rule.customer_id}
    return {row.id: row.company for row in db.session.execute(
        scoped(Customer, partner_id, Customer.id, Customer.company).where(Customer.id.in_(named)))} if named else {}


@bp.route("/settings/auto-pay", methods=["GET", "POST"])
def auto_pay_settings():
    partner_id = current_partner_id()
    if request.method == "GET":
        return _render_auto_pay(_auto_pay_form(partner_id, formdata=None, data={"scope": "all"}), partner_id)
    form = _auto_pay_form(partner_id)
    if not form.validate():
        return _render_auto_pay(form, partner_id, 422)
    with unit_of_work():
        auto_pay.add_rule(partner_id, _rule_values(form))
    flash("Auto-pay rule added: check the invoices it would charge below", "success")
    return redirect(url_for(".auto_pay_settings"), code=303)


def _render_edit(rule, form: AutoPayRuleForm, status: int = 200, pick=None):
    return _render_rule_form("automation/auto_pay_edit.html", form, rule.partner_id, status, pick, rule=rule,
                             customers=_companies(rule.partner_id, [rule]), tags=dict(form.tags))


@bp.route("/settings/auto-pay/<int:rule_id>/edit", methods=["GET", "POST"])
def auto_pay_edit(rule_id: int):
    """Change a rule in place: its exclusions and its attempts stay (services.auto_pay.update_rule)."""
    rule = _rule_or_404(rule_id)
    if request.method == "GET":
        form = _auto_pay_form(rule.partner_id, formdata=None, data=_rule_data(rule))
        return _render_edit(rule, form, pick=read_pick("auto-pay", rule.partner_id, rule.customer_id))
    form = _auto_pay_form(rule.partner_id)
    if not form.validate():
        return _render_edit(rule, form, 422)
    with unit_of_work():
        auto_pay.update_rule(rule, _rule_values(form))
    flash("Auto-pay rule saved: check the invoices it would charge below", "success")
    return redirect(url_for(".auto_pay_settings"), code=303)


@bp.post("/settings/auto-pay/check/<name>")
def auto_pay_check(name: str):
    if name not in AUTO_PAY_CHECKED:
        abort(404)
    partner_id = current_partner_id()
    return answer_check(lambda **kwargs: _auto_pay_form(partner_id, **kwargs), name, AUTO_PAY_CHECK,
                        "automation/_auto_pay_fields.html")


def _rule_or_404(rule_id: int):
    rule = auto_pay.get_rule(current_partner_id(), rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.post("/settings/auto-pay/<int:rule_id>/exclusions")
def auto_pay_exclusion(rule_id: int):
    rule = _rule_or_404(rule_id)
    invoice = db.session.scalar(scoped(Invoice, rule.partner_id).where(
        Invoice.id == int_or_400(request.form.get("invoice_id"))))
    if invoice is None:
        abort(404)
    excluded = request.form.get("exclude") == "on"
    with unit_of_work():
        auto_pay.set_excluded(rule, invoice, excluded=excluded)
    flash(f"{invoice.number} {'left out of' if excluded else 'back in'} the rule", "success")
    return redirect(url_for(".auto_pay_settings"), code=303)


@bp.post("/settings/auto-pay/<int:rule_id>/delete")
def auto_pay_delete(rule_id: int):
    rule = _rule_or_404(rule_id)
    with unit_of_work():
        auto_pay.remove_rule(rule)
    flash("Auto-pay rule removed", "success")
    return redirect(url_for(".auto_pay_settings"), code=303)
