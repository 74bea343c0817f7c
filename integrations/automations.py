"""What the inbox adds to the automation catalogue (crm/automations.py): triggers on a
client's message, a submitted form, a call missed or ended and a return to the site, acting
on the client's open deals (of one funnel, if the rule says), so such an event can move a
deal or set a call task on it; a workspace rule may also start on a new conversation (the
client's first message) and give it to someone. Actions write to the client: a message
through their channel, an email from a canned response through an email channel. Both send
after the step commits, once per (run, step); a refusal is reported back to the run
(`automations.delivery_failed`), which fails the step with the channel's words until it is
retried."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import after_commit, assigning, automations
from crm.automations import Action, Invalid, Params, Trigger

log = logging.getLogger(__name__)


class FunnelParams(Params):
    pipeline: int | None = Field(None, ge=1, description="Only deals of this funnel.")


class ReturnParams(FunnelParams):
    days: int = Field(1, ge=0, le=3650, description="Away at least this many days.")


class ClientParams(FunnelParams):
    channel: int | None = Field(None, ge=1, description="Only what comes in this channel.")


def _check(params) -> None:
    from pipelines.models import Pipeline

    if params.pipeline and not Pipeline.objects.filter(pk=params.pipeline).exists():
        raise Invalid("pipeline", _("No such funnel."))


def _check_client(params) -> None:
    _check(params)
    _check_channel(params)


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
    if params.channel is not None and data.get("channel") != params.channel:
        return []
    return _open_deals(data.get("contact"), params, data.get("deal"))


def _returned(event, params) -> list[int]:
    data = event.data or {}
    if (data.get("returned_after_days") or 0) < params.days:
        return []
    return _open_deals(event.subject_id, params)


class MessageParams(Params):
    text: str = Field(
        ...,
        min_length=1,
        max_length=4096,
        description="What to write; placeholders as in canned responses.",
    )
    channel: int | None = Field(None, ge=1, description="Through this channel (default: the "
                                "client's most recent conversation).")  # fmt: skip


def _check_message(params) -> None:
    from . import canned, channels
    from .models import Channel

    unknown = canned.unknown_placeholders(params.text)
    if unknown:
        raise Invalid("text", _("Unknown placeholder: %(names)s. Use one of: %(known)s.") % {
            "names": ", ".join("{{" + name + "}}" for name in unknown),
            "known": ", ".join("{{" + name + "}}" for name in canned.PLACEHOLDERS),
        })  # fmt: skip
    if params.channel is None:
        return
    kind = Channel.objects.filter(pk=params.channel).values_list("kind", flat=True).first()
    if kind is None:
        raise Invalid("channel", _("No such channel."))
    if not channels.get(kind).written_replies:
        raise Invalid("channel", _("Messages cannot be sent through this channel."))


def _conversation(ctx, params):
    """The client's most recent conversation (on the rule's channel, if it names one) that
    a written message can go back through; Invalid when the client has none."""
    from . import channels
    from .models import Conversation

    if ctx.object_type == "contact":
        clients = [ctx.object_id]
    else:  # a deal: its contacts
        clients = list(ctx.record().deal_contacts.values_list("contact_id", flat=True))
    found = Conversation.objects.filter(contact_id__in=clients).select_related("channel", "contact")
    if params.channel is not None:
        found = found.filter(channel_id=params.channel)
    writable = [kind for kind, adapter in channels.ADAPTERS.items() if adapter.written_replies]
    found = found.filter(channel__kind__in=writable).order_by("-last_message_at", "-id")
    conversation = found.first() if clients else None
    if conversation is None:
        raise Invalid("channel", _("The client has no conversation to write to."))
    return conversation


def _send_message(ctx, params) -> dict:
    from . import canned, tasks

    conversation = _conversation(ctx, params)
    text = canned.substitute(params.text, canned.values_for(ctx.actor, conversation)).strip()
    if not text:
        raise Invalid("text", _("The message is empty once its placeholders are filled."))
    tenant_id, pk, key = ctx.actor.tenant_id, conversation.pk, ctx.key
    # Sent after the step commits, once per (run, step): see send_once.
    after_commit.send(
        lambda: tasks.send_rule_message.delay(tenant_id, pk, text, key), "a rule's message"
    )
    return {"conversation": pk, "channel": conversation.channel_id, "text": text[:200]}


def _describe_message(ctx, params) -> str:
    from . import canned

    try:
        conversation = _conversation(ctx, params)
    except Invalid as exc:
        return _("Send «%(text)s»: %(why)s") % {"text": params.text, "why": exc.message}
    text = canned.substitute(params.text, canned.values_for(ctx.actor, conversation))
    client = conversation.contact.full_name if conversation.contact_id else conversation.title
    return _("Send «%(text)s» via %(channel)s to %(client)s.") % {
        "text": text, "channel": conversation.channel.label, "client": client,
    }  # fmt: skip


def send_once(tenant_id: int, conversation_id: int, text: str, key: str) -> None:
    """Send a rule's message unless the message of this (run, step) is already in the
    thread or being sent (a step run again after a lost commit, a task delivered twice)."""
    from crm.accounts.system import system_actor
    from crm.tenancy.models import Tenant

    from . import services
    from .models import Conversation, Message
    from .tasks import signals

    if Message.objects.filter(conversation_id=conversation_id, meta__automation=key).exists():
        return
    lock = f"automation-send:{tenant_id}:{key}"
    if not signals().set(lock, 1, nx=True, ex=3600):
        return
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return
    actor = system_actor(Tenant.objects.get(pk=tenant_id))
    try:
        services.reply_send(actor=actor, conversation=conversation, text=text,
                            meta={"automation": key})  # fmt: skip
    except Exception as exc:
        signals().delete(lock)  # not sent: a retry of the step may send again
        log.exception("automation message %s in conversation %s failed", key, conversation_id)
        _report(key, exc)


def _report(key: str, exc: Exception) -> None:
    """The run's step fails with why (the channel's own words when it refused)."""
    from .channels import ChannelError

    why = exc.args[0] if isinstance(exc, ChannelError | ValueError) and exc.args else repr(exc)
    automations.delivery_failed(key, str(why))


# --- email from a template ----------------------------------------------------------------


class EmailParams(Params):
    template: int = Field(..., ge=1, description="A shared canned response: its text is the "
                          "email's body, placeholders filled from the record.")  # fmt: skip
    channel: int = Field(..., ge=1, description="The email channel it is sent through.")
    subject: str = Field("", max_length=300, description="The subject (default: the "
                         "template's title); placeholders as in canned responses.")  # fmt: skip


def _check_email(params) -> None:
    from . import canned
    from .models import CannedResponse, Channel

    if not CannedResponse.objects.filter(pk=params.template, owner=None).exists():
        raise Invalid("template", _("No such shared canned response."))
    kind = Channel.objects.filter(pk=params.channel).values_list("kind", flat=True).first()
    if kind is None:
        raise Invalid("channel", _("No such channel."))
    if kind != "email":
        raise Invalid("channel", _("This is not an email channel."))
    if unknown := canned.unknown_placeholders(params.subject):
        raise Invalid("subject", _("Unknown placeholder: %(names)s. Use one of: %(known)s.") % {
            "names": ", ".join("{{" + name + "}}" for name in unknown),
            "known": ", ".join("{{" + name + "}}" for name in canned.PLACEHOLDERS),
        })  # fmt: skip


def _email(ctx, params) -> tuple:
    """(the client, their address, the subject, the body) for the rule's record: the deal's
    first contact with an email address, or the contact itself."""
    from contacts.models import Contact

    from . import canned
    from .models import CannedResponse

    record, deal = ctx.record(), None
    if ctx.object_type == "contact":
        clients = [record] if record is not None else []
    else:
        deal = record
        links = record.deal_contacts.select_related("contact").order_by("id")
        clients = [link.contact for link in links]
    client = next((c for c in clients if c.emails), None)
    if client is None:
        raise Invalid("", _("The client has no email address."))
    template = CannedResponse.objects.filter(pk=params.template, owner=None).first()
    if template is None:
        raise Invalid("template", _("No such shared canned response."))
    if deal is not None:
        deal = type(deal).objects.select_related("owner").get(pk=deal.pk)
    elif isinstance(client, Contact):
        client = Contact.objects.select_related("owner").get(pk=client.pk)
    values = canned.values_for_record(ctx.actor, deal, client)
    subject = canned.substitute(params.subject or template.title, values).strip()
    text = canned.substitute(template.text, values).strip()
    return client, client.emails[0], subject, text


def _send_email(ctx, params) -> dict:
    from . import tasks

    client, address, subject, text = _email(ctx, params)
    tenant_id, channel_id, key = ctx.actor.tenant_id, params.channel, ctx.key
    after_commit.send(
        lambda: tasks.send_rule_email.delay(
            tenant_id, channel_id, client.pk, address, subject, text, key
        ),
        "a rule's email",
    )
    return {"channel": channel_id, "contact": client.pk, "to": address, "subject": subject[:200]}


def _describe_email(ctx, params) -> str:
    try:
        _client, address, subject, _text = _email(ctx, params)
    except Invalid as exc:
        return _("Email the client: %(why)s") % {"why": exc.message}
    return _("Email «%(subject)s» to %(address)s.") % {"subject": subject, "address": address}


def send_email_once(tenant_id: int, channel_id: int, contact_id: int, address: str,
                    subject: str, text: str, key: str) -> None:  # fmt: skip
    """Send a rule's email unless the one of this (run, step) was sent or is being sent."""
    from contacts.models import Contact
    from crm.accounts.system import system_actor
    from crm.tenancy.models import Tenant

    from . import services
    from .models import Channel, Message
    from .tasks import signals

    if Message.objects.filter(channel_id=channel_id, meta__automation=key).exists():
        return
    lock = f"automation-send:{tenant_id}:{key}"
    if not signals().set(lock, 1, nx=True, ex=3600):
        return
    channel = Channel.objects.filter(pk=channel_id).first()
    try:
        if channel is None:
            raise Invalid("channel", _("No such channel."))
        services.email_start(
            actor=system_actor(Tenant.objects.get(pk=tenant_id)), channel=channel,
            contact=Contact.objects.filter(pk=contact_id).first(), address=address,
            subject=subject, text=text, meta={"automation": key},
        )  # fmt: skip
    except Exception as exc:
        signals().delete(lock)
        log.exception("automation email %s through channel %s failed", key, channel_id)
        _report(key, exc)


