"""Web forms: the builder's writes (admins), the check of a submission (the public endpoint,
public_views.py), and what a stored submission becomes in the worker (`after_form`).

A submission passes through the same door as every channel's delivery: checked at once
(400 with a message per field, nothing stored), stored as a raw delivery of the form's
channel, ingested by the worker into a "form" entry of a conversation. Then `after_form`
matches or creates the client through the contacts' services, fills in where they came
from (source and UTM tags), links the site visitor, makes a deal in the form's stage
through the deals' services, gives the conversation to the form's responsible person and
emits `form.submitted`. Those services need someone acting: the admin who built the form
(`acting_admin`), so the history says who set the form up.
"""

from __future__ import annotations

import logging
import re
import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contacts import normalize
from contacts import services as contact_services
from contacts.models import Company, Contact
from contacts.selectors import companies_for
from crm.accounts.models import Membership
from crm.activity.events import emit
from deals import services as deal_services
from deals.models import Deal

from . import ingest, services, site, visitors
from .models import Channel, Conversation, WebForm

log = logging.getLogger(__name__)

HONEYPOT = "homepage"  # a field people never see and bots fill in
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Keys a submission carries besides the answers: no field may be called so.
RESERVED = {HONEYPOT, *UTM, "referrer", "landing_page", "page", "visitor", "submission_id"}
MAX_FIELDS = 30
MAX_OPTIONS = 50
MAX_LENGTH = {"text": 300, "email": 254, "phone": 40, "textarea": 5000, "select": 200}
CONTACT_MAP = ("first_name", "last_name", "middle_name", "position", "telegram")
FIELD_TYPES = dict(WebForm.FIELD_TYPES)
MAPPINGS = dict(WebForm.MAPPINGS)
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class Invalid(Exception):
    """A submission that cannot be taken: {field key: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


# --- the builder ------------------------------------------------------------------------


def clean_fields(raw) -> list[dict]:
    """The form's fields as stored; ValueError with the first problem found."""
    if not isinstance(raw, list) or not raw:
        raise ValueError(_("A form needs at least one field."))
    if len(raw) > MAX_FIELDS:
        raise ValueError(_("A form may have at most %(n)s fields.") % {"n": MAX_FIELDS})
    fields, keys, mapped = [], set(), set()
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError(_("Each field needs a label and a type."))
        label = str(item.get("label") or "").strip()[:120]
        kind = item.get("type") or "text"
        maps_to = item.get("maps_to") or ""
        if not label:
            raise ValueError(_("Each field needs a label."))
        if kind not in FIELD_TYPES:
            raise ValueError(_("Unknown field type: %(type)s") % {"type": str(kind)[:20]})
        if maps_to not in MAPPINGS:
            raise ValueError(_("Unknown field mapping: %(map)s") % {"map": str(maps_to)[:40]})
        if maps_to and maps_to in mapped:
            raise ValueError(_("Only one field may fill “%(map)s”.") % {"map": MAPPINGS[maps_to]})
        expected = {"contact.email": "email", "contact.phone": "phone"}.get(maps_to)
        if expected and kind != expected:
            raise ValueError(
                _("“%(label)s” fills %(map)s: make it a field of type %(type)s.")
                % {"label": label, "map": MAPPINGS[maps_to], "type": FIELD_TYPES[expected]}
            )
        if kind == "checkbox" and maps_to:
            raise ValueError(_("A checkbox is kept as a free answer only."))
        options = []
        if kind == "select":
            options = list(dict.fromkeys(
                str(o).strip()[:200] for o in item.get("options") or [] if str(o).strip()
            ))[:MAX_OPTIONS]  # fmt: skip
            if not options:
                raise ValueError(_("“%(label)s” needs its choices.") % {"label": label})
        key = slugify(str(item.get("key") or "") or label).replace("-", "_")[:40] or "field"
        if not key[0].isalpha():
            key = f"f_{key}"[:40]
        base, n = key, 2
        while key in keys or key in RESERVED:
            key, n = f"{base[:36]}_{n}", n + 1
        keys.add(key)
        if maps_to:
            mapped.add(maps_to)
        fields.append({"key": key, "label": label, "type": kind,
                       "required": bool(item.get("required")), "maps_to": maps_to,
                       "options": options})  # fmt: skip
    return fields


