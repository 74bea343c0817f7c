"""Exports of a list or segment: CSV streamed row by row, XLSX written in constant memory."""

from __future__ import annotations

import csv
import itertools
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from crm import objects
from crm.spreadsheets import defuse_row
from crm.tenancy.context import keep_scope


def columns(object_type: str) -> list[tuple[str, str]]:
    """(field, header) of an export: the id, then the registry's catalogue of the type
    (crm/objects.py), headers in the reader's language. Custom fields follow, by key."""
    catalogue = objects.get(object_type).fields
    return [("id", "ID"), *((f.key, str(f.label)) for f in catalogue)]


def _cell(record, name, custom_keys):
    if name == "company":
        return record.company.name if record.company_id else ""
    if name == "owner":
        return record.owner.email if record.owner_id else ""
    return getattr(record, name)


def rows(queryset, object_type: str, custom_keys: list[str]):
    """Header, then one list of safe strings per record, reading in chunks."""
    columns_ = columns(object_type)
    yield defuse_row([label for _, label in columns_] + custom_keys)
    for record in queryset.iterator(chunk_size=2000):
        values = [_cell(record, name, custom_keys) for name, _ in columns_]
        values += [record.custom.get(key) for key in custom_keys]
        yield defuse_row(values)


class _Echo:
    def write(self, value):
        return value


def csv_response(queryset, object_type, custom_keys, filename):
    writer = csv.writer(_Echo())
    lines = rows(queryset, object_type, custom_keys)
    # The header and the first record are read here, in the view: a query that fails does so
    # before the answer starts (an error page), not after a 200 and half a file.
    first = list(itertools.islice(lines, 2))

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        for row in itertools.chain(first, lines):
            yield writer.writerow(row)

    response = StreamingHttpResponse(keep_scope(stream()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(queryset, object_type, custom_keys, filename):
    import xlsxwriter

    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it when sent)
    book = xlsxwriter.Workbook(
        spool, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet()
    for r, row in enumerate(rows(queryset, object_type, custom_keys)):
        sheet.write_row(r, 0, row)
    book.close()
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx")


def export_response(queryset, object_type: str, fmt: str, custom_keys: list[str]):
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    name = f"{'contacts' if object_type == 'contact' else 'companies'}-{stamp}"
    maker = xlsx_response if fmt == "xlsx" else csv_response
    return maker(queryset.order_by("pk"), object_type, custom_keys, name)
