"""What templates may call besides their context, all registered here: filters for how
values are shown, and the few functions templates call.

One filter per kind of value, so a designer changes a date or a country's name in one
place. None of them queries the database: views hand templates what they show.
Registered on the app by install_template_helpers (called from web.py).
"""

import hashlib
from datetime import UTC, datetime
from datetime import date as Date
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from jinja2 import pass_context

from forms.rules import COUNTRY_NAMES
from money import format_money, plain_decimal
from payments import gateway_for
from services import history, payment_methods


def country_name(code: str | None) -> str:
    return COUNTRY_NAMES.get(code or "", code or "")


def format_day(moment: Date | datetime | None, locale: str = "en_US", time_zone: str | None = None) -> str:
    """"May 9, 2026" (en_US), "9 mai 2026" (fr_CA): Babel's medium date in the partner's
    locale. With a time zone (the partner's), a stored moment (UTC) is first moved to it: a
    void at 9 pm in New York is that day's, not the next day's in UTC."""
    if not moment:
        return ""
    if isinstance(moment, datetime):
        if time_zone:
            moment = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(ZoneInfo(time_zone))
        moment = moment.date()
    return _medium_date(moment, locale)


@lru_cache(maxsize=4096)  # a list shows a few dozen days; Babel takes ~50 µs to format one
def _medium_date(day: Date, locale: str) -> str:
    return format_date(day, format="medium", locale=locale)


def _staff_partner():
    """The signed-in staff's partner (sign_in.PartnerName, read with the login: no query), or
    None outside a staff request (the portal, the PDF, the emails, the CLI)."""
    if has_request_context() and getattr(current_user, "kind", None) == "staff":
        return current_user.partner
    return None


def template_locale(context) -> str:
    """The locale a template shows dates in: its own `locale` (the views of the portal, the
    PDF and the emails pass the partner's), else the signed-in staff's partner's, else en_US."""
    locale = context.get("locale")
    if locale:
        return locale
    partner = _staff_partner()
    return partner.locale if partner else "en_US"


def staff_time_zone() -> str | None:
    """The time zone a template dates stored moments in: the signed-in staff's partner's (a
    customer added at 9 pm in New York was added that day, not the next day's in UTC), else
    none (UTC): the portal's, the PDF's and the emails' templates name theirs."""
    partner = _staff_partner()
    return partner.time_zone if partner else None


@pass_context
def date(context, moment: Date | datetime | None, time_zone: str | None = None) -> str:
    """The `date` filter: format_day in the template's locale (template_locale); a stored
    moment in time_zone, else in staff_time_zone's."""
    if time_zone is None and isinstance(moment, datetime):
        time_zone = staff_time_zone()
    return format_day(moment, template_locale(context), time_zone)


def date_time(moment: datetime | None) -> str:
    """"May 9, 2026 at 3:04 PM UTC" (times are stored in UTC)."""
    return moment.strftime("%b %-d, %Y at %-I:%M %p UTC") if moment else ""


def iso(moment: datetime | None) -> str:
    """For <time datetime>: whole seconds in UTC, a form HTML allows ("2026-05-09T15:04:05Z")."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def money(cents: int, currency: str, locale: str = "en_US") -> str:
    """"$4,062.18": cents in the currency, in the partner's locale (money.format_money)."""
    return format_money(cents, currency, locale)


FILTERS = {"country_name": country_name, "date": date, "date_time": date_time, "iso": iso, "money": money,
           "plain_decimal": plain_decimal}
FILTERS["payment_method_label"] = payment_methods.label  # "Visa •••• 4242": only the last four, ever


def history_action(entry) -> str:
    return history.ACTIONS.get(entry.action, entry.action)


def history_field(name: str) -> str:
    return history.FIELD_LABELS.get(name, name)


def payments_test_mode() -> str:
    """While the gateway moves no real money, where payments go (base.html's TEST MODE banner
    says it); "" otherwise."""
    gateway = gateway_for(current_app)
    return gateway.label if gateway.test_mode else ""


def install_template_helpers(app: Flask) -> None:
    from web import is_partial  # web.py calls this function

    static_root = Path(app.static_folder)

    @cache
    def fingerprint(filename: str) -> str:
        return hashlib.sha256((static_root / filename).read_bytes()).hexdigest()[:12]

    @lru_cache(maxsize=256)
    def built_static_url(script_root: str | None, filename: str) -> str:
        return url_for("static", filename=filename, v=fingerprint(filename))

    def static_url(filename: str) -> str:
        """Fingerprinted static URLs: the query changes whenever the file does,
        so browsers may keep each version for a year. Built once per file (and per
        mount point, or none outside a request): every page links five."""
        return built_static_url(request.script_root if has_request_context() else None, filename)

    @app.context_processor
    def staff_locale() -> dict:
        # The signed-in staff's partner's locale in every page's context, read once per render:
        # template_locale then finds it there, instead of asking the login for it at each date
        # of a list. A view's own `locale` still wins (Flask lets the view's values override).
        if getattr(current_user, "kind", None) == "staff":
            return {"locale": current_user.partner.locale}
        return {}

    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        static_url=static_url,
        is_partial=is_partial,
        payments_test_mode=payments_test_mode,
        history_action=history_action,
        history_field=history_field,
        history_value=history.display_value,
    )
