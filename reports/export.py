"""A report's full result as a file: CSV streamed row by row, XLSX written in constant
memory. Detail rows when the report has columns, else its groups with their summaries."""

from __future__ import annotations

import csv
import io
import itertools
import re
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.spreadsheets import defuse, defuse_row
from crm.tenancy.context import keep_scope

from .compiler import Compiler


def lines(compiler: Compiler, result=None):
    """The header, then one list of safe values per row."""
    spec = compiler.spec
    if spec.columns:
        yield defuse_row(c.label for c in spec.columns)
        for row in compiler.all_rows():
            yield defuse_row(row)
        return
    result = result or compiler.run(page_size=1)
    keys = [g.key for g in [*spec.group_by, *filter(None, [spec.column_group])]]
    labels = {
        g.key: str(g.field.label) for g in [*spec.group_by, *filter(None, [spec.column_group])]
    }
    values = [s.key for s in spec.summaries] + [f.key for f in spec.formulas]
    yield defuse_row([labels[k] for k in keys] + [_("Count")] + values)
    for group in result.groups:
        yield (
            [defuse(group["labels"].get(k)) for k in keys]
            + [group["count"]]
            + [group["values"].get(v) for v in values]
        )


def _filename(name: str) -> str:
    stem = re.sub(r"[^\w-]+", "-", name, flags=re.UNICODE).strip("-")[:60] or "report"
    return f"{stem}-{timezone.localtime().strftime('%Y-%m-%d')}"


class _Echo:
    def write(self, value):
        return value


def csv_response(compiler: Compiler, name: str):
    writer = csv.writer(_Echo())
    rows = lines(compiler)
    # The header and the first row are read here, in the view: a failing query fails before
    # the answer starts, not after a 200 and half a file.
    first = list(itertools.islice(rows, 2))

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        for row in itertools.chain(first, rows):
            yield writer.writerow(row)

    response = StreamingHttpResponse(keep_scope(stream()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(name)}.csv"'
    return response


def xlsx_response(compiler: Compiler, name: str):
    import xlsxwriter

    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it when sent)
    book = xlsxwriter.Workbook(
        spool, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet()
    for r, row in enumerate(lines(compiler)):
        sheet.write_row(r, 0, row)
    book.close()
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{_filename(name)}.xlsx")


def write_file(compiler: Compiler, fileobj, fmt: str, progress=None, every: int = 5000) -> int:
    """The full result into `fileobj` (a binary file on disk), row by row: CSV through a
    text wrapper, XLSX in constant memory (xlsxwriter keeps only the current row). Calls
    `progress(rows written)` every `every` rows; returns the number of rows."""
    rows = lines(compiler)
    count = -1  # the header is no row
    if fmt == "xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(
            fileobj,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        sheet = book.add_worksheet()
        for count, row in enumerate(rows):
            sheet.write_row(count, 0, row)
            if progress and count and count % every == 0:
                progress(count)
        book.close()
        return max(count, 0)
    text = io.TextIOWrapper(fileobj, encoding="utf-8", newline="", write_through=False)
    text.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(text)
    for count, row in enumerate(rows):
        writer.writerow(row)
        if progress and count and count % every == 0:
            progress(count)
    text.flush()
    text.detach()  # the caller keeps (and closes) the file
    return max(count, 0)


def filename(name: str, fmt: str) -> str:
    return f"{_filename(name)}.{'xlsx' if fmt == 'xlsx' else 'csv'}"


def response(compiler: Compiler, name: str, fmt: str):
    return (xlsx_response if fmt == "xlsx" else csv_response)(compiler, name)
