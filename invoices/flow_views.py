"""Pages of the flows around the money: the client's page (no login: the token is the key),
client links, the request to the accountant, reminders, bank statements and the payment
providers' settings and webhooks. Writes go through invoices.flows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.tenancy.context import tenant_scope
from crm.web import params, ratelimit
from crm.web.decorators import can_view, manager_required, member_required
from crm.web.l10n import format_money
from crm.web.params import as_id
from deals.selectors import deals_for

from . import crypto, flows, pdf, providers, selectors
from .models import Invoice, InvoiceRequest, ProviderEvent, ProviderSettings, StatementLine
from .views import _invoice, _refusal

MAX_UPLOAD = 10 * 1024 * 1024


# --- the client's page --------------------------------------------------------------------------


def _tenant_of(token: str) -> int | None:
    return as_id(token.partition("_")[0]) if "_" in token and len(token) <= 80 else None


def _pdf_response(invoice: Invoice, inline: bool = False) -> HttpResponse:
    response = HttpResponse(pdf.render(invoice), content_type="application/pdf")
    how = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{how}; filename="{invoice.number}.pdf"'
    return response


@never_cache
def client_page(request, token):
    """What the client sees: the invoice, what is paid and due, the PDF, and the client's
    other issued invoices in this workspace. A revoked or unknown token is 404."""
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        raise Http404
    with tenant_scope(tenant_id):
        invoice = flows.client_page_invoice(token)
        if invoice is None:
            raise Http404
        flows.invoice_viewed(invoice)
        others = list(
            flows.client_invoices(invoice)
            .exclude(pk=invoice.pk)
            .order_by("-issue_date", "-pk")[:50]
        )
        lines = list(invoice.lines.all())
        for line in lines:
            line.total_display = format_money(line.total, invoice.currency)
        for item in [invoice, *others]:
            item.total_display = format_money(item.total, item.currency)
            item.paid_display = format_money(item.paid_amount, item.currency)
            item.due_display = format_money(item.due, item.currency)
        with translation.override(invoice.language):
            return render(
                request,
                "invoices/client_page.html",
                {"invoice": invoice, "others": others, "token": token,
                 "lines": lines},
            )  # fmt: skip


@never_cache
def client_pdf(request, token, pk=None):
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        raise Http404
    with tenant_scope(tenant_id):
        invoice = flows.client_page_invoice(token)
        if invoice is None:
            raise Http404
        if pk is not None and pk != invoice.pk:
            invoice = flows.client_invoices(invoice).filter(pk=pk).first()
            if invoice is None:
                raise Http404
        return _pdf_response(invoice)


# --- links, requests, reminders -----------------------------------------------------------------


@can_view("invoice")
@require_POST
def link_create(request, pk):
    invoice = _invoice(request, pk)
    try:
        flows.client_link_create(actor=request.membership, invoice=invoice)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("A new client link is ready; an older one no longer works."))
    return redirect("invoice_card", pk=invoice.pk)


@can_view("invoice")
@require_POST
def link_revoke(request, pk):
    invoice = _invoice(request, pk)
    try:
        flows.client_link_revoke(actor=request.membership, invoice=invoice)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The client link no longer works."))
    return redirect("invoice_card", pk=invoice.pk)


@member_required
@require_POST
def request_create(request, pk):
    """ "Ask the accountant for an invoice" on the deal card."""
    deal = get_object_or_404(deals_for(request.membership), pk=pk)
    try:
        found = flows.invoice_request(
            actor=request.membership, deal=deal, note=request.POST.get("note", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(
            request,
            _("Asked %(name)s for an invoice.") % {"name": found.assignee.display_name},
        )
    return redirect("deal_card", pk=deal.pk)


@member_required
@require_POST
def request_fulfil(request, pk):
    """The accountant's one click: the draft made from the request's deal."""
    found = get_object_or_404(
        InvoiceRequest.objects.filter(deal__in=deals_for(request.membership).values("pk")), pk=pk
    )
    try:
        invoice = flows.invoice_request_fulfil(actor=request.membership, request=found)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("deal_card", pk=found.deal_id)
    return redirect("invoice_card", pk=invoice.pk)


@can_view("invoice")
@require_POST
def reminders(request):
    """Bulk reminders from the accountant's list (the ticked invoices)."""
    ids = [i for i in (as_id(v) for v in request.POST.getlist("invoice")) if i is not None]
    back = request.POST.get("next", "")
    target = back if back.startswith("/invoices/") and "//" not in back else "/invoices/"
    if not ids:
        messages.error(request, _("Tick the invoices to remind about."))
        return redirect(target)
    try:
        sent, skipped = flows.reminders_send(actor=request.membership, invoices=ids[:500])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect(target)
    if sent:
        messages.success(
            request,
            ngettext("%(n)d reminder sent.", "%(n)d reminders sent.", len(sent)) % {"n": len(sent)},
        )
    for invoice, why in skipped:
        messages.warning(
            request, _("%(number)s: not reminded, %(why)s.") % {"number": invoice, "why": why}
        )
    return redirect(target)


# --- bank statements ----------------------------------------------------------------------------


