"""Pages of invoices: the deal card's panel, an invoice's page (draft editing, issue, PDF,
payments) and the accountant's list.

Every invoice named in a URL is looked up through `selectors.invoices_for`: a missing id,
another workspace's and a colleague's the member may not see all answer 404. Writes go
through `invoices.services`, which check the role's rights; the pages only hide buttons.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.api.filters import members_of_workspace
from crm.web.decorators import can_view, manager_required, member_required
from crm.web.forms import errors_to_form
from crm.web.l10n import format_money
from crm.web.params import InvalidParameter, parse_page
from deals.selectors import deals_for

from . import exporter, flows, pdf, selectors, services
from .forms import (
    DraftForm,
    LineForm,
    PaymentForm,
    ReceiptForm,
    SellerForm,
    SendForm,
    SeriesForm,
    TaxRateForm,
    TaxSettingsForm,
)
from .models import Invoice, LegalEntity, Series, TaxRate
from .money import percent_text

PAGE_SIZE = 50


def _can(membership) -> dict:
    return {a: membership.can("invoice", a) for a in ("view", "create", "edit")}


def _invoice(request, pk) -> Invoice:
    return get_object_or_404(selectors.invoices_for(request.membership), pk=pk)


def _refusal(exc) -> str:
    if isinstance(exc, PermissionDenied):
        return _("Your role does not allow this.")
    return " ".join(exc.messages)


def deal_panel(request, deal) -> str:
    """The deal card's "Invoices" panel (deals.panels): the deal's invoices for a role that
    sees them, and the request to the accountant (to ask, or to answer)."""
    membership = request.membership
    can = _can(membership)
    invoices = []
    if can["view"]:
        invoices = list(selectors.invoices_for(membership).filter(deal_id=deal.pk).order_by("-id"))
    for invoice in invoices:
        invoice.total_display = format_money(invoice.total, invoice.currency)
    # Whoever may not create invoices asks the accountant; the accountant sees the request
    # with its one-click draft.
    asked = flows.open_request(deal.pk)
    return render_to_string(
        "invoices/_deal_panel.html",
        {"deal": deal, "invoices": invoices, "can": can, "asked": asked},
        request=request,
    )


@can_view("invoice")
def invoice_list(request):
    """The accountant's desk: filters, totals per currency, pages of 50."""
    params = request.GET
    try:
        qs = selectors.apply_filters(selectors.invoices_for(request.membership), params)
        page_number = parse_page(params.get("page"))
    except (ValidationError, InvalidParameter):
        raise Http404 from None
    totals = selectors.list_totals(request.membership, params, qs)
    for row in totals:
        row["total_display"] = format_money(row["total"] or 0, row["currency"])
        row["due_display"] = format_money(row["due"], row["currency"])
    paginator = Paginator(qs.select_related(None).order_by("-created_at", "-id"), PAGE_SIZE)
    # The totals' counts are the list's: one scan of the filtered invoices, not two (over
    # 200,000 invoices a second COUNT(*) is most of the page's time).
    paginator.count = sum(row["count"] for row in totals)
    page = paginator.get_page(page_number)
    for invoice in page:
        invoice.total_display = format_money(invoice.total, invoice.currency)
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "invoices/list.html",
        {
            "page": page,
            "totals": totals,
            "filters": params,
            "querystring": query.urlencode(),
            "owners": members_of_workspace().order_by("first_name", "email"),
            "can_export": request.membership.can("invoice", "export"),
            "statuses": Invoice.STATUSES,
            "payment_statuses": Invoice.PAYMENT_STATUSES,
            "series": selectors.series(),
            "can_edit": request.membership.can("invoice", "edit"),
            "here": request.get_full_path(),
        },
    )


@can_view("invoice")
def invoice_export(request):
    """The list, as filtered, as an XLSX file (the role's "export" right on invoices)."""
    if not request.membership.can("invoice", "export"):
        raise PermissionDenied
    try:
        qs = selectors.apply_filters(selectors.invoices_for(request.membership), request.GET)
    except (ValidationError, InvalidParameter):
        raise Http404 from None
    return exporter.xlsx_response(qs.order_by("issue_date", "number", "id"))


@member_required
@require_POST
def invoice_create(request, pk):
    """ "Create invoice" on the deal card: a draft from the deal, then its page."""
    deal = get_object_or_404(deals_for(request.membership), pk=pk)
    try:
        invoice = services.invoice_create_from_deal(actor=request.membership, deal=deal)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("deal_card", pk=deal.pk)
    return redirect("invoice_card", pk=invoice.pk)


