"""Stripe's conventions, once for every resource: Idempotency-Key on POSTs, cursor pages."""

import re
from functools import wraps

from flask import current_app, request
from sqlalchemy import Select

from blueprints.api.auth import caller
from blueprints.api.errors import ApiError, domain_error_response
from services import idempotency
from services.errors import DomainError
from services.paging import keyset_page
from unit_of_work import unit_of_work

_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, as Stripe's keys


def _replay(row):
    response = current_app.response_class(row.body, status=row.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def writes(view):
    """A POST view: run in one unit of work; with an Idempotency-Key, its first response (status
    and body) is kept in that same unit and replayed to a repeat for 24 hours (409 when the
    repeat carries another body). A refused request's answer is kept too (in its own unit)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            with unit_of_work():
                return view(*args, **kwargs)
        if not _KEY.fullmatch(key):
            raise ApiError(400, "The Idempotency-Key must be 1 to 255 printable ASCII characters",
                           param="Idempotency-Key")
        partner_id = caller().partner_id
        fingerprint = idempotency.request_hash(request.method, request.path, request.get_data())
        row = idempotency.earlier(partner_id, key, fingerprint)
        if row is not None:
            return _replay(row)
        try:
            with unit_of_work():
                response = current_app.make_response(view(*args, **kwargs))
                idempotency.remember(partner_id, key, fingerprint, response.status_code,
                                     response.get_data(as_text=True))
                return response
        except idempotency.IdempotencyKeyInUse:
            pass  # a twin request came first: its response is the answer
        except DomainError as error:
            response = domain_error_response(error)
            try:
                with unit_of_work():
                    idempotency.remember(partner_id, key, fingerprint, response.status_code,
                                         response.get_data(as_text=True))
                return response
            except idempotency.IdempotencyKeyInUse:
                pass
        row = idempotency.earlier(partner_id, key, fingerprint)
        if row is None:
            raise idempotency.IdempotencyKeyInUse()
        return _replay(row)

    return wrapper


def page(query: Select, column, args: dict, dump) -> dict:
    """A list: `limit` objects, newest first, after `starting_after` or before `ending_before`
    (object ids); has_more says whether more lie in that direction."""
    after, before = args.get("starting_after"), args.get("ending_before")
    if after is not None and before is not None:
        raise ApiError(400, "Send starting_after or ending_before, not both", param="ending_before")
    found = keyset_page(query, (column,), size=args["limit"], after=(after,) if after else None,
                        before=(before,) if before else None, descending=True)
    return {"object": "list", "data": [dump(row) for row in found.rows],
            "has_more": found.has_prev if before else found.has_next}