@can_view("invoice")
def statements(request):
    """Upload a statement (1C exchange file or CSV); the recent imports."""
    membership = request.membership
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a file.")
        elif upload.size > MAX_UPLOAD:
            error = _("The file is larger than 10 MB.")
        else:
            try:
                found = flows.statement_import(
                    actor=membership, name=upload.name, raw=upload.read()
                )
            except PermissionDenied as exc:
                error = _refusal(exc)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect("invoice_statement", pk=found.pk)
    recent = selectors.statements_for(membership).order_by("-created_at", "-id")[:20]
    return render(
        request,
        "invoices/statements.html",
        {"error": error, "recent": recent, "can_edit": membership.can("invoice", "edit")},
        status=400 if error else 200,
    )


@can_view("invoice")
def statement_review(request, pk):
    """What matched (confirm) and what did not (type the invoice number, or leave it blank
    to skip); confirming records the payments, all or nothing."""
    membership = request.membership
    statement = get_object_or_404(selectors.statements_for(membership), pk=pk)
    errors: dict = {}
    lines = list(statement.lines.select_related("invoice", "payment"))
    if request.method == "POST":
        choices, visible = {}, selectors.invoices_for(membership)
        typed = {
            line.pk: request.POST.get(f"invoice-{line.pk}", "").strip()
            for line in lines
            if line.state in (StatementLine.MATCHED, StatementLine.UNMATCHED)
        }
        numbers = {n for n in typed.values() if n}
        known = dict(visible.filter(number__in=numbers).values_list("number", "pk"))
        for line_pk, number in typed.items():
            if not number or request.POST.get(f"skip-{line_pk}"):
                choices[line_pk] = None
            elif number in known:
                choices[line_pk] = known[number]
            else:
                errors[line_pk] = _("No invoice %(number)s.") % {"number": number}
        if not errors:
            try:
                payments = flows.statement_confirm(
                    actor=membership, statement=statement, choices=choices
                )
            except flows.LinesRefused as exc:
                errors = exc.lines
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _refusal(exc))
            else:
                messages.success(
                    request,
                    ngettext("%(n)d payment recorded.", "%(n)d payments recorded.", len(payments))
                    % {"n": len(payments)},
                )
                return redirect("invoice_statement", pk=statement.pk)
    for line in lines:
        line.error = errors.get(line.pk, "")
        line.typed = (
            request.POST.get(f"invoice-{line.pk}", None) if request.method == "POST" else None
        )
        line.amount_display = format_money(
            line.amount, line.invoice.currency if line.invoice else ""
        )
    return render(
        request,
        "invoices/statement.html",
        {"statement": statement, "lines": lines, "can_edit": membership.can("invoice", "edit")},
        status=400 if errors else 200,
    )


# --- payment providers ------------------------------------------------------------------------


@manager_required
def provider_settings(request):
    membership = request.membership
    found = flows.provider_settings()
    if request.method == "POST":

        def field(name):
            value = request.POST.get(name, "")
            return None if value == "" and not request.POST.get(f"clear-{name}") else value

        try:
            flows.provider_settings_save(
                actor=membership,
                stripe_secret=field("stripe_secret"),
                razorpay_secret=field("razorpay_secret"),
                regenerate=bool(request.POST.get("regenerate")),
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("Payment providers saved."))
        return redirect("payment_provider_settings")
    context = {"settings_row": found, "urls": {}, "masked": {}}
    if found is not None:
        for key, _label in ProviderEvent.PROVIDERS:
            context["urls"][key] = flows.webhook_url(found, key)
            context["masked"][key] = crypto.mask(crypto.decrypt(getattr(found, f"{key}_secret")))
        context["recent"] = ProviderEvent.objects.order_by("-received_at", "-id")[:20]
    return render(request, "invoices/providers.html", context)


@csrf_exempt
@require_POST
def payment_webhook(request, provider, token):
    """A provider's event. No login: the token in the URL names the workspace (looked up
    inside it, never taken from the body); the signature is checked before anything is
    stored: 401 without one, 403 with a wrong one."""
    if provider not in dict(ProviderEvent.PROVIDERS):
        return HttpResponse(status=404)
    # Past a rate per address (every call, refused calls): 429 before any lookup; a refused
    # call counts against its address; a verified one against its endpoint's rate
    # (crm/web/ratelimit.py).
    limited = ratelimit.webhook_refusal(request)
    if limited is not None:
        return limited
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        ratelimit.webhook_refused(request)
        return HttpResponse(status=404)
    with tenant_scope(tenant_id):
        found = ProviderSettings.objects.filter(webhook_token=token).first()
        if found is None:
            ratelimit.webhook_refused(request)
            return HttpResponse(status=404)
        secret = crypto.decrypt(getattr(found, f"{provider}_secret"))
        body = request.body
        if not providers.verify(provider, secret, request.headers, body):
            ratelimit.webhook_refused(request)
            return HttpResponse(
                status=403 if providers.presented(provider, request.headers) else 401
            )
        limited = ratelimit.webhook_channel_refusal(f"payment-{provider}", token)
        if limited is not None:
            return limited
        try:
            event = params.json_loads(body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"error": "The body is not JSON."}, status=400)
        if not isinstance(event, dict):
            return JsonResponse({"error": "The body is not a JSON object."}, status=400)
        event_id = providers.event_id(provider, request.headers, event)
        if not event_id:
            return JsonResponse({"error": "The event has no id."}, status=400)
        stored = flows.provider_event_receive(provider, event_id, event)
    if stored is None:
        return JsonResponse({"ok": True, "duplicate": True})
    return JsonResponse({"ok": True, "outcome": stored.outcome})
