"""Tables as downloads: CSV (UTF-8 with BOM, for Excel in a Chinese office) and XLSX (openpyxl)."""
import csv
import io

from flask import Response
from openpyxl import Workbook

from workflow_app.core.downloads import download_headers

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def defuse(value):
    """Keep a spreadsheet from reading a text cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(name: str, header: list, rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([defuse(value) for value in row])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers=download_headers(name))


def xlsx_response(name: str, sheet_title: str, header: list, rows) -> Response:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append([defuse(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(), mimetype=XLSX_TYPE, headers=download_headers(name))


def table_response(kind: str, name: str, sheet_title: str, header: list, rows) -> Response:
    """The table as a download named `name`.csv or `name`.xlsx (`kind`: "csv" or "xlsx")."""
    if kind == "xlsx":
        return xlsx_response(f"{name}.xlsx", sheet_title, header, rows)
    return csv_response(f"{name}.csv", header, rows)
