"""CSV import of customers (with their users): read, map, judge and write each row by the
dashboard's and the sync's own rules (services.customers.upsert_customer, update_customer).

- The file: UTF-8 with or without a BOM; comma or semicolon (whichever the header line has more
  of). Line numbers are the file's: the header is line 1 and a row is numbered by the line it
  starts on (a quoted cell holding line breaks makes the next row start lines later).
- Columns are recognized by header name (ALIASES, case, spaces and punctuation ignored) or by
  what the partner mapped that header to last time (ImportColumn).
- A row matches an existing customer by its external id (source "csv"), else its EIN, else its
  company and postal code; it is then updated (the file's columns only), else created.
  Each row is new, update, unchanged or invalid; running the same file again changes nothing.
- Each row runs in its own savepoint: a refused row leaves nothing behind and never stops the
  others. Rows are written in batches of BATCH, each its own transaction; a dry run rolls each
  batch back (so a row repeated in the file more than BATCH rows later counts as new twice in a
  dry run, and as new then unchanged in the import).
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

import keys
from extensions import db
from forms import rules
from models import Customer, ImportColumn, ImportUpload
from models._time import utcnow
from services.customers import one_sync_at_a_time, synced_customer, update_customer, upsert_customer
from services.errors import DomainError, InvalidFields
from tenancy import customers, scoped
from unit_of_work import domain_error, unit_of_work

SOURCE = "csv"  # the source of an imported customer's external id
BATCH = 100
BACKGROUND_ROWS = 1000  # a file with more rows runs in the worker, with a progress bar
MAX_BYTES = 10 * 1024 * 1024

CUSTOMER_FIELDS = ("company", "legal_name", "ein", "address", "city", "state", "postal_code", "country",
                   "external_id", "users")
FIELDS = {"customers": CUSTOMER_FIELDS}
ALIASES = {
    "customers": {
        "company": "company", "companyname": "company", "customer": "company", "customername": "company",
        "legalname": "legal_name", "ein": "ein", "taxid": "ein", "address": "address", "street": "address",
        "address1": "address", "city": "city", "town": "city", "state": "state", "province": "state",
        "postalcode": "postal_code", "zip": "postal_code", "zipcode": "postal_code", "postcode": "postal_code",
        "country": "country", "externalid": "external_id", "users": "users", "contacts": "users",
    },
}
OUTCOMES = {"created": "new", "updated": "update", "unchanged": "unchanged"}


class UnreadableFile(DomainError):
    field = "file"


@dataclass
class Report:
    counts: dict = field(default_factory=lambda: {"new": 0, "update": 0, "unchanged": 0, "invalid": 0})
    errors: list = field(default_factory=list)  # [line, field, message]
    invalid_rows: list = field(default_factory=list)  # [line, [cells], "field: message; …"]

    @classmethod
    def load(cls, text: str | None) -> "Report":
        return cls(**json.loads(text)) if text else cls()


# -- reading the file --------------------------------------------------------------------

def header_key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())[:100]


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("The file must be UTF-8 text: in a spreadsheet, save it as “CSV UTF-8”") from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_rows(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows as (line number, cells), blank rows left out."""
    text = decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise UnreadableFile("The file is empty: its first line must name the columns") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        ended = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # a cell over csv's 128 kB limit, a NUL…
                raise UnreadableFile(f"Line {ended + 1} cannot be read as CSV ({error})") from None
            start, ended = ended + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells

    return header, rows()


def count_rows(content: bytes) -> int:
    return sum(1 for _ in read_rows(content)[1])


def guess_mapping(partner_id: int, kind: str, header: list[str]) -> dict[int, str]:
    """Column index -> field: the partner's remembered choice for the header, else its alias."""
    remembered = dict(db.session.execute(
        scoped(ImportColumn, partner_id, ImportColumn.header_key, ImportColumn.field)
        .where(ImportColumn.kind == kind)).all())
    mapping, taken = {}, set()
    for index, name in enumerate(header):
        key = header_key(name)
        choice = remembered.get(key, ALIASES[kind].get(key, ""))
        if choice and choice not in taken:
            mapping[index] = choice
            taken.add(choice)
    return mapping


