"""Webhook endpoints (/settings/webhooks): add one (its signing secret shown once), disable,
enable, delete; each endpoint's delivery log with Resend."""

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for

from blueprints.guards import require_staff
from extensions import db
from forms.webhooks import WebhookEndpointForm
from models import WebhookDelivery, WebhookEndpoint
from services import webhooks
from services.errors import DomainError
from tenancy import current_partner_id, get_or_404
from unit_of_work import unit_of_work

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")
require_staff(bp)

_REVEAL = "webhook_secret_for"  # the session holds the new endpoint's id, never its secret


def _render(form: WebhookEndpointForm, status: int = 200):
    partner_id = current_partner_id()
    revealed = None
    endpoint_id = session.pop(_REVEAL, None)
    if endpoint_id is not None:
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        if endpoint is not None and endpoint.partner_id == partner_id:
            revealed = (endpoint, webhooks.signing_secret(endpoint))
    return render_template("webhooks/page.html", form=form, endpoints=webhooks.endpoints(partner_id),
                           revealed=revealed), status


@bp.get("")
def page():
    return _render(WebhookEndpointForm(formdata=None))


@bp.post("")
def add():
    form = WebhookEndpointForm()
    if not form.validate():
        return _render(form, 422)
    try:
        with unit_of_work():
            endpoint = webhooks.add_endpoint(current_partner_id(), form.url.data)
    except DomainError as error:
        form.url.errors = [error.message]
        return _render(form, 422)
    session[_REVEAL] = endpoint.id
    flash("Endpoint added. Copy its signing secret now: it is shown only once.", "success")
    return redirect(url_for(".page"), code=303)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return get_or_404(WebhookEndpoint, current_partner_id(), endpoint_id)


@bp.post("/<int:endpoint_id>/disable")
def disable(endpoint_id: int):
    with unit_of_work():
        webhooks.set_enabled(_endpoint(endpoint_id), False)
    flash("Endpoint disabled: it gets no new events.", "success")
    return redirect(url_for(".page"), code=303)


@bp.post("/<int:endpoint_id>/enable")
def enable(endpoint_id: int):
    with unit_of_work():
        webhooks.set_enabled(_endpoint(endpoint_id), True)
    flash("Endpoint enabled.", "success")
    return redirect(url_for(".page"), code=303)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int):
    with unit_of_work():
        webhooks.delete_endpoint(_endpoint(endpoint_id))
    flash("Endpoint deleted.", "success")
    return redirect(url_for(".page"), code=303)


@bp.get("/<int:endpoint_id>")
def log(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    return render_template("webhooks/log.html", endpoint=endpoint, deliveries=webhooks.deliveries(endpoint))


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
def resend(endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    with unit_of_work():
        webhooks.resend(delivery)
    flash(f"{delivery.event.type} {delivery.event.public_id} queued again.", "success")
    return redirect(url_for(".log", endpoint_id=endpoint.id), code=303)
