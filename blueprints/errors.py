"""Error pages, and short retargeted messages for htmx partial requests.

An error must never replace the field a partner is typing in: for a partial
request the message goes to the page's alert region instead (HX-Retarget).
The handlers touch neither the database nor the session beyond a rollback,
so they still work while the database is down.
"""

import logging

from flask import Flask, current_app, make_response
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from blueprints.api.errors import api_error, is_api_request
from extensions import db
from services.errors import DomainError
from web import is_partial

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Check what you entered and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "There is nothing here. It may have moved, or the address may be wrong."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Conflict", "Someone else changed this at the same time. Reload and try again."),
    413: ("Too large", "What you sent is too large."),
    422: ("Check your entry", "Some of what you entered needs a change."),
    429: ("Too many attempts", "Too many attempts. Wait a few minutes, then try again."),
    500: ("Something went wrong", "Something went wrong on our side. Nothing was saved. Try again in a moment."),
}
CSRF_EXPIRED = "Your session expired. Reload the page and try again."


def _rollback() -> None:
    # Nothing half-done may ride along into a later commit.
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database may be the thing that failed
        log.warning("rollback failed while handling an error", exc_info=True)


def _render(name: str, **context) -> str:
    # Not render_template: its context processors load the signed-in user, which needs
    # the session and the database, and those may be what just failed.
    return current_app.jinja_env.get_template(name).render(**context)


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    message = message or default
    if is_partial():
        response = make_response(_render("errors/_alert.html", message=message), code)
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    page = _render("errors/error.html", code=code, title=title, message=message)
    return make_response(page, code)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        _rollback()
        return render_error(400, CSRF_EXPIRED)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():  # a path under /api/ that no API route matched (404, 405)
            return api_error(error)
        _rollback()
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        for name, value in error.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(DomainError)
    def refused_write(error: DomainError):
        # A rule's refusal (or a concurrent request's win) that no view showed by its field.
        _rollback()
        return render_error(error.status, error.message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        _rollback()
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error", exc_info=error)
        return render_error(InternalServerError.code)
