"""The buttons of a row list ("Add another …", "Remove"), for htmx and without JavaScript.

    return row_action(form.lines, action, template="invoices/_line_rows.html",
                      rebuild=lambda rows: InvoiceForm(formdata=None, data={"lines": rows}),
                      full_page=lambda rows, focus_id: render_invoice_form(..., focus_id=focus_id),
                      rows_url=url, check_url=CheckUrls("invoices.check_line"))
"""

from collections.abc import Callable

from flask import abort, render_template

from forms.rows import change_rows, posted_rows, removed_row
from web import is_partial


def row_action(entries, action: str, *, template: str, rebuild: Callable, full_page: Callable,
               keep: Callable | None = None, actions: str | None = None, **context):
    """Add or remove a row of the list `entries` (a bound FieldList), as posted (`add`/`remove-N`,
    or with actions="line" as templates/_rows.html then names the buttons, `add-line`/`remove-line-N`):
    keep(rows) stores the new rows (a draft); then htmx gets the list alone (`template`,
    drawn from rebuild(rows) as `form`, with `context` and `removed`, the row a Remove took),
    a plain post full_page(rows, focus_id). 400 for an action that is neither."""
    if actions:
        action = "add" if action == f"add-{actions}" else action.replace(f"remove-{actions}-", "remove-", 1)
    posted = posted_rows(entries)
    changed = change_rows(entries, posted, action)
    if changed is None:
        abort(400)
    rows, focus_id = changed
    if keep is not None:
        keep(rows)
    if is_partial():
        return render_template(template, form=rebuild(rows), focus_id=focus_id,
                               removed=removed_row(entries, posted, action), **context)
    return full_page(rows, focus_id)
