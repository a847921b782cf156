"""Every form's blur check answers here: forms.checks judges the field, this renders its rows.

    @bp.post("/lines/check/<int:index>/<name>")
    def check_line(index, name):
        return answer_check(InvoiceForm(), f"lines-{index}-{name}",
                            CheckUrls("invoices.check_line"), "invoices/_line_fields.html")

fields_template: a template with a macro field_row(form, field, check_url, oob) that
draws one field's row; the same macro draws the form itself, so a check answers with
exactly the row the page has.
"""

from flask import abort, render_template, url_for

from forms import checks


class CheckUrls:
    """Where a form's blur checks post, from url_for: a flat field's with `name=` its name,
    a row-list field's (`users-3-email`) with `index=3, name="email"`; `values` are the
    endpoint's other arguments (the customer's id, say)."""

    def __init__(self, endpoint: str, **values):
        self.endpoint = endpoint
        self.values = values

    def __call__(self, field) -> str:
        match = checks.ROW_NAME.fullmatch(field.name)
        if match:
            return url_for(self.endpoint, index=int(match.group(2)), name=match.group(3), **self.values)
        return url_for(self.endpoint, name=field.short_name, **self.values)


def answer_check(form, name: str, check_url: CheckUrls, fields_template: str):
    """The blur check of the field posted as `name`: its row, and its dependents' rows out
    of band. 404 for a field the form does not have."""
    try:
        row, fields = checks.check(form, name)
    except KeyError:
        abort(404)
    return render_template("_check.html", form=row, fields=fields, check_url=check_url,
                           fields_template=fields_template)
