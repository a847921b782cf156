"""Column types both backends store exactly."""

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator):
    """NUMERIC(precision, scale) on PostgreSQL; on SQLite, which would store a NUMERIC as a
    float, the decimal's text. Values are Decimal both ways, never a float."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision, scale, asdecimal=True)
        self.places = Decimal(1).scaleb(-scale)
        self.width = precision + 2

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.width))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(self.places)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)