def remember_mapping(partner_id: int, kind: str, header: list[str], mapping: dict[int, str]) -> None:
    stored = {row.header_key: row for row in db.session.scalars(
        scoped(ImportColumn, partner_id).where(ImportColumn.kind == kind))}
    for index, name in enumerate(header):
        key = header_key(name)
        if not key:
            continue
        choice = mapping.get(index, "")
        if key in stored:
            stored[key].field = choice
        elif choice != ALIASES[kind].get(key, ""):
            db.session.add(ImportColumn(partner_id=partner_id, kind=kind, header_key=key, field=choice))
    db.session.flush()


def load_mapping(upload: ImportUpload) -> dict[int, str]:
    return {int(index): name for index, name in json.loads(upload.mapping).items()}


# -- one row -----------------------------------------------------------------------------

_USER = re.compile(r"^\s*(.*?)\s*<\s*([^<>]*?)\s*>\s*$")


def parse_users(cell: str) -> list[dict]:
    """`Name <email>; Name <email>`: each entry's name and email (an entry without <…> is an email)."""
    users = []
    for entry in cell.split(";"):
        if not entry.strip():
            continue
        match = _USER.match(entry)
        users.append({"name": match[1], "email": match[2]} if match else {"name": "", "email": entry.strip()})
    return users


def _by_ein(partner_id: int, raw: str | None) -> Customer | None:
    try:
        ein = rules.normalize_ein(raw) if (raw or "").strip() else ""
    except rules.RuleError:
        return None
    return db.session.scalar(customers(partner_id).where(Customer.ein == ein)) if ein else None


def _by_company_and_postal_code(partner_id: int, company: str | None, postal_code: str | None) -> Customer | None:
    if not (company or "").strip() or not (postal_code or "").strip():
        return None
    squashed = re.sub(r"[\s-]", "", postal_code).upper()
    for candidate in db.session.scalars(customers(partner_id).where(Customer.company_key == keys.company_key(company))):
        if re.sub(r"[\s-]", "", candidate.postal_code).upper() == squashed:
            return candidate
    return None


def import_customer(partner_id: int, values: dict, *, staff_id: int | None) -> str:
    """One row: update the customer it matches, else create it. Returns created/updated/unchanged."""
    external_id = (values.pop("external_id", "") or "").strip() or None
    if "users" in values:
        values["users"] = parse_users(values["users"]) or None
    existing = None
    if external_id:
        one_sync_at_a_time(partner_id)
        existing = synced_customer(partner_id, SOURCE, external_id)
    existing = (existing or _by_ein(partner_id, values.get("ein"))
                or _by_company_and_postal_code(partner_id, values.get("company"), values.get("postal_code")))
    if existing is not None:
        return update_customer(existing, values, staff_id=staff_id)
    return upsert_customer(partner_id, values, source=SOURCE if external_id else None, external_id=external_id,
                           staff_id=staff_id)[1]


ROW_HANDLERS: dict[str, Callable[..., str]] = {"customers": import_customer}


def _problems(error: DomainError) -> list[tuple[str, str]]:
    errors = error.errors if isinstance(error, InvalidFields) else [error]
    return [((e.field or "row").split("[", 1)[0], e.message) for e in errors]


def _run_row(upload: ImportUpload, mapping: dict[int, str], line: int, cells: list[str], report: Report) -> None:
    values = {name: (cells[index] if index < len(cells) else "") for index, name in mapping.items()}
    try:
        with db.session.begin_nested():
            outcome = ROW_HANDLERS[upload.kind](upload.partner_id, values, staff_id=upload.staff_id)
    except (IntegrityError, StaleDataError) as error:
        translated = domain_error(error)
        if translated is error:
            raise
        problems = _problems(translated)
    except DomainError as error:
        problems = _problems(error)
    else:
        report.counts[OUTCOMES[outcome]] += 1
        return
    report.counts["invalid"] += 1
    report.errors += [[line, name, message] for name, message in problems]
    report.invalid_rows.append([line, cells, "; ".join(f"{name}: {message}" for name, message in problems)])


