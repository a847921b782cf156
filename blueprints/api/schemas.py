"""What the API reads and answers, as marshmallow schemas (APIFlask draws the OpenAPI document
from them). Types only: every value's rule is the dashboard form's (forms.customer, forms.invoice),
so the messages are the dashboard's."""

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates_schema

from forms.customer import MAX_USERS
from forms.invoice import MAX_LINES
from request_input import INT4_MAX

ID = {"validate": Range(min=1, max=INT4_MAX), "strict": True}
DETAIL_FIELDS = ("company", "legal_name", "ein", "address", "city", "state", "postal_code", "country")


class DecimalText(fields.Field):
    """A quantity or rate as a decimal string ("1.5") or a JSON number (read from its shortest
    text, never through arithmetic); the form's rule then reads it as the page would."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("Send a decimal string or a number")
        return value if isinstance(value, str) else repr(value)


class Text(fields.String):
    """A JSON string (null reads as empty)."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)


class UserIn(Schema):
    name = Text(required=True)
    email = Text(required=True)


class CustomerFields(Schema):
    company = Text()
    legal_name = Text()
    ein = Text()
    address = Text()
    city = Text()
    state = Text()
    postal_code = Text()
    country = Text(metadata={"description": "US or CA (or the country's name)"})
    users = fields.List(fields.Nested(UserIn), validate=Length(min=1, max=MAX_USERS))


class CustomerIn(CustomerFields):
    source = Text(metadata={"description": "Where the customer comes from (quickbooks, connectwise, …); "
                                           "`api` when only external_id is sent"})
    external_id = Text(metadata={"description": "Its id in the source: a customer with the same source and "
                                                "external_id is updated (200), never made twice"})


class UserOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)


class CustomerOut(Schema):
    id = fields.Integer(required=True)
    object = fields.String(required=True, metadata={"enum": ["customer"]})
    company = fields.String(required=True)
    legal_name = fields.String(required=True, allow_none=True)
    ein = fields.String(required=True, allow_none=True)
    address = fields.String(required=True)
    city = fields.String(required=True)
    state = fields.String(required=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True)
    source = fields.String(required=True, allow_none=True)
    external_id = fields.String(required=True, allow_none=True)
    archived = fields.Boolean(required=True)
    created = fields.DateTime(required=True)
    users = fields.List(fields.Nested(UserOut), required=True)


class PageQuery(Schema):
    @validates_schema(pass_original=True)
    def _known_parameters_only(self, _data, original, **_kwargs):
        # A query parameter the API does not know is a mistake to report, not to ignore (a
        # misspelt filter would list everything).
        for name in original:
            if name not in self.fields:
                raise ValidationError("This parameter is not known here", field_name=name)

    limit = fields.Integer(load_default=10, validate=Range(min=1, max=100))
    starting_after = fields.Integer(validate=Range(min=1, max=INT4_MAX))
    ending_before = fields.Integer(validate=Range(min=1, max=INT4_MAX))


def list_of(item: type[Schema], *, own_item: bool = False) -> type[Schema]:
    """A list's answer, `{"object": "list", "data": [item, …], "has_more": bool}`, named after the
    item: CustomerOut's is the component CustomerList. own_item: the items are a subclass of their
    own, PaymentOut's PaymentInList (APIFlask registers a schema it meets nested before its own
    route twice; a subclass is its own component)."""
    noun = item.__name__.removesuffix("Out")
    if own_item:
        item = type(f"{noun}InList", (item,), {"__doc__": f"{item.__name__} in a list."})
    return type(f"{noun}List", (Schema,), {
        "object": fields.String(required=True, metadata={"enum": ["list"]}),
        "data": fields.List(fields.Nested(item), required=True),
        "has_more": fields.Boolean(required=True),
    })


class CustomerQuery(PageQuery):
    source = fields.String()
    external_id = fields.String()


CustomerList = list_of(CustomerOut)


class LineIn(Schema):
    description = Text(required=True)
    quantity = DecimalText(load_default="1", metadata={"description": "A decimal string or a number"})
    unit_amount = fields.Integer(required=True, strict=True, metadata={"description": "Minor units (cents)"})
    tax_rate = DecimalText(allow_none=True, metadata={"description": "Percent, a decimal string or a number"})


