"""The webhook endpoint form (/settings/webhooks): its URL's shape, by forms.rules."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import StringField

from forms import rules
from forms.customer import Rule


class WebhookEndpointForm(FlaskForm):
    FIELDS = ("url",)

    url = StringField("Endpoint URL", validators=[Rule(lambda _f, v: rules.normalize_webhook_url(
        v, https_only=current_app.config["APP_ENV"] == "production"))])
