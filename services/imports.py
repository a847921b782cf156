"""CSV import of customers (with their users) and of invoices (with their lines): read, map,
judge and write each row by the dashboard's and the sync's own rules
(services.customers.upsert_customer, update_customer; forms.invoice.judge_draft and
services.invoices.upsert_invoice).

- The file: UTF-8 with or without a BOM; comma or semicolon (whichever the header line has more
  of). Line numbers are the file's: the header is line 1 and a row is numbered by the line it
  starts on (a quoted cell holding line breaks makes the next row start lines later).
- Columns are recognized by header name (ALIASES, case, spaces and punctuation ignored) or by
  what the partner mapped that header to last time (ImportColumn).
- A row matches an existing customer by its external id (source "csv"), else its EIN, else its
  company and postal code; it is then updated (the file's columns only), else created.
  Each row is new, update, unchanged or invalid; running the same file again changes nothing.
- An invoice is the adjacent rows with the same external id, one row per line (GROUPED); its
  customer, dates, memo and status are read from its first row. A row of a customers file is
  a unit of its own.
- Each unit (a customer's row, an invoice's rows) runs in its own savepoint: a refused unit
  leaves nothing behind and never stops the others, and all of its rows are invalid. Units are
  written in batches of about BATCH rows (a unit is never split), each batch its own
  transaction; a dry run rolls each batch back (so a row repeated in the file more than BATCH
  rows later counts as new twice in a dry run, and as new then unchanged in the import).
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
from forms.invoice import InvoiceForm, judge_draft
from models import Customer, ImportColumn, ImportUpload, Partner
from models._time import utcnow
from services.customers import one_sync_at_a_time, synced_customer, update_customer, upsert_customer
from services.errors import DomainError, InvalidFields
from services.invoices import partner_today, upsert_invoice
from tenancy import customers, scoped
from unit_of_work import domain_error, unit_of_work

SOURCE = "csv"  # the source of an imported customer's external id
BATCH = 100
BACKGROUND_ROWS = 1000  # a file with more rows runs in the worker, with a progress bar
MAX_BYTES = 10 * 1024 * 1024

CUSTOMER_FIELDS = ("company", "legal_name", "ein", "address", "city", "state", "postal_code", "country",
                   "external_id", "users")
INVOICE_FIELDS = ("external_id", "customer_external_id", "customer_ein", "customer", "issue_date", "due_date",
                  "memo", "status", "description", "quantity", "unit_price", "tax_rate")
FIELDS = {"customers": CUSTOMER_FIELDS, "invoices": INVOICE_FIELDS}
ALIASES = {
    "customers": {
        "company": "company", "companyname": "company", "customer": "company", "customername": "company",
        "legalname": "legal_name", "ein": "ein", "taxid": "ein", "address": "address", "street": "address",
        "address1": "address", "city": "city", "town": "city", "state": "state", "province": "state",
        "postalcode": "postal_code", "zip": "postal_code", "zipcode": "postal_code", "postcode": "postal_code",
        "country": "country", "externalid": "external_id", "users": "users", "contacts": "users",
    },
    "invoices": {
        "externalid": "external_id", "invoiceid": "external_id", "invoice": "external_id",
        "invoiceexternalid": "external_id", "customerexternalid": "customer_external_id",
        "customerid": "customer_external_id", "customerein": "customer_ein", "ein": "customer_ein",
        "taxid": "customer_ein", "customer": "customer", "customername": "customer", "company": "customer",
        "companyname": "customer", "issuedate": "issue_date", "invoicedate": "issue_date", "date": "issue_date",
        "duedate": "due_date", "due": "due_date", "memo": "memo", "notes": "memo", "status": "status",
        "description": "description", "item": "description", "quantity": "quantity", "qty": "quantity",
        "unitprice": "unit_price", "price": "unit_price", "taxrate": "tax_rate", "tax": "tax_rate",
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


# -- invoices: one per run of adjacent rows with the same external id, one row per line -------

INVOICE_CELLS = ("customer_external_id", "customer_ein", "customer", "issue_date", "due_date", "memo", "status")
FINALIZE = {"": False, "draft": False, "open": True}  # status -> finalize it (it takes the next number)
_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")  # forms.invoice.lines_field's names


class RowsRefused(DomainError):
    """Rows of one unit (an invoice's lines) refused: problems[line] = [(field, message), …]."""

    def __init__(self, problems: dict[int, list[tuple[str, str]]]):
        name, message = problems[min(problems)][0]
        super().__init__(message, field=name)
        self.problems = problems


def _cell(values: dict, name: str) -> str:
    return (values.get(name) or "").strip()


def _one_customer(found: list[Customer], *, field: str, none: str, several: str) -> Customer:
    if len(found) != 1:
        raise DomainError(none if not found else several, field=field)
    return found[0]


def _customer_by_external_id(partner_id: int, text: str) -> Customer:
    return _one_customer(list(db.session.scalars(customers(partner_id).where(Customer.external_id == text))),
                         field="customer_external_id",
                         none=f"No customer has the external ID “{text}”: import or sync the customer first",
                         several=f"Several customers have the external ID “{text}”: give customer_ein or customer")


def _customer_by_ein(partner_id: int, text: str) -> Customer:
    try:
        ein = rules.normalize_ein(text)
    except rules.RuleError as error:
        raise DomainError(str(error), field="customer_ein") from None
    return _one_customer(list(db.session.scalars(customers(partner_id).where(Customer.ein == ein))),
                         field="customer_ein", none=f"No customer has the EIN {ein}",
                         several=f"Several customers have the EIN {ein}")


def _customer_by_company(partner_id: int, text: str) -> Customer:
    candidates = db.session.scalars(customers(partner_id).where(Customer.company_key == keys.company_key(text)))
    return _one_customer([c for c in candidates if c.company.casefold() == text.casefold()], field="customer",
                         none=f"No customer is named “{text}”",
                         several=f"Several customers are named “{text}”: give customer_external_id or customer_ein")


# Tried in this order, each with a value in the row, until one finds the customer.
CUSTOMER_FINDERS: dict[str, Callable[[int, str], Customer]] = {
    "customer_external_id": _customer_by_external_id, "customer_ein": _customer_by_ein,
    "customer": _customer_by_company,
}


def _invoice_customer(partner_id: int, values: dict) -> Customer:
    refused = []
    for name, find in CUSTOMER_FINDERS.items():
        if _cell(values, name):
            try:
                return find(partner_id, _cell(values, name))
            except DomainError as error:
                refused.append(error)
    raise InvalidFields(refused or [DomainError(
        "Enter the customer: its customer_external_id, customer_ein or company name (customer)", field="customer")])


def import_invoice(partner_id: int, rows: list[tuple[int, dict]], *, staff_id: int | None) -> str:
    """One invoice, one row per line (line number, values): create or update it by the
    dashboard's rules (judge_draft, upsert_invoice), finalized when its status is open.
    Returns created/updated/unchanged; RowsRefused names each refused cell's row."""
    (first_line, first), problems = rows[0], {}

    def refuse(line: int, errors: list[DomainError]) -> None:
        if errors:
            problems.setdefault(line, []).extend(_problems(InvalidFields(errors)))

    for line, values in rows[1:]:
        refuse(line, [DomainError(f"Line {first_line} (the invoice's first row) gives another {name}: leave it "
                                  "empty or the same on the invoice's other rows", field=name)
                      for name in INVOICE_CELLS if _cell(values, name) not in ("", _cell(first, name))])
    external_id = _cell(first, "external_id")
    if not external_id:
        refuse(first_line, [DomainError("Enter the invoice's external ID: the rows of one invoice share it, and "
                                        "it finds the invoice again when the file is imported again",
                                        field="external_id")])
    status = _cell(first, "status").casefold()
    if status not in FINALIZE:
        refuse(first_line, [DomainError("Enter draft or open (empty: draft)", field="status")])
    customer = draft = None
    try:
        customer = _invoice_customer(partner_id, first)
    except InvalidFields as error:
        refuse(first_line, error.errors)
    try:
        draft = judge_draft({**{name: first.get(name) for name in InvoiceForm.FIELDS},
                             "lines": [values for _line, values in rows]})
    except InvalidFields as error:
        for each in error.errors:
            on_line = _LINE_FIELD.fullmatch(each.field or "")
            refuse(rows[int(on_line[1])][0] if on_line else first_line,
                   [DomainError(each.message, field=on_line[2] if on_line else each.field)])
    if problems:
        raise RowsRefused(problems)
    today = partner_today(db.session.get(Partner, partner_id)) if FINALIZE[status] else None
    return upsert_invoice(customer, draft, source=SOURCE, external_id=external_id, staff_id=staff_id,
                          finalize_on=today)[1]


# -- the units of a file, and running them --------------------------------------------------

# kind -> the row handler: (partner_id, [(line, values)] of one unit, staff_id) -> created/updated/unchanged
ROW_HANDLERS: dict[str, Callable[..., str]] = {
    "customers": lambda partner_id, rows, *, staff_id: import_customer(partner_id, rows[0][1], staff_id=staff_id),
    "invoices": import_invoice,
}


@dataclass(frozen=True)
class Grouping:
    key: str  # adjacent rows with the same (non-empty) value of this field are one unit
    held_back: str  # what a unit's row says when another of its rows was refused ({line}: the first such)


GROUPED = {"invoices": Grouping("external_id", "Not imported: line {line} of the same invoice is invalid, and an "
                                               "invoice is imported with all of its lines or not at all")}


def _units(kind: str, mapping: dict[int, str], rows: Iterator[tuple[int, list[str]]]) -> Iterator[list]:
    """The rows in units: [(line, cells), …] each, in the file's order."""
    column = next((index for index, name in mapping.items() if kind in GROUPED and name == GROUPED[kind].key), None)

    def key(cells: list[str]) -> str:
        return cells[column].strip() if column is not None and column < len(cells) else ""

    unit: list = []
    for line, cells in rows:
        if unit and not (key(cells) and key(cells) == key(unit[0][1])):
            yield unit
            unit = []
        unit.append((line, cells))
    if unit:
        yield unit


def _problems(error: DomainError) -> list[tuple[str, str]]:
    errors = error.errors if isinstance(error, InvalidFields) else [error]
    return [((e.field or "row").split("[", 1)[0], e.message) for e in errors]


def _run_unit(upload: ImportUpload, mapping: dict[int, str], unit: list[tuple[int, list[str]]],
              report: Report) -> None:
    rows = [(line, {name: (cells[index] if index < len(cells) else "") for index, name in mapping.items()})
            for line, cells in unit]
    try:
        with db.session.begin_nested():
            outcome = ROW_HANDLERS[upload.kind](upload.partner_id, rows, staff_id=upload.staff_id)
    except (IntegrityError, StaleDataError) as error:
        translated = domain_error(error)
        if translated is error:
            raise
        problems = {unit[0][0]: _problems(translated)}
    except RowsRefused as error:
        problems = error.problems
    except DomainError as error:
        problems = {unit[0][0]: _problems(error)}
    else:
        report.counts[OUTCOMES[outcome]] += len(unit)
        return
    report.counts["invalid"] += len(unit)
    for line, cells in unit:
        mine = problems.get(line) or [("row", GROUPED[upload.kind].held_back.format(line=min(problems)))]
        report.errors += [[line, name, message] for name, message in mine]
        report.invalid_rows.append([line, cells, "; ".join(f"{name}: {message}" for name, message in mine)])


class _DryRun(Exception):
    """Raised at the end of a dry run's batch: its unit of work rolls everything back."""


def run(upload_id: int, *, progress: bool = False) -> Report:
    """Run the upload's action (dry-run or import) over every row and store its report.
    Commits its own transactions (one per batch): call it with nothing pending."""
    upload = db.session.get(ImportUpload, upload_id)
    header, rows = read_rows(upload.content)
    mapping, kind, dry = load_mapping(upload), upload.kind, upload.action == "dry-run"
    report, done, batch = Report(), 0, []

    def write(batch: list) -> int:
        try:
            with unit_of_work():
                # A write first: SQLite's driver begins its transaction at the first write, and a
                # savepoint opened before it would start (and its release commit) one of its own.
                db.session.execute(update(ImportUpload).where(ImportUpload.id == upload_id)
                                   .values(done_rows=ImportUpload.done_rows))
                for unit in batch:
                    _run_unit(upload, mapping, unit, report)
                if dry:
                    raise _DryRun
        except _DryRun:
            pass
        return sum(len(unit) for unit in batch)

    for unit in _units(kind, mapping, rows):
        batch.append(unit)
        if sum(len(each) for each in batch) >= BATCH:
            done += write(batch)
            batch = []
            upload = _progress(upload_id, done) if progress else db.session.get(ImportUpload, upload_id)
    if batch:
        done += write(batch)
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
