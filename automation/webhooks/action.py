"""The rule action "Call an outgoing webhook" (`webhook.call`): one of the workspace's
endpoints gets the rule's record, through the webhooks' own delivery (signing, retries from
the table, the SSRF guard, the delivery log, Resend).

When its step runs it emits `automation.webhook_called` about the record (so the record's
timeline shows it, "by rule ...") and records one WebhookDelivery of that event for the
endpoint, its body built as every delivery's (payloads.body) plus the record's fields of the
object-type registry as `record`, enqueued on commit (delivery.enqueue). The step's event is
looked up by (run, step) before one is emitted, and the delivery is unique per (endpoint,
event): a step run again delivers once. The endpoint acts as its owner, as for events: a
record the owner may not see is not sent, and the step fails saying so.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import automations, objects
from crm.activity.events import emit, subject_type
from crm.activity.models import Event
from crm.automations import Action, Invalid, Params

from ..webhook_models import WebhookDelivery, WebhookEndpoint
from . import delivery, payloads

KEY = "webhook.call"
EVENT = "automation.webhook_called"


class CallParams(Params):
    endpoint: int = Field(..., ge=1, description="A webhook endpoint of the workspace.")


def _label(endpoint: WebhookEndpoint) -> str:
    # The host, not the whole URL: its path or query may hold the receiver's token, and
    # members who edit rules need not manage the workspace.
    host = urlsplit(endpoint.url).hostname or endpoint.url
    return f"{endpoint.description} ({host})" if endpoint.description else host


def _endpoint(params) -> WebhookEndpoint:
    found = (
        WebhookEndpoint.objects.select_related("owner__role", "owner__user")
        .filter(pk=params.endpoint)
        .first()
    )
    if found is None:
        raise Invalid("endpoint", _("No such webhook endpoint."))
    if not found.is_active:
        raise Invalid("endpoint", _("This webhook endpoint is switched off."))
    return found


def _check(params) -> None:
    _endpoint(params)


def _choices() -> dict:
    found = WebhookEndpoint.objects.filter(is_active=True).order_by("description", "id")
    return {"endpoint": [(e.pk, _label(e)) for e in found.only("id", "url", "description")]}


def _json_safe(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record_fields(owner, object_type: str, record) -> dict:
    """The record's fields as the object-type registry lists them (custom ones included),
    JSON-safe, in one query; a related record the owner may not see is sent as None."""
    spec = objects.get(object_type)
    # A part of a record (a line item, a payment) is never a rule's subject, and its
    # catalogue holds values its report selector computes, which the bare model lacks.
    if spec is None or spec.model is None or spec.part_of:
        return {}
    fields = spec.catalogue()
    # A related record of a registered type (a deal's company) is read by id as well, to
    # check it against the owner's visibility as a timeline would.
    guarded = [
        f for f in fields
        if f.type == objects.RECORD and not f.custom
        and (kind := objects.get(f.key)) is not None and kind.records is not None
    ]  # fmt: skip
    lookups = list(dict.fromkeys([f.lookup for f in fields] + [f.key for f in guarded]))
    row = spec.model.objects.filter(pk=record.pk).values_list(*lookups).first()
    if row is None:
        return {}
    values = dict(zip(lookups, row, strict=True))
    out = {f.key: values[f.lookup] for f in fields}
    for f in guarded:
        related, seen = values[f.key], objects.get(f.key).records(owner)
        if related is not None and not seen.filter(pk=related).exists():
            out[f.key] = None
    return _json_safe(out)


def _event_of(ctx, endpoint: WebhookEndpoint, record) -> Event:
    """The step's event: the one an earlier run of this step emitted, else a new one."""
    found = Event.objects.filter(
        type=EVENT, subject_type=subject_type(record), subject_id=record.pk,
        data__run=ctx.run_id, data__step=ctx.step,
    ).first()  # fmt: skip
    if found is not None:
        return found
    data = {"rule": {"id": ctx.rule_id, "name": ctx.rule_name}, "run": ctx.run_id,
            "step": ctx.step, "endpoint": endpoint.pk}  # fmt: skip
    return emit(EVENT, actor=None, subject=record, data=data)


def _call(ctx, params) -> dict:
    endpoint = _endpoint(params)
    record = ctx.record()
    event = _event_of(ctx, endpoint, record)
    if not payloads.owner_may_see(endpoint.owner, event):
        # Invalid rolls the step's savepoint back, the event with it: nothing is sent.
        raise Invalid("endpoint", _("The webhook's owner may not see this record."))
    body = payloads.body(endpoint.owner, event)
    body["data"]["record"] = record_fields(endpoint.owner, ctx.object_type, record)
    row = WebhookDelivery(endpoint=endpoint, event=event, event_type=EVENT, payload=body,
                          next_attempt_at=timezone.now() + delivery.lease())  # fmt: skip
    # Unique per (endpoint, event): a second run of the step finds the first one's row.
    WebhookDelivery.objects.bulk_create([row], ignore_conflicts=True)
    found = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    if found.status == WebhookDelivery.PENDING and found.attempts == 0:
        delivery.enqueue(found)  # a task already sent for it posts nothing (attempts)
    return {"endpoint": endpoint.pk, "event": event.pk, "delivery": found.pk}


def _describe(ctx, params) -> str:
    return _("Send the record to the webhook %(endpoint)s.") % {
        "endpoint": _label(_endpoint(params))
    }


def register() -> None:
    automations.register_action(Action(
        KEY, gettext_lazy("Call an outgoing webhook"), CallParams, _call, validate=_check,
        describe=_describe, choices=_choices,
        help=gettext_lazy("Posts the record, signed, to one of the workspace's webhook "
                          "endpoints; failures are retried as every delivery is."),
    ))  # fmt: skip