class _DryRun(Exception):
    """Raised at the end of a dry run's batch: its unit of work rolls everything back."""


def run(upload_id: int, *, progress: bool = False) -> Report:
    """Run the upload's action (dry-run or import) over every row and store its report.
    Commits its own transactions (one per batch): call it with nothing pending."""
    upload = db.session.get(ImportUpload, upload_id)
    header, rows = read_rows(upload.content)
    mapping, kind, dry = load_mapping(upload), upload.kind, upload.action == "dry-run"
    report, done, batch = Report(), 0, []

    def write(batch: list) -> None:
        try:
            with unit_of_work():
                # A write first: SQLite's driver begins its transaction at the first write, and a
                # savepoint opened before it would start (and its release commit) one of its own.
                db.session.execute(update(ImportUpload).where(ImportUpload.id == upload_id)
                                   .values(done_rows=ImportUpload.done_rows))
                for line, cells in batch:
                    _run_row(upload, mapping, line, cells, report)
                if dry:
                    raise _DryRun
        except _DryRun:
            pass

    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            write(batch)
            done += len(batch)
            batch = []
            upload = _progress(upload_id, done) if progress else db.session.get(ImportUpload, upload_id)
    if batch:
        write(batch)
        done += len(batch)
    with unit_of_work():
        upload = db.session.get(ImportUpload, upload_id)
        if not dry:
            remember_mapping(upload.partner_id, kind, header, mapping)
        upload.report = json.dumps(asdict(report))
        upload.done_rows, upload.state, upload.finished_at = done, "done", utcnow()
    return report


def _progress(upload_id: int, done: int) -> ImportUpload:
    with unit_of_work():
        upload = db.session.get(ImportUpload, upload_id)
        upload.done_rows = done
    db.session.expunge_all()  # the rows written so far need not stay in memory
    return db.session.get(ImportUpload, upload_id)


# -- uploads -----------------------------------------------------------------------------

def store_upload(partner_id: int, staff_id: int | None, kind: str, filename: str, content: bytes) -> ImportUpload:
    """Keep the file (the report's Import runs on the same bytes) with its guessed mapping."""
    header, _rows = read_rows(content)
    total = count_rows(content)
    if not total:
        raise UnreadableFile("The file has no rows below its header line")
    upload = ImportUpload(partner_id=partner_id, staff_id=staff_id, kind=kind, filename=filename[:255],
                          content=content, total_rows=total,
                          mapping=json.dumps(guess_mapping(partner_id, kind, header)))
    db.session.add(upload)
    db.session.flush()
    return upload


def start(upload: ImportUpload, action: str, mapping: dict[int, str] | None = None) -> bool:
    """Ask for a run; True when it is queued for the worker (a large file), False when the
    caller runs it now (run())."""
    upload.action = action
    if mapping is not None:
        upload.mapping = json.dumps(mapping)
    upload.done_rows, upload.report, upload.finished_at = 0, None, None
    upload.state = "queued" if upload.total_rows > BACKGROUND_ROWS else "running"
    db.session.flush()
    return upload.state == "queued"


def run_queued(_worker: str = "", stopping: Callable[[], bool] = lambda: False) -> str | None:
    """The worker's job: run the queued uploads, oldest first, one at a time."""
    ran = 0
    while not stopping():
        with unit_of_work():
            upload = db.session.scalar(select(ImportUpload).where(ImportUpload.state == "queued")
                                       .order_by(ImportUpload.id).limit(1).with_for_update(skip_locked=True))
            if upload is None:
                break
            upload.state = "running"
            upload_id = upload.id
        run(upload_id, progress=True)
        ran += 1
    return f"Ran {ran} import(s)." if ran else None


# -- the invalid rows, to fix and upload again ------------------------------------------------

_FORMULA = ("=", "+", "-", "@")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA) else value


def invalid_rows_csv(upload: ImportUpload) -> str:
    header, _rows = read_rows(upload.content)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in [*header, "error"]])
    for line, cells, error in Report.load(upload.report).invalid_rows:
        writer.writerow([safe_cell(cell) for cell in [*cells, f"Line {line}: {error}"]])
    return out.getvalue()