def _channels(kinds) -> list:
    from .models import Channel

    found = Channel.objects.filter(kind__in=kinds).order_by("name", "id")
    return [(c.pk, c.name) for c in found.only("id", "name")]


def _message_choices() -> dict:
    from . import channels

    return {"channel": _channels([k for k, a in channels.ADAPTERS.items() if a.written_replies])}


def _any_channel() -> dict:
    from .models import Channel

    return {"channel": list(Channel.objects.order_by("name", "id").values_list("id", "name"))}


def _email_choices() -> dict:
    from .models import CannedResponse

    shared = CannedResponse.objects.filter(owner=None).order_by("title", "id")
    return {"channel": _channels(["email"]),
            "template": list(shared.values_list("id", "title"))}  # fmt: skip


class NewConversationParams(Params):
    channel: int | None = Field(None, ge=1, description="Only conversations of this channel.")


def _check_channel(params) -> None:
    from .models import Channel

    if params.channel and not Channel.objects.filter(pk=params.channel).exists():
        raise Invalid("channel", _("No such channel."))


def _opened(event, params) -> list[int]:
    """The conversation, when the event's message is its first one: a message received
    later in the thread is not a new conversation, whatever order events arrive in."""
    from .models import Message

    data = event.data or {}
    if params.channel is not None and data.get("channel") != params.channel:
        return []
    first = Message.objects.filter(conversation_id=event.subject_id).order_by("id")
    first = first.values_list("id", flat=True).first()
    return [event.subject_id] if first is not None and first == data.get("message") else []


