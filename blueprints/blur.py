"""Every form's blur check answers here: forms.checks judges the field, this renders its rows.

    @bp.post("/lines/check/<int:index>/<name>")
    def check_line(index, name):
        return answer_check(InvoiceForm, f"lines-{index}-{name}",
                            CheckUrls("invoices.check_line"), "invoices/_line_fields.html")

The first argument makes the form (a form class, or a function passing its keyword
arguments on): answer_check makes it once, without a CSRF token field, since the answer
is rows only and CSRFProtect has already checked the POST's token before any view ran.

fields_template: a template with a macro field_row(form, field, check_url, oob) that
draws one field's row; the same macro draws the form itself, so a check answers with
exactly the row the page has.
"""

from flask import abort, current_app, request, url_for
from markupsafe import Markup

from forms import checks

# The form of a blur check: its fields only. Never generating a token costs nothing in
# safety: the token posted with the check is checked by CSRFProtect, as on every POST.
NO_TOKEN_FIELD = {"csrf": False}


class CheckUrls:
    """Where a form's blur checks post, from url_for: a flat field's with `name=` its name,
    a row-list field's (`users-3-email`) with `index=3, name="email"`; `values` are the
    endpoint's other arguments (the customer's id, say)."""

    def __init__(self, endpoint: str, **values):
        self.endpoint = endpoint
        self.values = values
        self._built = {}  # (the app's root path, flat field's name) -> its URL, built once

    def __call__(self, field) -> str:
        match = checks.ROW_NAME.fullmatch(field.name)
        if match:  # not kept: a row list's rows are as many as are posted
            return url_for(self.endpoint, index=int(match.group(2)), name=match.group(3), **self.values)
        key = (request.script_root, field.name)
        url = self._built.get(key)
        if url is None:
            url = self._built[key] = url_for(self.endpoint, name=field.short_name, **self.values)
        return url


def field_row_macro(fields_template: str):
    """The template's field_row macro. Jinja keeps the template, and the module made from
    it without a request's context, so a check neither recompiles nor re-imports it, nor
    runs the context processors (the signed-in user, a CSRF token) the rows never read."""
    return current_app.jinja_env.get_template(fields_template).module.field_row


def answer_check(make_form, name: str, check_url: CheckUrls, fields_template: str):
    """The blur check of the field posted as `name`: its row, and its dependents' rows out
    of band. 404 for a field the form does not have."""
    try:
        row, fields = checks.check(make_form(meta=NO_TOKEN_FIELD), name)
    except KeyError:
        abort(404)
    field_row = field_row_macro(fields_template)
    return Markup("").join(field_row(row, field, check_url, oob=index > 0) for index, field in enumerate(fields))
