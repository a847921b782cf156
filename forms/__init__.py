"""WTForms forms and the field rules they share."""


def show_error(form, error) -> None:
    """A domain error's message beside its field, or above the form when the form has no such field."""
    if error.field and error.field in form:
        form[error.field].errors = [error.message]
    else:
        form.form_errors.append(error.message)