def _card(
    request, invoice, line_form=None, draft_form=None, payment_form=None, send_form=None,
    receipt_form=None, code=200,
):  # fmt: skip
    membership = request.membership
    rates = list(selectors.tax_rates())
    lines = list(invoice.lines.all())
    money = {
        name: format_money(getattr(invoice, name), invoice.currency)
        for name in ("subtotal", "tax_total", "total", "paid_amount", "due")
    }
    for line in lines:
        line.price_display = format_money(line.unit_price, invoice.currency)
        line.total_display = format_money(line.total, invoice.currency)
        line.discount_display = percent_text(line.discount) if line.discount else ""
    payments = list(invoice.allocations.select_related("payment").order_by("-id"))
    for allocation in payments:
        allocation.amount_display = format_money(allocation.amount, invoice.currency)
    context = {
        "invoice": invoice,
        "lines": lines,
        "money": money,
        "can": _can(membership),
        "line_form": line_form or LineForm(rates=rates),
        "draft_form": draft_form
        or DraftForm(
            initial={
                "due_date": invoice.due_date,
                "language": invoice.language,
                "currency": invoice.currency,
                "template": invoice.template,
                "notes": invoice.notes,
                **{f"client_{k}": v for k, v in invoice.client.items()},
            }
        ),
        "receipt_form": receipt_form
        or ReceiptForm(initial={"receipt_number": invoice.receipt_number}),
        "payment_form": payment_form or PaymentForm(initial={"amount": invoice.due}),
        "payments": payments,
        # Not prefilled from the client's record: whoever reads the invoice may not see it.
        "send_form": send_form or SendForm(),
        "credit_notes": invoice.credit_notes.all(),
        "client_link": _client_link(invoice),
    }
    return render(request, "invoices/card.html", context, status=code)


def _client_link(invoice) -> dict | None:
    link = invoice.client_links.filter(revoked_at=None).first()
    return {"url": flows.client_url(link), "created_at": link.created_at} if link else None


@can_view("invoice")
def invoice_card(request, pk):
    return _card(request, _invoice(request, pk))


def _act(request, invoice, call, success: str):
    try:
        result = call()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("invoice_card", pk=invoice.pk)
    messages.success(request, success)
    return redirect("invoice_card", pk=getattr(result, "pk", invoice.pk))


@can_view("invoice")
@require_POST
def invoice_edit(request, pk):
    invoice = _invoice(request, pk)
    form = DraftForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_update(
                actor=request.membership, invoice=invoice, data=form.cleaned_data
            )
            return redirect("invoice_card", pk=invoice.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _refusal(exc))
            else:
                errors_to_form(form, exc)
    return _card(request, invoice, draft_form=form, code=400)


@can_view("invoice")
@require_POST
def line_add(request, pk):
    invoice = _invoice(request, pk)
    form = LineForm(request.POST, rates=selectors.tax_rates())
    if form.is_valid():
        try:
            services.line_add(actor=request.membership, invoice=invoice, data=form.cleaned_data)
            return redirect("invoice_card", pk=invoice.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _refusal(exc))
            else:
                errors_to_form(form, exc)
    return _card(request, invoice, line_form=form, code=400)


@can_view("invoice")
@require_POST
def line_remove(request, pk, item_id):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: services.line_remove(actor=request.membership, invoice=invoice, line_id=item_id),
        _("Line removed."),
    )


@can_view("invoice")
@require_POST
def invoice_issue(request, pk):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: services.invoice_issue(actor=request.membership, invoice=invoice),
        _("Invoice issued."),
    )


@can_view("invoice")
@require_POST
def invoice_send(request, pk):
    invoice = _invoice(request, pk)
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_send(
                actor=request.membership, invoice=invoice, to=form.cleaned_data["to"]
            )
            messages.success(request, _("Invoice sent."))
            return redirect("invoice_card", pk=invoice.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _refusal(exc))
            else:
                errors_to_form(form, exc)
    return _card(request, invoice, send_form=form, code=400)


@can_view("invoice")
@require_POST
def invoice_cancel(request, pk):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: services.invoice_cancel(actor=request.membership, invoice=invoice),
        _("Invoice cancelled."),
    )


@can_view("invoice")
@require_POST
def credit_note(request, pk):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: services.credit_note_create(actor=request.membership, invoice=invoice),
        _("Credit note drafted."),
    )


