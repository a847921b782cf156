"""What templates may call besides their context: filters for how values are shown.

One filter per kind of value, so a designer changes a date or a country's name in one
place. Registered on the app by install_template_helpers (called from web.py).
"""

from datetime import datetime

from flask import Flask

from forms.rules import COUNTRY_NAMES


def country_name(code: str | None) -> str:
    return COUNTRY_NAMES.get(code or "", code or "")


def date(moment: datetime | None) -> str:
    """"May 9, 2026"."""
    return moment.strftime("%b %-d, %Y") if moment else ""


def date_time(moment: datetime | None) -> str:
    """"May 9, 2026 at 3:04 PM UTC" (times are stored in UTC)."""
    return moment.strftime("%b %-d, %Y at %-I:%M %p UTC") if moment else ""


def iso(moment: datetime | None) -> str:
    """For <time datetime>: whole seconds in UTC, a form HTML allows ("2026-05-09T15:04:05Z")."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


FILTERS = {"country_name": country_name, "date": date, "date_time": date_time, "iso": iso}


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