def _simulate_opened(conversation) -> dict:
    from .models import Message

    first = Message.objects.filter(conversation=conversation).order_by("id")
    return {"type": "message.received",
            "data": {"channel": conversation.channel_id,
                     "message": first.values_list("id", flat=True).first()}}  # fmt: skip


def _assign_conversation(ctx, params) -> dict:
    from crm.accounts.models import User

    from . import assignment, services

    conversation = ctx.record()
    user = User.objects.get(pk=assigning.choose(ctx, params, assignment.open_load))
    if conversation.assignee_id != user.pk:
        services.conversation_update(actor=ctx.actor, conversation=conversation, assignee=user)
    return {"assignee": user.pk}


def register() -> None:
    for key, label, event in (
        ("message.received", gettext_lazy("Message received from the client"),
         "message.received"),
        ("form.submitted", gettext_lazy("Form submitted"), "form.submitted"),
        ("call.missed", gettext_lazy("Call missed"), "call.missed"),
        ("call.ended", gettext_lazy("Call ended"), "call.ended"),
    ):  # fmt: skip
        automations.register_trigger(Trigger(
            key, label, (event,), "deal", ClientParams, records=_client_deals,
            validate=_check_client, scope=lambda p: (p.pipeline, None), choices=_any_channel,
            help=gettext_lazy("Acts on the client's open deals."),
        ))  # fmt: skip
    automations.register_trigger(Trigger(
        "contact.returned", gettext_lazy("Client returned to the site"),
        ("contact.visited_site",), "deal", ReturnParams, records=_returned, validate=_check,
        scope=lambda p: (p.pipeline, None),
        help=gettext_lazy("After at least N days away; acts on the client's open deals."),
    ))  # fmt: skip
    automations.register_action(Action(
        "message.send", gettext_lazy("Send a message to the client"), MessageParams,
        _send_message, validate=_check_message, describe=_describe_message,
        object_types=("deal", "contact"), choices=_message_choices,
        help=gettext_lazy("Through the client's most recent conversation, or on the channel "
                          "chosen; placeholders as in canned responses."),
    ))  # fmt: skip
    automations.register_action(Action(
        "email.send", gettext_lazy("Send an email from a template"), EmailParams,
        _send_email, validate=_check_email, describe=_describe_email,
        object_types=("deal", "contact"), choices=_email_choices,
        help=gettext_lazy("A shared canned response, its placeholders filled from the deal "
                          "and its client, emailed to the client's address through the "
                          "email channel chosen."),
    ))  # fmt: skip
    automations.register_trigger(Trigger(
        "conversation.opened", gettext_lazy("New conversation"), ("message.received",),
        "conversation", NewConversationParams, records=_opened, validate=_check_channel,
        simulate=_simulate_opened, choices=_any_channel,
        help=gettext_lazy("A workspace rule: the client's first message in a conversation."),
    ))  # fmt: skip
    automations.register_action(Action(
        "conversation.assign", gettext_lazy("Give the conversation to someone"),
        assigning.AssignParams, _assign_conversation, validate=assigning.check,
        object_types=("conversation",),
        describe=lambda ctx, p: assigning.describe(
            p, _("Give it to the member with the fewest open conversations.")),
    ))  # fmt: skip
