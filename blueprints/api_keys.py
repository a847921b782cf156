"""/settings/api-keys: the partner's API keys, made (the key shown once) and revoked."""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from blueprints.guards import require_staff
from forms.api_keys import ApiKeyForm
from models import ApiKey
from services.api_keys import create_key, partner_keys, revoke_key
from tenancy import current_partner_id, get_or_404
from unit_of_work import unit_of_work

bp = Blueprint("api_keys", __name__, url_prefix="/settings/api-keys")
require_staff(bp)

NEW_KEY = "new_api_key"  # the session carries the new key from the POST to the page that shows it, once


def _render(form: ApiKeyForm, status: int = 200, new_key: str | None = None):
    return render_template("api_keys/page.html", form=form, keys=partner_keys(current_partner_id()),
                           new_key=new_key), status


@bp.get("")
def page():
    return _render(ApiKeyForm(formdata=None), new_key=session.pop(NEW_KEY, None))


@bp.post("")
def create():
    form = ApiKeyForm()
    if not form.validate():
        return _render(form, 422)
    with unit_of_work():
        _key, secret = create_key(partner_id=current_partner_id(), staff_id=current_user.id, scope=form.scope.data,
                                  name=form.name.data)
    session[NEW_KEY] = secret
    return redirect(url_for(".page"), code=303)


@bp.post("/<int:key_id>/revoke")
def revoke(key_id: int):
    key = get_or_404(ApiKey, current_partner_id(), key_id)
    with unit_of_work():
        revoke_key(key)
    flash(f"Revoked the key {key.name} ({key.prefix}…): requests with it now get 401", "success")
    return redirect(url_for(".page"), code=303)
