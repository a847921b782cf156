"""Domain errors: a write the rules refuse, naming the field and saying why.

Services raise them; the unit of work (unit_of_work.py) raises the one registered for a
database constraint when a concurrent request won the race; views and forms show
`.message` by `.field` and never rewrite it. An error no view catches becomes its
`.status` page with the message (blueprints/errors.py), never a 500.
"""


class DomainError(Exception):
    """`field`: the form field the message belongs to (None: the whole form or page)."""

    field: str | None = None
    message: str = "That could not be saved."
    status: int = 422

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or type(self).message
        self.field = field or type(self).field
        super().__init__(self.message)


class Conflict(DomainError):
    """Another request changed the same rows at the same time."""

    message = "Someone else changed this at the same time. Reload and try again."
    status = 409


# Constraint name -> the error a violation of it means. Registered next to each rule.
CONSTRAINTS: dict[str, type[DomainError]] = {}


def raised_for(*constraint_names: str):
    """Class decorator: a violation of these constraints raises this error."""

    def register(cls: type[DomainError]) -> type[DomainError]:
        for name in constraint_names:
            CONSTRAINTS[name] = cls
        return cls

    return register


class InvalidFields(DomainError):
    """Several fields refused at once (an API request, an import row): `errors` holds each
    field's DomainError in the form's order; the first is this error's own field and message."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors
