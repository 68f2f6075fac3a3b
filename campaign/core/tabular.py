"""A shared engine for spreadsheet imports (XLSX or CSV): read, map the header, parse typed cells, collect
every bad row with its line number, and build a template workbook.

Every import built on it follows the same flow: ``read_table`` (size and row limits, clear messages) →
``map_header`` (Vietnamese and English header aliases, accents and case ignored) → one pass over the rows
with the typed parsers, every problem of a row collected in ``Problems`` → a preview → the import writes
every row or none (the caller commits once). Rows whose first cell starts with ``#`` are comments (the
template's explanations row), blank rows are skipped.

The parsers raise ``CellError`` with a translated reason; ``Problems.cell`` turns it into the row's reason.
Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from campaign.core.services import DomainError
from campaign.core.text import fold, nfc

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# Bounds checked in the zip before openpyxl parses anything: a small file can unzip to a huge sheet.
MAX_UNZIPPED = 40 * 1024 * 1024  # the sum of the parts' uncompressed sizes
MAX_RATIO = 100  # uncompressed / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_PARTS = 500
MAX_COLUMNS = 200
MAX_CELLS = 500_000  # cells written in the sheet, and strings in the shared-strings table
MAX_AREA = 2_000_000  # rows x columns of the sheet's used range (openpyxl pads every row to the widest)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMMENT = "#"


class CellError(ValueError):
    """A cell that cannot be read; the message is translated and names the problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- reading -------------------------------------------------------------------------------------

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> list[list]:
    """The rows of the first sheet of an .xlsx, or of a UTF-8 .csv, as lists of cell values.
    DomainError (field "file") with a message for the user when the file cannot be read."""
    name = (filename or "").lower()
    if not data:
        raise DomainError(_("Choose a file to upload."), "file")
    if len(data) > max_bytes:
        raise DomainError(_("The file is too large (at most %(n)d MB).", n=max(1, max_bytes // (1024 * 1024))),
                          "file")
    if name.endswith(".xlsx"):
        extent = inspect_xlsx(data, max_rows=max_rows)  # refuses a workbook bomb before any parsing
        rows: list[list] = []
        filled = 0
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = wb.worksheets[0]
            for r in sheet.iter_rows(values_only=True, max_row=extent.rows or None, max_col=extent.columns or None):
                rows.append(list(r))
                filled += not is_blank(r)
                if filled > max_rows + 10 or len(rows) > 20 * max_rows:
                    break
            wb.close()
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets the same message
            raise DomainError(_("This file cannot be read as an Excel workbook (.xlsx)."), "file") from exc
        if filled > max_rows + 10 or len(rows) > 20 * max_rows:
            raise DomainError(_("At most %(n)d rows at once.", n=max_rows), "file")
        return rows
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(_("Save the CSV file as UTF-8."), "file") from exc
        try:
            return [row for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise DomainError(_("This file cannot be read as a CSV file."), "file") from exc
    raise DomainError(_("Upload an .xlsx or .csv file."), "file")


@dataclass
class Extent:
    """The first sheet's used range as its cells say (not as its ``<dimension>`` claims)."""

    rows: int
    columns: int
    cells: int


_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_REF = re.compile(rb"^([A-Z]{1,3})?(\d{1,7})?$")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _ref(ref: bytes) -> tuple[int, int]:
    """(row, column) of "XFD1048576"; 0 for a missing part."""
    m = _REF.match(ref.strip())
    if not m:
        return 0, 0
    return int(m.group(2) or 0), _column_number(m.group(1) or b"")


def _too_big() -> DomainError:
    return DomainError(_("This workbook is too large to import: at most %(rows)d rows and %(cols)d columns. "
                         "Copy only the rows and columns to import into a new file.",
                         rows=MAX_ROWS, cols=MAX_COLUMNS), "file")


def _unreadable() -> DomainError:
    return DomainError(_("This file cannot be read as an Excel workbook (.xlsx)."), "file")


def _first_sheet_name(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part of the workbook's first sheet (workbook.xml's first <sheet>, through its relationship)."""
    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    m = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id=\"([^\"]+)\"", workbook)
    if not m:
        return None
    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        rid = re.search(rb"\bId=\"([^\"]+)\"", tag)
        target = re.search(rb"\bTarget=\"([^\"]+)\"", tag)
        if rid and target and rid.group(1) == m.group(1):
            path = target.group(1).decode("utf-8", "replace")
            path = path.lstrip("/") if path.startswith("/") else "xl/" + path
            return path if path in names else None
    return None


def inspect_xlsx(data: bytes, *, max_rows: int = MAX_ROWS) -> Extent:
    """Look inside the zip before parsing: the parts' number, uncompressed size and compression ratio,
    the first sheet's declared dimension and its real cells (count, widest column, last row), the
    shared strings. DomainError (field "file") when a bound is passed; the work is bounded by
    ``MAX_UNZIPPED`` bytes whatever the file claims (zipfile stops at the declared size)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _unreadable() from exc
    with zf:
        if len(infos) > MAX_PARTS:
            raise _too_big()
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _too_big()
        if total > MAX_UNZIPPED:
            raise _too_big()
        names = {i.filename for i in infos}
        sheet = _first_sheet_name(zf, names)
        if sheet is None:
            raise _unreadable()
        try:
            xml = zf.read(sheet)
            strings = zf.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else b""
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
            raise _unreadable() from exc
    if _DOCTYPE.search(xml[:4096]) or _DOCTYPE.search(strings[:4096]):
        raise _unreadable()  # a spreadsheet never needs entities
    root = re.search(rb"<(\w+:)?worksheet\b", xml)
    if root is None:
        raise _unreadable()
    prefix = root.group(1) or b""
    # The declared dimension: refused when it claims more than is allowed.
    dim = re.search(rb"<" + re.escape(prefix) + rb"dimension\b[^>]*?\bref=\"([^\"]*)\"", xml)
    if dim:
        last = dim.group(1).split(b":")[-1]
        d_rows, d_cols = _ref(last)
        if d_cols > MAX_COLUMNS or d_rows * max(d_cols, 1) > MAX_AREA:
            raise _too_big()
    # The cells as written.
    cell = b"<" + prefix + b"c"
    cells = xml.count(cell + b" ") + xml.count(cell + b">") + xml.count(cell + b"/>")
    if cells > MAX_CELLS:
        raise _too_big()
    if strings:
        sprefix = re.search(rb"<(\w+:)?sst\b", strings)
        si = b"<" + (sprefix.group(1) if sprefix and sprefix.group(1) else b"") + b"si"
        if strings.count(si + b">") + strings.count(si + b" ") + strings.count(si + b"/>") > MAX_CELLS:
            raise _too_big()
    columns = 0  # the widest column named by a cell's reference (e.g. r="XFD1")
    for m in re.finditer(rb"<" + re.escape(prefix) + rb"c\b[^>]*?\br=\"([A-Z]{1,3})\d+\"", xml):
        columns = max(columns, _column_number(m.group(1)))
        if columns > MAX_COLUMNS:
            raise _too_big()
    chunks = re.split(rb"<" + re.escape(prefix) + rb"row[\s>/]", xml)[1:]
    # Cells without a reference follow each other: the most cells in one row bound the width too.
    columns = max([columns, *(c.count(cell + b" ") + c.count(cell + b">") + c.count(cell + b"/>") for c in chunks)])
    last_row = len(chunks)
    for m in re.finditer(rb"<" + re.escape(prefix) + rb"row\b[^>]*?\br=\"(\d{1,9})\"", xml):
        last_row = max(last_row, int(m.group(1)))
    if columns > MAX_COLUMNS or last_row * max(columns, 1) > MAX_AREA or last_row > 20 * max_rows + 20:
        raise _too_big()
    return Extent(rows=last_row, columns=columns, cells=cells)


def is_blank(cells: Sequence) -> bool:
    return all(_cell_text(c) == "" for c in cells)


def is_comment(cells: Sequence) -> bool:
    first = next((c for c in cells if _cell_text(c) != ""), None)
    return isinstance(first, str) and first.strip().startswith(COMMENT)


# --- columns and the header --------------------------------------------------------------------

def header_key(text) -> str:
    """How a header is compared: accents, case, spaces, underscores and a trailing "*" ignored."""
    return re.sub(r"[\s_*:()./-]+", " ", fold(_cell_text(text))).strip()


@dataclass
class Column:
    key: str  # the canonical (English) name, also accepted as a header
    label: object  # lazy translated label: the template's header
    aliases: tuple[str, ...] = ()  # other accepted headers (Vietnamese and English)
    required: bool = False  # the column must be in the header
    help: object = ""  # lazy translated explanation, in the template's second row
    choices: Callable[[], list[str]] | None = None  # a drop-down list in the template
    width: int = 18

    def names(self) -> set[str]:
        """Every accepted header: the key, the label in Vietnamese and in English, the aliases."""
        labels = []
        for locale in ("vi", "en"):
            try:
                with force_locale(locale):
                    labels.append(str(self.label))
            except RuntimeError:  # outside an application context
                labels.append(str(self.label))
        return {header_key(n) for n in (self.key, *labels, *self.aliases)}


@dataclass
class Header:
    positions: dict[str, int]  # column key -> position in the row
    unknown: list[str] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.positions

    def get(self, cells: Sequence, key: str):
        pos = self.positions.get(key)
        if pos is None or pos >= len(cells):
            return None
        value = cells[pos]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value


def map_header(row: Sequence, columns: Sequence[Column]) -> Header:
    """Match each header cell to a column. DomainError listing the required columns that are missing,
    or naming a column given twice; unknown headers are kept in ``unknown`` (the caller decides)."""
    lookup: dict[str, str] = {}
    for col in columns:
        for name in col.names():
            lookup.setdefault(name, col.key)
    positions: dict[str, int] = {}
    unknown = []
    for pos, cell in enumerate(row):
        key = header_key(cell)
        if not key:
            continue
        col = lookup.get(key)
        if col is None:
            unknown.append(_cell_text(cell))
        elif col in positions:
            raise DomainError(_("The column “%(c)s” appears twice.", c=_cell_text(cell)), "file")
        else:
            positions[col] = pos
    missing = [str(c.label) for c in columns if c.required and c.key not in positions]
    if missing:
        raise DomainError(_("The first row must name the columns. Missing: %(c)s.", c=", ".join(missing)), "file")
    return Header(positions, unknown)


def data_rows(rows: list[list], *, max_rows: int = MAX_ROWS, first_line: int = 2) -> Iterator[tuple[int, list]]:
    """(line number, cells) of the rows after the header, blank and comment rows skipped."""
    body = rows[first_line - 1:]
    if len(body) > max_rows and sum(1 for r in body if not is_blank(r)) > max_rows:
        raise DomainError(_("At most %(n)d rows at once.", n=max_rows), "file")
    for line, cells in enumerate(body, start=first_line):
        if is_blank(cells) or is_comment(cells):
            continue
        yield line, list(cells)


def count_rows(rows: list[list]) -> int:
    return sum(1 for r in rows[1:] if not is_blank(r) and not is_comment(r))


# --- cell parsers ---------------------------------------------------------------------------------

def text(value, *, max_len: int, what: str = "") -> str:
    out = nfc(_cell_text(value))
    if len(out) > max_len:
        raise CellError(_("%(what)s is longer than %(n)d characters", what=what or _("the text"), n=max_len))
    return out


def number(value) -> float | None:
    """12, 12.5, "1.234,5" (Vietnamese), "1,234.5", "12,5", blank → None. CellError otherwise."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise CellError(_("“%(v)s” is not a number", v=value))
        return None
    if isinstance(value, int | float):
        return float(value)
    raw = str(value).strip()
    t = raw.replace(" ", "").replace("\u00a0", "")
    if not t:
        return None
    if "," in t and "." in t:  # 1.234,5 (Vietnamese) or 1,234.5
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif "," in t:
        t = t.replace(",", ".")
    elif t.count(".") > 1:
        t = t.replace(".", "")  # 1.234.567
    try:
        out = float(t)
    except ValueError as exc:
        raise CellError(_("“%(v)s” is not a number", v=raw)) from exc
    if out != out or out in (float("inf"), float("-inf")):
        raise CellError(_("“%(v)s” is not a number", v=raw))
    return out


def whole(value, *, minimum: int | None = 0, maximum: int | None = None) -> int | None:
    """A whole number (Vietnamese separators accepted, "1.200" is twelve hundred), blank → None."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(\.\d{3})+\s*", value):
        value = value.replace(".", "")
    n = number(value)
    if n is None:
        return None
    if not float(n).is_integer():
        raise CellError(_("“%(v)s” is not a whole number", v=_cell_text(value)))
    n = int(n)
    if minimum is not None and n < minimum:
        raise CellError(_("%(v)s is less than %(m)d", v=n, m=minimum))
    if maximum is not None and n > maximum:
        raise CellError(_("%(v)s is more than %(m)d", v=n, m=maximum))
    return n


def day(value) -> date | None:
    """A date: an Excel date cell, dd/mm/yyyy (or dd-mm-yyyy, dd.mm.yyyy) or yyyy-mm-dd; blank → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise CellError(_("“%(v)s” is not a date (dd/mm/yyyy)", v=raw))


YES = {"1", "yes", "y", "true", "x", "co", "dong y", "da dong y", "ok", "✓", "v"}
NO = {"0", "no", "n", "false", "khong", "khong dong y", "-"}


def yes_no(value) -> bool | None:
    """yes / có / x / 1 → True, no / không / 0 → False, blank → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    key = fold(_cell_text(value))
    if not key:
        return None
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError(_("“%(v)s” is not yes or no", v=_cell_text(value)))


def choice(value, options: dict[str, str]) -> str | None:
    """A code from ``options`` (accepted text, folded → code); blank → None."""
    key = header_key(value)
    if not key:
        return None
    if key in options:
        return options[key]
    raise CellError(_("“%(v)s” is not one of the allowed values", v=_cell_text(value)))


def choices(value, options: dict[str, str]) -> list[str]:
    """Several codes separated by ";" or "," (or new lines)."""
    raw = _cell_text(value)
    out = []
    for part in re.split(r"[;,\n]", raw):
        if part.strip():
            code = choice(part, options)
            if code not in out:
                out.append(code)
    return out


def options_of(labels: dict[str, object], extra: dict[str, Iterable[str]] | None = None) -> dict[str, str]:
    """{folded accepted text: code}: the code itself, its label (in the current language) and extra names."""
    out = {}
    for code, label in labels.items():
        for name in (code, str(label), *((extra or {}).get(code, ()))):
            out.setdefault(header_key(name), code)
    return out


def phone(value, normalise: Callable[[str], str | None]) -> str | None:
    """A phone number through the feature's normaliser (E.164); Excel's numbers lose their leading 0."""
    if value is None:
        return None
    raw = _cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and raw and not raw.startswith("0"):
        raw = "0" + raw
    if not raw:
        return None
    try:
        return normalise(raw)
    except DomainError as err:
        raise CellError(err.message) from err


# --- writing CSV ---------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value for a CSV cell: text a spreadsheet would run as a formula (starting with = + - @, a tab or
    a carriage return) gets a leading apostrophe, so it shows as text; None is an empty cell; numbers are
    written as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


# --- problems of the rows ----------------------------------------------------------------------

@dataclass
class Problems:
    """The reasons of one row; ``cell`` runs a parser and keeps its reason instead of raising."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)

    def cell(self, label, fn: Callable, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CellError as err:
            self.items.append(_("%(col)s: %(reason)s", col=str(label), reason=err.message))
        except DomainError as err:
            self.items.append(_("%(col)s: %(reason)s", col=str(label), reason=err.message))
        return None

    def __bool__(self) -> bool:
        return bool(self.items)

    def text(self) -> str:
        return "; ".join(self.items)


# --- templates -----------------------------------------------------------------------------------

def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "data"


def template_workbook(title: str, columns: Sequence[Column], rows: Iterable[Sequence] = (),
                      lists_title: str = "lists") -> bytes:
    """A workbook: the header row (the columns' labels), a "#" row explaining each column, ``rows`` (e.g.
    the current records) and drop-down lists (a hidden sheet) for the columns that have choices."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(title)
    ws.append([str(c.label) + (" *" if c.required else "") for c in columns])
    explanations = [str(c.help or "") for c in columns]
    explanations[0] = COMMENT + " " + explanations[0]
    ws.append(explanations)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(italic=True, color="555555")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
    last = max(count + 2, 2) + 1000
    lists = None
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
        if col.choices is None:
            continue
        values = [v for v in col.choices() if v]
        if not values:
            continue
        if lists is None:
            lists = wb.create_sheet(_sheet_title(lists_title))
            lists.sheet_state = "hidden"
        lcol = get_column_letter(lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1)
        lists[f"{lcol}1"] = str(col.label)
        for r, v in enumerate(values, start=2):
            lists[f"{lcol}{r}"] = v
        dv = DataValidation(type="list", formula1=f"'{lists.title}'!${lcol}$2:${lcol}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorStyle="warning")
        ws.add_data_validation(dv)
        dv.add(f"{letter}3:{letter}{last}")
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
