"""The CSV import's upload form (/import)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from services.imports import FIELDS


class ImportForm(FlaskForm):
    kind = SelectField("What the file holds", choices=[SelectChoice("customers", "Customers, with their users"),
                                                       SelectChoice("invoices", "Invoices, with their lines")],
                       validate_choice=False)
    file = FileField("CSV file")

    def validate_kind(self, field):
        if field.data not in FIELDS:
            raise StopValidation("Choose what the file holds")

    def validate_file(self, field):
        upload = field.data
        self.content = b""
        if upload and hasattr(upload, "read"):
            try:
                self.content = upload.read()
            finally:
                upload.close()  # a large upload is a temporary file: closed at once
        if not self.content:
            raise StopValidation("Choose a CSV file to upload")
