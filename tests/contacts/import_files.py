"""Real spreadsheet files for the import tests, made on the spot."""

from __future__ import annotations

import csv
import io

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows: list[list], sheet_name: str = "Clients") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name)
    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if hasattr(value, "isoformat") and not isinstance(value, str):
                sheet.write_datetime(r, c, value, date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def upload(data: bytes, name: str = "clients.xlsx") -> SimpleUploadedFile:
    kind = XLSX_TYPE if name.endswith(".xlsx") else "text/csv"
    return SimpleUploadedFile(name, data, content_type=kind)
