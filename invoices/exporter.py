"""The accountant's list as a spreadsheet: the filtered invoices, one row each, money as
numbers (Decimal written as text would not add up in a spreadsheet)."""

from __future__ import annotations

import tempfile

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.spreadsheets import defuse, defuse_row

from .models import Invoice


def _header() -> list[str]:
    return [_("Invoice no."), _("Status"), _("Payment status"), _("Overdue"), _("Client"),
            _("Deal"), _("Issue date"), _("Due date"), _("Currency"), _("Subtotal"),
            _("Tax total"), _("Total"), _("Paid"), _("Balance due")]  # fmt: skip


def xlsx_response(queryset) -> FileResponse:
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it when sent)
    book = xlsxwriter.Workbook(
        spool, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet()
    money = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, defuse_row(_header()))
    statuses, paid = dict(Invoice.STATUSES), dict(Invoice.PAYMENT_STATUSES)
    for r, invoice in enumerate(queryset.iterator(chunk_size=2000), 1):
        sheet.write_row(r, 0, [
            defuse(invoice.number or ""), str(statuses[invoice.status]),
            str(paid[invoice.payment_status]), _("Yes") if invoice.is_overdue else "",
            defuse(invoice.client.get("name", "")), defuse(invoice.deal.title if invoice.deal
                                                           else ""),
        ])  # fmt: skip
        for c, value in ((6, invoice.issue_date), (7, invoice.due_date)):
            if value:
                sheet.write_datetime(r, c, value, day)
        sheet.write_string(r, 8, defuse(invoice.currency))
        for c, value in enumerate((invoice.subtotal, invoice.tax_total, invoice.total,
                                   invoice.paid_amount, invoice.due), 9):  # fmt: skip
            sheet.write_number(r, c, float(value), money)
    book.close()
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return FileResponse(spool, as_attachment=True, filename=f"invoices-{stamp}.xlsx")