class InvoiceIn(Schema):
    customer = fields.Integer(required=True, **ID)
    issue_date = Text(metadata={"description": "YYYY-MM-DD; today (the partner's) by default"})
    due_date = Text(required=True, metadata={"description": "YYYY-MM-DD"})
    memo = Text()
    lines = fields.List(fields.Nested(LineIn), required=True, validate=Length(min=1, max=MAX_LINES))
    finalize = fields.Boolean(load_default=False)
    source = Text()
    external_id = Text()


class LineOut(Schema):
    description = fields.String(required=True)
    quantity = fields.String(required=True)
    unit_amount = fields.Integer(required=True)
    tax_rate = fields.String(required=True, allow_none=True)
    amount = fields.Integer(required=True)
    tax = fields.Integer(required=True)


class InvoiceOut(Schema):
    id = fields.Integer(required=True)
    object = fields.String(required=True, metadata={"enum": ["invoice"]})
    customer = fields.Integer(required=True)
    number = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "open", "paid", "void"]})
    currency = fields.String(required=True)
    issue_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    memo = fields.String(required=True)
    subtotal = fields.Integer(required=True)
    tax = fields.Integer(required=True)
    total = fields.Integer(required=True)
    amount_paid = fields.Integer(required=True)
    source = fields.String(required=True, allow_none=True)
    external_id = fields.String(required=True, allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)
    created = fields.DateTime(required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)


class InvoiceQuery(PageQuery):
    status = fields.String(validate=OneOf(["draft", "open", "overdue", "paid", "void"]))
    customer = fields.Integer(validate=Range(min=1, max=INT4_MAX))


InvoiceList = list_of(InvoiceOut)


class VoidIn(Schema):
    reason = Text(required=True)


class PaymentOut(Schema):
    id = fields.Integer(required=True)
    object = fields.String(required=True, metadata={"enum": ["payment"]})
    invoice = fields.Integer(required=True)
    customer = fields.Integer(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    surcharge = fields.Integer(required=True)
    refunded = fields.Integer(required=True)
    kind = fields.String(required=True)
    method_label = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "succeeded", "failed"]})
    paid_on = fields.Date(required=True)
    reference = fields.String(required=True)
    failure_message = fields.String(required=True)
    created = fields.DateTime(required=True)


class PaymentQuery(PageQuery):
    invoice = fields.Integer(validate=Range(min=1, max=INT4_MAX))
    customer = fields.Integer(validate=Range(min=1, max=INT4_MAX))


PaymentList = list_of(PaymentOut, own_item=True)


class OfflinePaymentIn(Schema):
    amount = fields.Integer(required=True, strict=True, metadata={"description": "Minor units (cents)"})
    paid_on = Text(metadata={"description": "YYYY-MM-DD; today (the partner's) by default"})
    method = Text(required=True, metadata={"description": "check, wire, cash or other"})
    reference = Text()


class MethodOut(Schema):
    id = fields.Integer(required=True)
    object = fields.String(required=True, metadata={"enum": ["payment_method"]})
    customer = fields.Integer(required=True)
    kind = fields.String(required=True)
    brand = fields.String(required=True)
    last4 = fields.String(required=True)
    exp_month = fields.Integer(required=True, allow_none=True)
    exp_year = fields.Integer(required=True, allow_none=True)
    country = fields.String(required=True)
    is_default = fields.Boolean(required=True)
    archived = fields.Boolean(required=True)
    created = fields.DateTime(required=True)


class MethodQuery(PageQuery):
    customer = fields.Integer(validate=Range(min=1, max=INT4_MAX))


MethodList = list_of(MethodOut, own_item=True)


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["type", "code", "message", "param"],
        "properties": {
            "type": {"type": "string", "enum": ["invalid_request_error", "authentication_error", "permission_error",
                                                "idempotency_error", "api_error"]},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "param": {"type": ["string", "null"]},
        },
    }},
}
