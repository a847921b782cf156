"""Typed errors: {"error": {"type", "code", "message", "param"}}, with the dashboard's messages.

An invalid request is a 400 (a type the schema refuses, or a value a form's rule refuses, by
its `param`); a missing or revoked key 401; a read key writing 403; another partner's id (or
nothing) 404; a state that does not allow the action 409."""

import logging

from apiflask import HTTPError
from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from blueprints.api import bp
from extensions import db
from services.errors import Conflict, DomainError, InvalidFields
from services.idempotency import IdempotencyKeyInUse, IdempotencyKeyReused

log = logging.getLogger(__name__)

PREFIX = "/api/"
TYPES = {401: "authentication_error", 403: "permission_error"}
CODES = {400: "parameter_invalid", 401: "api_key_invalid", 403: "api_key_read_only", 404: "resource_missing",
         405: "method_not_allowed", 409: "state_conflict", 413: "request_too_large", 415: "unsupported_media_type",
         429: "rate_limited"}
MESSAGES = {
    400: "The request could not be read: send JSON as the API's document describes",
    401: "Send a live API key as Authorization: Bearer <key>",
    403: "This API key can only read: make a write key on the dashboard's API keys page",
    404: "No such object (or not yours)",
    405: "That method is not available here",
    413: "The request is too large",
    415: "Send the body as application/json",
}


class ApiError(Exception):
    """An error the API answers as is."""

    def __init__(self, status: int, message: str | None = None, *, code: str | None = None,
                 param: str | None = None, kind: str | None = None):
        super().__init__(message)
        self.status, self.param = status, param
        self.message = message or MESSAGES.get(status, "The request failed")
        self.code = code or CODES.get(status, "api_error")
        self.kind = kind or TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


# Conflicts with a type and code of their own (the others: invalid_request_error, state_conflict).
CONFLICTS = {IdempotencyKeyReused: ("idempotency_error", "idempotency_key_reused"),
             IdempotencyKeyInUse: ("idempotency_error", "idempotency_key_in_use")}


def error_response(status: int, message: str, *, code: str, param: str | None = None, kind: str | None = None):
    kind = kind or TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    response = jsonify({"error": {"type": kind, "code": code, "message": message, "param": param}})
    response.status_code = status
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database may be the thing that failed
        log.warning("rollback failed while handling an error", exc_info=True)


def domain_error_response(error: DomainError):
    """A rule's refusal by its field (400), or a state or race that refused the action (409)."""
    if isinstance(error, Conflict):
        kind, code = CONFLICTS.get(type(error), ("invalid_request_error", "state_conflict"))
        return error_response(409, error.message, code=code, param=param_name(error.field), kind=kind)
    return error_response(400, error.message, code="parameter_invalid", param=param_name(error.field))


def param_name(field: str | None) -> str | None:
    """The form's name of a line's price is the API's unit_amount."""
    if field and field.endswith(".unit_price"):
        return field[: -len("unit_price")] + "unit_amount"
    return field


def _validation_param(detail) -> tuple[str | None, str]:
    """The first refused field of a schema's error detail ({"json": {"lines": {0: {"unit_amount": [...]}}}})."""
    path = []
    while isinstance(detail, dict) and detail:
        key, detail = next(iter(detail.items()))
        path.append(key)
    message = detail[0] if isinstance(detail, list) and detail else "This value is not valid"
    if path and path[0] in ("json", "query", "headers", "path", "view_args"):
        path = path[1:]
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) or str(part).isdigit() else (f".{part}" if name else str(part))
    return name or None, message if isinstance(message, str) else "This value is not valid"


def api_error(error: Exception):
    """Any error raised while answering an API request, as a typed error."""
    _rollback()
    if isinstance(error, ApiError):
        return error_response(error.status, error.message, code=error.code, param=error.param, kind=error.kind)
    if isinstance(error, InvalidFields | DomainError):
        return domain_error_response(error)
    if isinstance(error, HTTPError):  # APIFlask's: a body or query the schema refused
        if error.status_code == 400 and error.detail:
            param, message = _validation_param(error.detail)
            return error_response(400, message, code="parameter_invalid", param=param)
        return http_error_response(error.status_code, error.headers)
    if isinstance(error, MethodNotAllowed) and not _found_by_another_method(error):
        return http_error_response(404)
    if isinstance(error, HTTPException) and error.code:
        return http_error_response(error.code, dict(error.get_headers()))
    log.exception("unhandled error in the API", exc_info=error)
    return error_response(500, "Something went wrong on our side. Nothing was saved. Try again in a moment.",
                          code="api_error")


def _found_by_another_method(error: MethodNotAllowed) -> bool:
    """Werkzeug answers 405 for /customers/99999999999 (an id its converter refuses) when a rule of
    that shape takes other methods; the path finds nothing by any method, so it is a 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
            return True
        except HTTPException:
            continue
    return False


def http_error_response(status: int, headers=None):
    response = error_response(status, MESSAGES.get(status, "The request failed"), code=CODES.get(status, "api_error"))
    for name, value in (headers or {}).items():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


bp.register_error_handler(Exception, api_error)


def install(app: Flask) -> None:
    """Schema errors answer typed 400s (APIFlask's HTTPError never leaves the API)."""
    app.error_processor(api_error)
