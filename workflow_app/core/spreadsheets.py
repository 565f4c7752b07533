"""Tables as downloads: CSV (UTF-8 with BOM, for Excel in a Chinese office) and XLSX (openpyxl).

A table's columns may say what their values are (Column.kind): in XLSX a rate is a number shown as a percentage,
a day or a moment is a date cell, counts are numbers; the sheet has a title row, a bold header that stays in view
when scrolling and columns wide enough for what they hold. CSV writes the same values as text.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workflow_app.core.downloads import download_headers
from workflow_app.core.time import SHANGHAI

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMN_KINDS = ("text", "integer", "percent", "date", "datetime")
NUMBER_FORMATS = {"integer": "0", "percent": "0.0%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
MIN_WIDTH, MAX_WIDTH = 6, 60  # in characters (a Chinese character counts two)


@dataclass(frozen=True)
class Column:
    """A column of a downloaded table: its heading and the kind of its values.

    text: any value, written as text; integer: a whole number; percent: a fraction (0.5 is 50.0%); date: a date;
    datetime: an aware datetime, written in Beijing time. None is an empty cell whatever the kind.
    """

    heading: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def _columns(header) -> list[Column]:
    return [h if isinstance(h, Column) else Column(str(h)) for h in header]


def defuse(value):
    """Keep a spreadsheet from reading a text cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment: datetime) -> datetime:
    """A moment as Beijing's wall-clock time without a zone (a spreadsheet cell has none)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.replace(tzinfo=None)


def _as_text(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "datetime" and isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    return str(defuse(value))


def _as_cell(value, kind: str):
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return _local(value)
    if kind in ("integer", "percent", "date"):
        return value
    return defuse(value if isinstance(value, (int, float)) else str(value))


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def csv_response(name: str, header: list, rows) -> Response:
    columns = _columns(header)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.heading for c in columns])
    for row in rows:
        writer.writerow([_as_text(value, column.kind) for value, column in zip(row, columns, strict=True)])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers=download_headers(name))


def xlsx_response(
    name: str, sheet_title: str, header: list, rows, title: str | None = None, notes: tuple[str, ...] = ()
) -> Response:
    """The table as an XLSX workbook: `title` in its first row (the sheet's title when None), then the header,
    frozen, then the rows; `notes` (a rule, a source) in rows of their own below."""
    columns = _columns(header)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([title or sheet_title])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    if len(columns) > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet.append([c.heading for c in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [_text_width(c.heading) for c in columns]
    for values in rows:
        sheet.append([_as_cell(value, column.kind) for value, column in zip(values, columns, strict=True)])
        for index, (value, column) in enumerate(zip(values, columns, strict=True)):
            cell = sheet.cell(sheet.max_row, index + 1)
            if column.kind in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[column.kind]
            widths[index] = max(widths[index], _text_width(_as_text(value, column.kind)))
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([note])
            row = sheet.max_row
            sheet.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            if len(columns) > 1:
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(columns))
            sheet.row_dimensions[row].height = 15 * (1 + _text_width(note) // max(sum(widths), 40))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A3"  # the title and the header stay in view
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(), mimetype=XLSX_TYPE, headers=download_headers(name))


def table_response(
    kind: str, name: str, sheet_title: str, header: list, rows, title: str | None = None, notes: tuple[str, ...] = ()
) -> Response:
    """The table as a download named `name`.csv or `name`.xlsx (`kind`: "csv" or "xlsx"); `title` and `notes` head
    and follow the XLSX table (CSV holds the table alone)."""
    if kind == "xlsx":
        return xlsx_response(f"{name}.xlsx", sheet_title, header, rows, title, notes)
    return csv_response(f"{name}.csv", header, rows)
