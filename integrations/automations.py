"""What the inbox adds to the automation catalogue (crm/automations.py): triggers on a
client's message, a submitted form, a missed call and a return to the site, acting on the
client's open deals (of one funnel, if the rule says), so such an event can move a deal or
set a call task on it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import automations
from crm.automations import Invalid, Params, Trigger


class ClientParams(Params):
    pipeline: int | None = Field(None, ge=1, description="Only deals of this funnel.")


class ReturnParams(ClientParams):
    days: int = Field(1, ge=0, le=3650, description="Away at least this many days.")


def _check(params) -> None:
    from pipelines.models import Pipeline

    if params.pipeline and not Pipeline.objects.filter(pk=params.pipeline).exists():
        raise Invalid("pipeline", _("No such funnel."))


def _open_deals(contact_id, params, deal_id=None) -> list[int]:
    from deals.models import Deal

    deals = Deal.objects.filter(status=Deal.OPEN)
    if deal_id:
        deals = deals.filter(pk=deal_id)
    elif contact_id:
        deals = deals.filter(deal_contacts__contact_id=contact_id)
    else:
        return []
    if params.pipeline is not None:
        deals = deals.filter(pipeline_id=params.pipeline)
    return list(deals.order_by("id").values_list("id", flat=True).distinct()[:20])


def _client_deals(event, params) -> list[int]:
    data = event.data or {}
    return _open_deals(data.get("contact"), params, data.get("deal"))


def _returned(event, params) -> list[int]:
    data = event.data or {}
    if (data.get("returned_after_days") or 0) < params.days:
        return []
    return _open_deals(event.subject_id, params)


def register() -> None:
    for key, label, event in (
        ("message.received", gettext_lazy("Message received from the client"),
         "message.received"),
        ("form.submitted", gettext_lazy("Form submitted"), "form.submitted"),
        ("call.missed", gettext_lazy("Call missed"), "call.missed"),
    ):  # fmt: skip
        automations.register_trigger(Trigger(
            key, label, (event,), "deal", ClientParams, records=_client_deals, validate=_check,
            scope=lambda p: (p.pipeline, None),
            help=gettext_lazy("Acts on the client's open deals."),
        ))  # fmt: skip
    automations.register_trigger(Trigger(
        "contact.returned", gettext_lazy("Client returned to the site"),
        ("contact.visited_site",), "deal", ReturnParams, records=_returned, validate=_check,
        scope=lambda p: (p.pipeline, None),
        help=gettext_lazy("After at least N days away; acts on the client's open deals."),
    ))  # fmt: skip