@can_view("invoice")
@require_POST
def payment_add(request, pk):
    invoice = _invoice(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_record(
                actor=request.membership,
                allocations=[(invoice, data["amount"])],
                paid_on=data.get("paid_on"),
                reference=data.get("reference", ""),
            )
            messages.success(request, _("Payment recorded."))
            return redirect("invoice_card", pk=invoice.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _refusal(exc))
            else:
                errors_to_form(form, exc)
    return _card(request, invoice, payment_form=form, code=400)


@can_view("invoice")
@require_POST
def invoice_receipt(request, pk):
    """Mongolia: record the e-Barimt receipt number of an issued invoice."""
    invoice = _invoice(request, pk)
    form = ReceiptForm(request.POST)
    if form.is_valid():
        try:
            services.receipt_set(
                actor=request.membership,
                invoice=invoice,
                receipt_number=form.cleaned_data["receipt_number"],
            )
            messages.success(request, _("Receipt number saved."))
            return redirect("invoice_card", pk=invoice.pk)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                errors_to_form(form, exc)
            else:
                form.add_error(None, _refusal(exc))
    return _card(request, invoice, receipt_form=form, code=400)


@can_view("invoice")
def invoice_pdf(request, pk):
    invoice = _invoice(request, pk)
    response = HttpResponse(pdf.render(invoice), content_type="application/pdf")
    name = invoice.number or f"draft-{invoice.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@manager_required
def seller_settings(request):
    """Settings: the workspace's requisites as a seller, its tax rates and series."""
    entity = LegalEntity.objects.first()
    form = SellerForm(request.POST or None, instance=entity)
    if request.method == "POST" and form.is_valid():
        try:
            services.seller_save(actor=request.membership, data=form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Seller details saved."))
            return redirect("invoice_settings")
    return _settings_page(request, form)


def _settings_page(request, form=None, tax_form=None, code=200):
    entity = LegalEntity.objects.first()
    today = timezone.localdate()
    rates = list(TaxRate.objects.order_by("-valid_to", "-percent", "id"))
    for rate in rates:
        rate.archived = rate.valid_to is not None and rate.valid_to < today
    rates.sort(key=lambda rate: rate.archived)
    return render(
        request,
        "invoices/settings.html",
        {
            "form": form or SellerForm(instance=entity),
            "tax_form": tax_form
            or TaxSettingsForm(
                initial={
                    "prices_include_tax": entity.prices_include_tax if entity else False,
                    "tax_on_total": entity.tax_on_total if entity else False,
                }
            ),
            "rates": rates,
            "series": Series.objects.order_by("kind", "code", "id"),
        },
        status=code,
    )


@manager_required
@require_POST
def tax_settings(request):
    """Settings: prices with or without tax, tax per line or on the total."""
    form = TaxSettingsForm(request.POST)
    if form.is_valid():
        services.tax_settings_save(actor=request.membership, **form.cleaned_data)
        messages.success(request, _("Tax settings saved: new drafts follow them."))
        return redirect("invoice_settings")
    return _settings_page(request, tax_form=form, code=400)


def _edit_page(request, form, title, code=200):
    return render(
        request, "invoices/settings_form.html", {"form": form, "title": title}, status=code
    )


@manager_required
def series_edit(request, pk=None):
    """Settings: a new numbering series, or a change to one."""
    series = get_object_or_404(Series.objects.all(), pk=pk) if pk else None
    title = _("Edit series") if series else _("New series")
    if request.method != "POST":
        initial = (
            {f: getattr(series, f) for f in ("code", "kind", "format", "period", "is_default")}
            if series
            else {"format": "{series}-{yyyy}-{n:05}", "period": Series.YEAR}
        )
        return _edit_page(request, SeriesForm(initial=initial), title)
    form = SeriesForm(request.POST)
    if form.is_valid():
        try:
            services.series_save(actor=request.membership, data=form.cleaned_data, series=series)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Series saved."))
            return redirect("invoice_settings")
    return _edit_page(request, form, title, code=400)


@manager_required
def tax_rate_edit(request, pk=None):
    """Settings: a new tax rate, or a change to one (its name, dates, exemption)."""
    rate = get_object_or_404(TaxRate.objects.all(), pk=pk) if pk else None
    title = _("Edit tax rate") if rate else _("New tax rate")
    if request.method != "POST":
        initial = (
            {f: getattr(rate, f) for f in ("name", "exempt", "valid_from", "valid_to")}
            | {"percent": f"{rate.percent.normalize():f}"}
            if rate
            else {}
        )
        return _edit_page(request, TaxRateForm(initial=initial), title)
    form = TaxRateForm(request.POST)
    if form.is_valid():
        try:
            services.tax_rate_save(actor=request.membership, data=form.cleaned_data, rate=rate)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Tax rate saved."))
            return redirect("invoice_settings")
    return _edit_page(request, form, title, code=400)


@manager_required
@require_POST
def tax_rate_archive(request, pk):
    rate = get_object_or_404(TaxRate.objects.all(), pk=pk)
    try:
        services.tax_rate_archive(actor=request.membership, rate=rate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tax rate archived: it ended yesterday."))
    return redirect("invoice_settings")
