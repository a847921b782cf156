"""The partner's settings page (/settings), its blur checks and its logo."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import undefer

import money
from blueprints.blur import CheckUrls, answer_check
from blueprints.guards import require_staff
from extensions import db
from forms.settings import PartnerSettingsForm
from models import Partner
from services.partner_settings import update_settings
from unit_of_work import unit_of_work

bp = Blueprint("settings", __name__, url_prefix="/settings")
require_staff(bp)

CHECK = CheckUrls("settings.check")


def _partner(*, with_logo: bool = False) -> Partner:
    options = [undefer(Partner.logo)] if with_logo else []
    return db.session.get(Partner, current_user.partner_id, options=options)


def _render(form: PartnerSettingsForm, partner: Partner, status: int = 200):
    return render_template("settings/page.html", form=form, partner=partner, check_url=CHECK,
                           form_fields=[form[name] for name in (*form.FIELDS, "logo")]), status


@bp.route("", methods=["GET", "POST"])
def page():
    partner = _partner()
    if request.method == "GET":
        data = {**{name: getattr(partner, name) or "" for name in PartnerSettingsForm.FIELDS},
                "surcharge_percent": money.plain_decimal(partner.surcharge_percent) or "0",
                "surcharges_on": partner.surcharges_on}
        return _render(PartnerSettingsForm(formdata=None, data=data), partner)
    form = PartnerSettingsForm()
    if not form.validate():
        return _render(form, partner, 422)
    with unit_of_work():
        update_settings(partner, form.cleaned(), logo=form.logo_bytes, remove_logo=form.remove_logo.data)
    flash("Settings saved", "success")
    return redirect(url_for(".page"), code=303)


@bp.post("/check/<name>")
def check(name: str):
    if name not in PartnerSettingsForm.FIELDS:
        abort(404)
    return answer_check(PartnerSettingsForm, name, CHECK, "settings/_fields.html")


@bp.get("/logo")
def logo():
    """The partner's own logo (the settings page and, later, invoices show it)."""
    partner = _partner(with_logo=True)
    if not partner.logo:
        abort(404)
    response = make_response(partner.logo)
    response.headers["Content-Type"] = partner.logo_type
    response.headers["Content-Disposition"] = "inline"
    return response
