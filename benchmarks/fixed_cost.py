"""The blur check's fixed cost: the app, plus one view that does nothing, behind the check's hooks.

Served by the benchmark beside the app, never by the app itself. POST EMPTY_CHECK answers 200 with
no body, after everything a blur check of Company pays before its view runs and after it returns:
the signed cookie, the input guard, the CSRF check, the principal and the dashboard's guard (its
endpoint is in the `onboarding` blueprint, whose hooks Flask picks by the endpoint's name), Flask's
request cycle, the response hooks and gunicorn's. Its ratio to the yardstick is the most a blur check
can reach on the machine measured, whatever its view does.
"""

from flask import Flask

import app

EMPTY_CHECK = "/customers/new/check-nothing/company"


def nothing(name: str) -> str:
    return ""


def with_empty_check(made: Flask) -> Flask:
    """The app `made` (before its first request) with the view that does nothing at EMPTY_CHECK."""
    made.add_url_rule("/customers/new/check-nothing/<name>", endpoint="onboarding.check_nothing",
                      view_func=nothing, methods=["POST"])
    return made


def create_app() -> Flask:
    """gunicorn's "benchmarks.fixed_cost:create_app()": the app as app.create_app() makes it, and the empty view."""
    return with_empty_check(app.create_app())
