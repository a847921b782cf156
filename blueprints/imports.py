"""CSV import (/import): upload with a dry run, the report (counts, each invalid row's line and
field, the column mapping), Import of the same upload, a progress bar for large files, and the
invalid rows as a CSV to fix. Uploads up to 10 MB here only (MAX_CONTENT_LENGTH elsewhere)."""

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from blueprints.guards import require_staff
from forms.imports import ImportForm
from models import ImportUpload
from services import imports
from services.errors import DomainError
from tenancy import current_partner_id, get_or_404
from unit_of_work import unit_of_work
from web import is_partial

bp = Blueprint("imports", __name__, url_prefix="/import")
require_staff(bp)

ACTIONS = ("dry-run", "import")


@bp.url_value_preprocessor
def _allow_large_uploads(_endpoint, _values):
    # A URL value preprocessor runs before every before_request hook, CSRFProtect's too (which
    # reads the form, and with it the body, under the app-wide 1 MB limit).
    request.max_content_length = imports.MAX_BYTES


def _form_page(form: ImportForm, status: int = 200):
    return render_template("imports/index.html", form=form), status


@bp.get("")
def index():
    return _form_page(ImportForm(formdata=None))


@bp.post("")
def upload():
    form = ImportForm()
    if request.form.get("action", "dry-run") not in ACTIONS:
        abort(400)
    if not form.validate():
        return _form_page(form, 422)
    try:
        with unit_of_work():
            upload = imports.store_upload(current_partner_id(), _staff_id(), form.kind.data,
                                          form.file.data.filename or "upload.csv", form.content)
            queued = imports.start(upload, "dry-run")
    except DomainError as error:
        form.file.errors = [error.message]
        return _form_page(form, 422)
    return _after_start(upload.id, queued)


def _staff_id() -> int:
    return current_user.id


def _after_start(upload_id: int, queued: bool):
    if not queued:
        imports.run(upload_id)
    return _report_page(get_or_404(ImportUpload, current_partner_id(), upload_id))


def _report_page(upload: ImportUpload, status: int = 200):
    header, _rows = imports.read_rows(upload.content)
    report = imports.Report.load(upload.report)
    return render_template("imports/report.html", upload=upload, header=header, report=report,
                           mapping=imports.load_mapping(upload), fields=imports.FIELDS[upload.kind]), status


@bp.get("/<int:upload_id>")
def show(upload_id: int):
    return _report_page(get_or_404(ImportUpload, current_partner_id(), upload_id))


@bp.post("/<int:upload_id>")
def again(upload_id: int):
    """The report's buttons: Import (or a new dry run) of the same upload, with the mapping shown."""
    upload = get_or_404(ImportUpload, current_partner_id(), upload_id)
    action = request.form.get("action", "")
    if action not in ACTIONS or upload.state in ("queued", "running"):
        abort(400 if action not in ACTIONS else 409)
    fields = imports.FIELDS[upload.kind]
    header, _rows = imports.read_rows(upload.content)
    mapping, taken = {}, set()
    for index in range(len(header)):
        choice = request.form.get(f"column-{index}", imports.load_mapping(upload).get(index, ""))
        if choice in fields and choice not in taken:
            mapping[index] = choice
            taken.add(choice)
    with unit_of_work():
        queued = imports.start(upload, action, mapping)
    return _after_start(upload.id, queued)


@bp.get("/<int:upload_id>/progress")
def progress(upload_id: int):
    """The progress bar: htmx polls this fragment until the run is done (the answer then has no trigger)."""
    upload = get_or_404(ImportUpload, current_partner_id(), upload_id)
    if not is_partial():
        return _report_page(upload)
    return render_template("imports/_progress.html", upload=upload)


@bp.get("/<int:upload_id>/invalid-rows.csv")
def invalid_rows(upload_id: int):
    upload = get_or_404(ImportUpload, current_partner_id(), upload_id)
    name = upload.filename.rsplit(".", 1)[0] or "import"
    return Response(imports.invalid_rows_csv(upload), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_ascii(name)}-invalid-rows.csv"'})


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in name)[:100]