def _apply(form: WebForm, *, name, fields, thank_you, pipeline, stage, responsible,
           allowed_origins) -> None:  # fmt: skip
    name = (name or "").strip()[:120]
    if not name:
        raise ValueError(_("Give the form a name."))
    if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
        raise ValueError(_("This stage belongs to another funnel."))
    if stage is not None and pipeline is None:
        pipeline = stage.pipeline
    if (
        responsible is not None
        and not Membership.objects.filter(user=responsible, is_active=True).exists()
    ):
        raise ValueError(_("Choose an active member of the workspace."))
    form.name = name
    form.fields = clean_fields(fields)
    form.thank_you = (thank_you or "").strip()[:2000]
    form.pipeline, form.stage, form.responsible = pipeline, stage, responsible
    form.allowed_origins = site.clean_origins(allowed_origins)


def form_create(
    *,
    actor: Membership,
    name: str,
    fields: list,
    thank_you: str = "",
    pipeline=None,
    stage=None,
    responsible=None,
    allowed_origins=(),
) -> WebForm:
    """A new form and its channel (kind "form"). ValueError with what is wrong."""
    services.require_admin(actor)
    form = WebForm(created_by=actor.user)
    _apply(form, name=name, fields=fields, thank_you=thank_you, pipeline=pipeline,
           stage=stage, responsible=responsible, allowed_origins=allowed_origins)  # fmt: skip
    with transaction.atomic():
        form.channel = services.channel_create(
            actor=actor, kind="form", name=form.name, raw_settings={}
        )
        form.save()
    return form


def form_update(
    *,
    actor: Membership,
    form: WebForm,
    name: str,
    fields: list,
    thank_you: str = "",
    pipeline=None,
    stage=None,
    responsible=None,
    allowed_origins=(),
) -> WebForm:
    """Change a form (its channel takes its name). Submissions already in keep the fields
    they were sent with."""
    services.require_admin(actor)
    _apply(form, name=name, fields=fields, thank_you=thank_you, pipeline=pipeline,
           stage=stage, responsible=responsible, allowed_origins=allowed_origins)  # fmt: skip
    with transaction.atomic():
        form.save()
        Channel.objects.filter(pk=form.channel_id).update(name=form.name)
    return form


def form_delete(*, actor: Membership, form: WebForm) -> None:
    """Take a form off the site: its address answers 404 from now on. Its channel and the
    conversations it brought stay."""
    services.require_admin(actor)
    form.delete()


def public_url(form: WebForm) -> str:
    """The JSON endpoint: the form's channel's webhook address."""
    return services.webhook_url(form.channel)


# --- a submission -------------------------------------------------------------------------


def _text(data, key: str) -> str:
    value = data.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return "" if value is None or isinstance(value, dict) else str(value).strip()


def _checked(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "on", "true", "yes")


def _url(value: str) -> str:
    value = value[:2000]
    return value if urlsplit(value).scheme in ("http", "https") else ""


def is_spam(data) -> bool:
    return bool(_text(data, HONEYPOT))


