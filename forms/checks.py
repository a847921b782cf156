"""The blur check: judge one field as a submit would, and say which rows to redraw.

A form (or a row form inside a FieldList) declares which fields its rules read:

    class LineForm(Form):
        DEPENDS = {"amount": ("quantity", "unit_price")}   # amount is judged with both

Checking `quantity` then redraws its own row and the rows of the fields that depend on it
(`amount`, out of band), re-judging a dependent only when the partner has typed in it.
A flat field is judged with the fields it depends on; a field in a row list
(`lines-2-quantity`) with its whole form, because a list has rules across its rows
(one email per customer). Every blur endpoint answers with `check()` and
`blueprints.blur.answer_check()`.
"""

import re
from functools import cache

from wtforms import FieldList, FormField

from request_input import int_value

ROW_NAME = re.compile(r"(\w+?)-([0-9]{1,4})-(\w+)")  # ASCII digits: \d takes "١٢" too


def dependents(form, name: str) -> tuple[str, ...]:
    """The fields of `form` whose rules read `name` (the inverse of form.DEPENDS)."""
    depends = getattr(form, "DEPENDS", {})
    return tuple(other for other, needs in depends.items() if name in needs)


@cache
def form_for_check(form_class, name: str):
    """form_class with only the fields a blur check of its flat field `name` judges and
    redraws: the field, its dependents, and the fields their rules read (DEPENDS). Building
    a form binds and fills every field it has; a check of Company needs one of step 1's
    nine. The others are set to None, WTForms' way of leaving a field out of a subclass,
    so a form's own methods (after_check) must not assume them. Made once per worker."""
    depends = getattr(form_class, "DEPENDS", {})
    redrawn = (name, *dependents(form_class, name))
    needed = {*redrawn, *(needed for field in redrawn for needed in depends.get(field, ()))}
    left_out = {field: None for field in dir(form_class)
                if not field.startswith("_") and hasattr(getattr(form_class, field), "_formfield")
                and field not in needed}
    return type(form_class.__name__, (form_class,), left_out)


def typed(field) -> bool:
    return bool((field.raw_data or [""])[0].strip())


def _row_list(form, name: str) -> FieldList:
    field = form._fields.get(name)
    if not isinstance(field, FieldList):
        raise KeyError(name)
    return field


def locate(form, name: str):
    """`name` as posted ("company", "users-3-email", "user-email") -> (row form, field name, index):
    index is the row's place in a row list, or None for a flat field. KeyError when the form
    has no such field (or no such row)."""
    short = name.removeprefix(form._prefix)
    if short in form._fields and not isinstance(form._fields[short], FieldList):
        return form, short, None
    match = ROW_NAME.fullmatch(name)
    if match:
        entries = _row_list(form, match.group(1)).entries
        index = int_value(match.group(2))
        if index < len(entries) and isinstance(entries[index], FormField):
            row = entries[index].form
            if match.group(3) in row._fields:
                return row, match.group(3), index
    raise KeyError(name)


def check(form, name: str) -> tuple:
    """Judge the field posted as `name` as a submit would; return its (row) form and the
    fields to redraw: the field first, then its dependents. KeyError for an unknown field."""
    row, short, index = locate(form, name)
    also = [row[other] for other in dependents(row, short)]
    if index is None:
        _judge_after_dependencies(row, short)
        for field in also:
            if typed(field):
                _judge_after_dependencies(row, field.short_name)
    else:
        form.validate()
        for field in also:
            if not typed(field):
                field.errors = []
    after = getattr(form, "after_check", None)
    if after is not None:
        after(short)
    return row, [row[short], *also]


def _judge_after_dependencies(form, name: str) -> None:
    for dependency in getattr(form, "DEPENDS", {}).get(name, ()):
        _judge(form, dependency)
    _judge(form, name)


def _judge(form, name: str) -> None:
    """One field's validators, and the form's validate_<name>, as form.validate() runs them."""
    method = getattr(form, f"validate_{name}", None)
    extra = [lambda _form, field: method(field)] if method else []
    form[name].validate(form, extra)
