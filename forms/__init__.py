"""WTForms forms and the field rules they share."""