def submission(form: WebForm, data, *, region: str) -> dict:
    """The delivery to store for `data` (a JSON object or a posted form); Invalid with a
    message per field. Answers are normalised here (emails lower case, phones E.164 in the
    workspace's country), so the worker only files them."""
    errors: dict[str, list[str]] = {}
    answers, contact, deal = [], {"emails": [], "phones": []}, {}
    for field in form.fields:
        key, kind, maps_to = field["key"], field["type"], field.get("maps_to") or ""
        if kind == "checkbox":
            value = _checked(data.get(key))
            if field.get("required") and not value:
                errors[key] = [_("Tick this box to go on.")]
            answers.append({**_shown(field), "value": value})
            continue
        value = _text(data, key)
        if not value:
            if field.get("required"):
                errors[key] = [_("This field is required.")]
            answers.append({**_shown(field), "value": ""})
            continue
        limit = MAX_LENGTH[kind]
        if len(value) > limit:
            errors[key] = [_("At most %(n)s characters.") % {"n": limit}]
            continue
        try:
            if kind == "email":
                value = normalize.email(value)
            elif kind == "phone":
                value = normalize.phone(value, region)
        except ValidationError as exc:
            errors[key] = list(exc.messages)
            continue
        if kind == "select" and value not in field.get("options", []):
            errors[key] = [_("Choose one of the options.")]
            continue
        if maps_to == "deal.amount":
            try:
                amount = Decimal(value.replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                amount = Decimal(-1)
            if not amount.is_finite() or amount < 0 or amount > deal_services.AMOUNT_MAX:
                errors[key] = [_("Enter a number.")]
                continue
            deal["amount"] = str(amount)
        elif maps_to == "deal.title":
            deal["title"] = value[:200]
        elif maps_to == "contact.email":
            contact["emails"].append(value)
        elif maps_to == "contact.phone":
            contact["phones"].append(value)
        elif maps_to.startswith("contact."):
            contact[maps_to.removeprefix("contact.")] = value[:100]
        answers.append({**_shown(field), "value": value})
    if errors:
        raise Invalid(errors)
    landing = _url(_text(data, "landing_page"))
    # UTM tags as the script read them from the landing page's address, else from it here.
    from_landing = parse_qs(urlsplit(landing).query) if landing else {}
    utm = {}
    for tag in UTM:
        value = _text(data, tag) or (from_landing.get(tag) or [""])[0].strip()
        if value:
            utm[tag] = value[:200]
    given = _text(data, "submission_id")
    visitor = site.visitor_key(_text(data, "visitor"), form.tenant_id) or ""
    return {
        "id": given if SUBMISSION_ID.match(given) else uuid.uuid4().hex,
        "form": form.pk,
        "form_name": form.name,
        "received_at": timezone.now().isoformat(),
        "fields": answers,
        "contact": contact,
        "deal": deal,
        "utm": utm,
        "referrer": _text(data, "referrer")[:2000],
        "landing_page": landing,
        "page": _url(_text(data, "page")),
        "visitor": visitor,
    }


def _shown(field: dict) -> dict:
    return {k: field.get(k) for k in ("key", "label", "type", "maps_to")}


# --- in the worker --------------------------------------------------------------------------


def acting_admin(form: WebForm | None) -> Membership:
    """Who the contacts' and deals' services act as: the form's author while they are an
    active admin, else the workspace's longest-standing active admin."""
    admins = Membership.objects.select_related("role", "user", "tenant").filter(
        is_active=True, role__can_manage_workspace=True
    )
    found = None
    if form is not None and form.created_by_id:
        found = admins.filter(user_id=form.created_by_id).first()
    found = found or admins.order_by("pk").first()
    if found is None:
        raise ValueError("the workspace has no active admin for the form to act as")
    return found


def _owner(form: WebForm | None, actor: Membership):
    if (
        form is not None
        and form.responsible_id
        and Membership.objects.filter(user_id=form.responsible_id, is_active=True).exists()
    ):
        return form.responsible
    return actor.user


def _company(actor: Membership, name: str) -> Company:
    found = companies_for(actor).filter(name__iexact=name).order_by("pk").first()
    return found or contact_services.record_create(
        actor=actor, model=Company, data={"name": name}, allow_duplicate=True
    )


def _source(form: WebForm | None, meta: dict) -> dict:
    name = form.name if form is not None else _("Web form")
    data = {"source": (meta.get("utm") or {}).get("utm_source") or name}
    data["source"] = data["source"][:80]
    data.update({k: v for k, v in (meta.get("utm") or {}).items() if k in UTM})
    return data


def _client(actor, form, conversation, inbound) -> Contact | None:
    """The client who sent the form: the conversation's (matched by email or phone when it
    was stored), or a new one made from the mapped answers, or None for an anonymous
    request (no name, email or phone given)."""
    meta = inbound.meta
    values = {f["maps_to"].removeprefix("contact."): f["value"] for f in meta.get("fields", ())
              if (f.get("maps_to") or "").startswith("contact.") and f.get("value")}  # fmt: skip
    origin = _source(form, meta)
    if conversation.contact_id is not None:
        contact = Contact.objects.get(pk=conversation.contact_id)
        # Where a client first came from is kept: a known client's source and tags are
        # filled in only when none are there yet.
        if not any(getattr(contact, k) for k in ("source", *UTM)):
            contact = contact_services.record_update(actor=actor, record=contact, data=origin)
        return contact
    data = {k: values[k] for k in CONTACT_MAP if values.get(k)}
    data["emails"], data["phones"] = list(inbound.emails), list(inbound.phones)
    if not (data.get("first_name") or data.get("last_name") or data["emails"] or data["phones"]):
        return None
    if values.get("company"):
        data["company"] = _company(actor, values["company"])
    data.update(origin)
    data["owner"] = _owner(form, actor)
    return contact_services.record_create(
        actor=actor, model=Contact, data=data, allow_duplicate=True
    )


def _deal(actor, form, contact, inbound) -> Deal | None:
    if form is None or (form.stage_id is None and form.pipeline_id is None):
        return None
    meta = inbound.meta
    values = {f["maps_to"]: f["value"] for f in meta.get("fields", ()) if f.get("maps_to")}
    who = str(contact) if contact is not None else inbound.sender_name
    title = values.get("deal.title") or (f"{form.name}: {who}" if who else form.name)
    data = {"title": title[:200], "pipeline": form.pipeline, "stage": form.stage,
            "owner": _owner(form, actor), **_source(form, meta)}  # fmt: skip
    if values.get("deal.amount"):
        data["amount"] = values["deal.amount"]
    if contact is not None:
        data["contacts"] = [contact]
        if contact.company_id:
            data["company"] = contact.company
    return deal_services.deal_create(actor=actor, data=data)


@ingest.after_store("form")
def after_form(conversation: Conversation, message, inbound) -> None:
    """The client, the deal and the event a stored submission makes (in the ingesting
    transaction: a failure fails the delivery, which is then retryable)."""
    form = (
        WebForm.objects.select_related("pipeline", "stage", "responsible")
        .filter(pk=inbound.meta.get("form"))
        .first()
    )
    actor = acting_admin(form)
    try:
        with translation.override(actor.tenant.language):
            contact = _client(actor, form, conversation, inbound)
            deal = _deal(actor, form, contact, inbound)
    except (ValidationError, PermissionDenied) as exc:
        messages = getattr(exc, "messages", None) or [str(exc)]
        raise ValueError(
            f"the form's client or deal could not be made: {'; '.join(messages)}"
        ) from None
    if contact is not None and conversation.contact_id != contact.pk:
        conversation.contact_id = contact.pk
        Conversation.objects.filter(pk=conversation.pk).update(contact_id=contact.pk)
    responsible = form.responsible_id if form is not None else None
    if (
        conversation.assignee_id is None
        and responsible
        and Membership.objects.filter(user_id=responsible, is_active=True).exists()
    ):
        services.conversation_update(actor=actor, conversation=conversation, assignee=responsible)
        conversation.assignee_id = responsible
    meta = inbound.meta
    if contact is not None and meta.get("visitor"):
        visitors.identify(meta["visitor"], contact.pk)
        page = meta.get("page") or meta.get("landing_page")
        if page:
            visitors.record_visit(contact_id=contact.pk, url=page, at=inbound.sent_at,
                                  referrer=meta.get("referrer") or "",
                                  visitor_key=meta["visitor"])  # fmt: skip
    emit(
        "form.submitted",
        actor=None,
        subject=conversation,
        data={"form": meta.get("form"), "name": inbound.subject, "channel": conversation.channel_id,
              "message": message.pk, "contact": contact.pk if contact else None,
              "deal": deal.pk if deal else None, "text": inbound.text[:200],
              "utm": meta.get("utm") or {}, "referrer": meta.get("referrer") or "",
              "landing_page": meta.get("landing_page") or ""},
        related=[r for r in (contact, deal) if r is not None],
    )  # fmt: skip
