"""What invoices add to the automation catalogue (crm/automations.py): "invoice paid" and
"invoice overdue" triggers acting on the invoice's deal (so a paid invoice can move its deal
to Won), and an action that drafts the invoice from the deal's products, issues it and, if
the client has an email address, sends it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import automations
from crm.automations import Action, Invalid, Params, Trigger

from . import services


class FunnelParams(Params):
    pipeline: int | None = Field(None, ge=1, description="Only deals of this funnel.")


def _check_funnel(params) -> None:
    from pipelines.models import Pipeline

    if params.pipeline and not Pipeline.objects.filter(pk=params.pipeline).exists():
        raise Invalid("pipeline", _("No such funnel."))


def _deal_of(event, params) -> list[int]:
    deal_id = (event.data or {}).get("deal")
    if not deal_id:
        return []
    if params.pipeline is not None:
        from deals.models import Deal

        if not Deal.objects.filter(pk=deal_id, pipeline_id=params.pipeline).exists():
            return []
    return [deal_id]


class InvoiceParams(Params):
    send: bool = Field(True, description="Email it to the client when an address is known.")


def _email_of(invoice) -> str:
    for client in (invoice.contact, invoice.company):
        emails = getattr(client, "emails", None) or []
        if emails:
            return emails[0]
    return ""


def _create_invoice(ctx, params) -> dict:
    deal = ctx.record()
    if not deal.line_items.exists():
        raise Invalid("deal", _("The deal has no products to invoice."))
    invoice = services.invoice_create_from_deal(actor=ctx.actor, deal=deal)
    invoice = services.invoice_issue(actor=ctx.actor, invoice=invoice)
    to = _email_of(invoice) if params.send else ""
    if to:  # the email goes on commit, once: the send is recorded with the step
        services.invoice_send(actor=ctx.actor, invoice=invoice, to=to)
    return {"invoice": invoice.pk, "number": invoice.number, "sent_to": to}


def _describe(ctx, params) -> str:
    if params.send:
        return _("Issue an invoice for the deal's products and email it to the client.")
    return _("Issue an invoice for the deal's products.")


def register() -> None:
    for key, label in (
        ("invoice.paid", gettext_lazy("Invoice paid")),
        ("invoice.overdue", gettext_lazy("Invoice overdue")),
    ):
        automations.register_trigger(Trigger(
            key, label, (key,), "deal", FunnelParams, records=_deal_of, validate=_check_funnel,
            scope=lambda p: (p.pipeline, None),
        ))  # fmt: skip
    automations.register_action(Action(
        "invoice.create", gettext_lazy("Create and send the invoice"), InvoiceParams,
        _create_invoice, describe=_describe, object_types=("deal",),
        help=gettext_lazy("From the deal's products: drafted, issued, emailed to the client."),
    ))  # fmt: skip
