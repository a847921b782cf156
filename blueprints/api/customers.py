"""/api/v1/customers: create (or upsert by source and external_id), list, read, update, archive."""

from datetime import UTC

from sqlalchemy.orm import selectinload

from blueprints.api import bp
from blueprints.api.auth import caller
from blueprints.api.conventions import page, writes
from blueprints.api.schemas import CustomerFields, CustomerIn, CustomerList, CustomerOut, CustomerQuery
from extensions import db
from models import Customer
from services.customer_profile import archive_customer
from services.customers import update_customer, upsert_customer
from tenancy import customers, get_or_404

ERRORS = [400, 401, 403, 409]


def customer_json(customer: Customer) -> dict:
    return {
        "id": customer.id, "object": "customer", "company": customer.company, "legal_name": customer.legal_name,
        "ein": customer.ein, "address": customer.address, "city": customer.city, "state": customer.state,
        "postal_code": customer.postal_code, "country": customer.country, "source": customer.source,
        "external_id": customer.external_id, "archived": customer.archived,
        "created": customer.created_at.replace(tzinfo=UTC),
        "users": [{"id": user.id, "name": user.name, "email": user.email} for user in customer.users],
    }


def _customer(customer_id: int) -> Customer:
    return get_or_404(Customer, caller().partner_id, customer_id)


@bp.post("/customers")
@writes
@bp.input(CustomerIn, arg_name="body")
@bp.output(CustomerOut, status_code=201, description="Created")
@bp.doc(summary="Create a customer, or update the one its source and external_id name (200)", responses={
    200: {"description": "Updated: a customer with this source and external_id existed",
          "content": {"application/json": {"schema": CustomerOut}}}, **{code: "Error" for code in ERRORS}})
def create_customer(body: dict):
    who = caller()
    source = body.pop("source", None)
    external_id = body.pop("external_id", None)
    if external_id and not source:
        source = "api"
    customer, outcome = upsert_customer(who.partner_id, body, source=source, external_id=external_id,
                                        staff_id=who.staff_id)
    return customer_json(customer), 201 if outcome == "created" else 200


@bp.get("/customers")
@bp.input(CustomerQuery, location="query", arg_name="args")
@bp.output(CustomerList)
@bp.doc(summary="List customers, newest first", responses=[400, 401])
def list_customers(args: dict):
    query = customers(caller().partner_id).options(selectinload(Customer.users))
    if "source" in args:
        query = query.where(Customer.source == args["source"])
    if "external_id" in args:
        query = query.where(Customer.external_id == args["external_id"])
    return page(query, Customer.id, args, customer_json)


@bp.get("/customers/<int:customer_id>")
@bp.output(CustomerOut)
@bp.doc(summary="Read a customer", responses=[401, 404])
def get_customer(customer_id: int):
    return customer_json(_customer(customer_id))


@bp.post("/customers/<int:customer_id>")
@writes
@bp.input(CustomerFields, arg_name="body")
@bp.output(CustomerOut)
@bp.doc(summary="Update a customer: the fields sent change; users are matched by email, and new ones added",
        responses=[*ERRORS, 404])
def update(customer_id: int, body: dict):
    customer = _customer(customer_id)
    update_customer(customer, body, staff_id=caller().staff_id)
    db.session.flush()
    return customer_json(customer)


@bp.post("/customers/<int:customer_id>/archive")
@writes
@bp.output(CustomerOut)
@bp.doc(summary="Archive a customer (it leaves All Customers and the portal)", responses=[*ERRORS, 404])
def archive(customer_id: int):
    customer = _customer(customer_id)
    archive_customer(customer, staff_id=caller().staff_id)
    return customer_json(customer)
