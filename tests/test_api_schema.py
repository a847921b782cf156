"""Schemathesis against the API's own OpenAPI document: every operation, with data the document
allows and data it refuses (negative), with a write key: never a 5xx, and every answer (status,
content type, body) is one the document declares; refused data is a 4xx."""

import pytest
import schemathesis
from api_helpers import CUSTOMER, bearer, make_key
from hypothesis import HealthCheck, assume, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 75  # per operation and mode: 2,400 requests, well within a minute on each database


@pytest.fixture
def key(app, partner):
    return make_key(app, partner)


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_document_is_openapi_3_1_with_every_operation(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item} == {
        "GET /api/v1/customers", "POST /api/v1/customers", "GET /api/v1/customers/{customer_id}",
        "POST /api/v1/customers/{customer_id}", "POST /api/v1/customers/{customer_id}/archive",
        "GET /api/v1/invoices", "POST /api/v1/invoices", "GET /api/v1/invoices/{invoice_id}",
        "POST /api/v1/invoices/{invoice_id}/finalize", "POST /api/v1/invoices/{invoice_id}/void",
        "POST /api/v1/invoices/{invoice_id}/send", "POST /api/v1/invoices/{invoice_id}/payments",
        "GET /api/v1/payments", "GET /api/v1/payments/{payment_id}", "GET /api/v1/payment_methods",
        "GET /api/v1/payment_methods/{method_id}",
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_its_document_says(app, key, mode):
    # Something for the ids to find: a customer (id 1) with an invoice (id 1).
    client = app.test_client()
    customer = client.post("/api/v1/customers", json=CUSTOMER, headers=bearer(key)).get_json()["id"]
    client.post("/api/v1/invoices", json={"customer": customer, "due_date": "2999-01-01", "lines": [
        {"description": "Support", "unit_amount": 100}]}, headers=bearer(key))
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    for operation in operations(app):

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def answers(case):
            # An empty list is no parameter at all once sent (`?=` vanishes): schemathesis would
            # still count the request as carrying an unknown parameter.
            assume(not any(value == [] for value in (case.query or {}).values()))
            case.call_and_validate(headers=bearer(key), checks=checks)

        answers()
