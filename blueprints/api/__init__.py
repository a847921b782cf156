"""The JSON API under /api/v1 (issue 15): one APIBlueprint in the app, for integrations.

Stripe's conventions: a partner's API key as `Authorization: Bearer <key>` (no session, no
CSRF, no cookie), Idempotency-Key on POSTs, cursor pages, typed errors. Its views call the
dashboard's forms and services (one code path) inside one unit of work per request. Its
hooks are the blueprint's, so a dashboard request runs none of them.
"""

from apiflask import APIBlueprint, APIFlask

from extensions import csrf

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="API")
csrf.exempt(bp)

from blueprints.api import auth, customers, docs, errors, invoices, payments  # noqa: E402,F401 - routes and hooks on bp


def install(app: APIFlask) -> None:
    """The API's document settings and its typed errors."""
    from blueprints.api.schemas import ERROR

    app.config.update({
        "AUTO_200_RESPONSE": False,  # the dashboard's views are not in the API's document
        "AUTO_SERVERS": False,
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "VALIDATION_ERROR_SCHEMA": ERROR,
        "HTTP_ERROR_SCHEMA": ERROR,
        "SECURITY_SCHEMES": {"ApiKey": {"type": "http", "scheme": "bearer",
                                        "description": "A key made on the dashboard's API keys page"}},
        "DESCRIPTION": ("Customers and invoices for PSA and accounting integrations. Send a key as "
                        "`Authorization: Bearer <key>`; POSTs take an optional `Idempotency-Key`."),
    })
    errors.install(app)
    for blueprint in app.blueprints.values():
        # APIFlask reads this of every blueprint with hooks; the dashboard's are plain Flask ones.
        if not hasattr(blueprint, "enable_openapi"):
            blueprint.enable_openapi = False

    @app.spec_processor
    def _every_operation_needs_a_key(spec: dict) -> dict:
        spec["security"] = [{"ApiKey": []}]
        return spec
