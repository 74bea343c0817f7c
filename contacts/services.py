"""Every write to the client base: create, update, delete, bulk actions, merge."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.accounts.models import Membership
from crm.accounts.services import _require_manager
from crm.activity.events import changes, emit, emit_many, snapshot
from crm.activity.relink import relink_all

from . import custom_fields, duplicates, normalize, selectors
from .models import Company, Contact, CustomField

CONTACT_FIELDS = [
    "first_name", "last_name", "middle_name", "company", "position", "emails", "phones",
    "telegram", "whatsapp", "birthday", "owner", "tags", "source", "utm_source",
    "utm_medium", "utm_campaign", "utm_term", "utm_content", "custom",
]  # fmt: skip
COMPANY_FIELDS = [
    "name", "legal_name", "tax_number", "industry", "website", "address", "phones", "emails",
    "owner", "tags", "custom",
]  # fmt: skip


class DuplicatesFound(ValidationError):
    """Raised before saving a record that looks like existing ones. Carries those the member
    may see (`candidates`) and whether others exist that they may not (`hidden`), nothing
    more of those."""

    def __init__(self, candidates: list, hidden: bool = False):
        self.candidates = candidates
        self.hidden = hidden
        if candidates:
            message = _("This looks like a record you already have.")
        else:
            message = _("A similar record exists that you cannot see; ask its owner or an admin.")
        super().__init__(message, code="duplicate")


def require(actor: Membership, object_type: str, action: str) -> None:
    if not actor.can(object_type, action):
        raise PermissionDenied(_("Your role does not allow this."))


def _is_active_member(user) -> bool:
    return user is not None and Membership.objects.filter(user=user, is_active=True).exists()


def _unique(values):
    return list(dict.fromkeys(values))


def _apply(record, data: dict, allowed: list[str], region: str) -> None:
    """Normalise and set `data` on `record`; every bad value is reported, by field."""
    errors = {}
    for name, value in data.items():
        if name not in allowed:
            continue
        try:
            if name == "emails":
                value = _unique(normalize.email(e) for e in normalize.split_list(value))
            elif name == "phones":
                value = _unique(normalize.phone(p, region) for p in normalize.split_list(value))
            elif name == "whatsapp" and value:
                value = normalize.phone(value, region)
            elif name == "tags":
                value = _unique(t[:50] for t in normalize.split_list(value))
            elif name == "custom":
                value = custom_fields.clean(record.event_subject_type, value or {}, record.custom)
            elif name == "website" and value and "//" not in value:
                value = f"https://{value.strip()}"
            elif isinstance(value, str):
                value = value.strip()
        except ValidationError as exc:
            errors.update(exc.message_dict if hasattr(exc, "error_dict") else {name: exc.messages})
            continue
        setattr(record, name, value)
    if errors:
        raise ValidationError(errors)
    if isinstance(record, Company):
        record.domain = normalize.domain_of(record.website)
    record.search = search_text(record)


def search_text(record) -> str:
    if isinstance(record, Company):
        return normalize.haystack(
            record.name,
            record.legal_name,
            record.domain,
            record.tax_number,
            phones=record.phones,
            emails=record.emails,
        )
    return normalize.haystack(
        record.first_name,
        record.middle_name,
        record.last_name,
        record.company.name if record.company_id else "",
        record.telegram,
        phones=record.phones,
        emails=record.emails,
    )


def _related(record) -> list:
    return [record.company] if isinstance(record, Contact) and record.company_id else []


@transaction.atomic
def record_create(
    *,
    actor: Membership,
    model: type[Company | Contact],
    data: dict,
    allow_duplicate: bool = False,
) -> Company | Contact:
    kind = model.event_subject_type
    require(actor, kind, "create")
    record = model(owner=actor.user)
    _apply(
        record, data, CONTACT_FIELDS if model is Contact else COMPANY_FIELDS, actor.tenant.country
    )
    record.full_clean(exclude=["tenant", "search"])
    if not allow_duplicate:
        found = duplicates.candidates_for(record, selectors.records_for(actor, kind))
        if found:
            raise DuplicatesFound(found.records, hidden=found.hidden)
    record.save()
    emit(f"{kind}.created", actor=actor.user, subject=record, related=_related(record))
    return record


@transaction.atomic
def record_update(*, actor: Membership, record: Company | Contact, data: dict):
    kind = record.event_subject_type
    require(actor, kind, "edit")
    allowed = CONTACT_FIELDS if isinstance(record, Contact) else COMPANY_FIELDS
    fields = [f for f in data if f in allowed]
    before = snapshot(record, fields)
    _apply(record, data, allowed, actor.tenant.country)
    record.full_clean(exclude=["tenant", "search"])
    record.save()
    diff = changes(before, snapshot(record, fields))
    if diff:
        emit(
            f"{kind}.updated",
            actor=actor.user,
            subject=record,
            data={"changes": diff},
            related=_related(record),
        )
    if isinstance(record, Company) and "name" in diff:
        _refresh_contact_search(record)
    return record


def _refresh_contact_search(company: Company) -> None:
    contacts = list(company.contacts.select_related("company"))
    for contact in contacts:
        contact.search = search_text(contact)
    Contact.objects.bulk_update(contacts, ["search"], batch_size=500)


@transaction.atomic
def record_delete(*, actor: Membership, record: Company | Contact) -> None:
    kind = record.event_subject_type
    require(actor, kind, "delete")
    emit(f"{kind}.deleted", actor=actor.user, subject=record, related=_related(record))
    record.delete()


@transaction.atomic
def bulk_action(*, actor: Membership, queryset: QuerySet, action: str, value=None) -> int:
    """assign_owner (value: a User), add_tags / remove_tags (value: list), delete."""
    model = queryset.model
    kind = model.event_subject_type
    require(actor, kind, "delete" if action == "delete" else "edit")
    if action == "assign_owner" and not _is_active_member(value):
        # An unknown owner must not become "nobody" on every selected record.
        raise ValidationError({"owner": _("Choose the new owner among the active members.")})
    records = list(queryset.select_for_update(of=("self",)).order_by("pk"))
    if action == "delete":
        for record in records:
            emit(f"{kind}.deleted", actor=actor.user, subject=record)
        queryset.model.objects.filter(pk__in=[r.pk for r in records]).delete()
        return len(records)
    for record in records:
        before = snapshot(record, ["owner", "tags"])
        if action == "assign_owner":
            record.owner = value
        elif action == "add_tags":
            record.tags = _unique([*record.tags, *value])
        elif action == "remove_tags":
            record.tags = [t for t in record.tags if t not in set(value)]
        else:
            raise ValidationError(_("Unknown action."))
        diff = changes(before, snapshot(record, ["owner", "tags"]))
        if diff:
            emit(f"{kind}.updated", actor=actor.user, subject=record, data={"changes": diff})
    model.objects.bulk_update(records, ["owner", "tags"], batch_size=500)
    return len(records)


# --- merge ------------------------------------------------------------------------------


@transaction.atomic
def merge(*, actor: Membership, survivor, others: list, picks: dict[str, int] | None = None):
    """Merge `others` into `survivor`. `picks` names, per field, the record whose value wins
    (the survivor's by default); emails, phones and tags are united."""
    model = type(survivor)
    kind = model.event_subject_type
    require(actor, kind, "edit")
    require(actor, kind, "delete")
    ids = sorted({survivor.pk, *(o.pk for o in others)})
    # Locks in one order, so two merges of overlapping records cannot deadlock.
    locked = {r.pk: r for r in model.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(locked) != len(ids):
        raise ValidationError(_("Some of these records no longer exist."))
    survivor = locked[survivor.pk]
    losers = [locked[i] for i in ids if i != survivor.pk]
    allowed = CONTACT_FIELDS if model is Contact else COMPANY_FIELDS
    before = snapshot(survivor, allowed)
    for field, source_id in (picks or {}).items():
        if field in allowed and source_id in locked:
            setattr(survivor, field, getattr(locked[source_id], field))
    for loser in losers:
        survivor.emails = _unique([*survivor.emails, *loser.emails])
        survivor.phones = _unique([*survivor.phones, *loser.phones])
        survivor.tags = _unique([*survivor.tags, *loser.tags])
        survivor.custom = {**loser.custom, **survivor.custom}
    loser_ids = [loser.pk for loser in losers]
    if model is Company:
        _move_contacts(actor, loser_ids, survivor)
    relink_all(kind, loser_ids, survivor.pk)  # notes, timelines, and later deals, tasks...
    survivor.search = search_text(survivor)
    survivor.save()
    emit(
        f"{kind}.merged",
        actor=actor.user,
        subject=survivor,
        data={
            "changes": changes(before, snapshot(survivor, allowed)),
            "merged": [{"id": loser.pk, "name": str(loser)} for loser in losers],
        },
    )
    model.objects.filter(pk__in=loser_ids).delete()
    return survivor


def _move_contacts(actor: Membership, from_ids: list[int], company: Company) -> None:
    """The merged companies' contacts join the survivor: their search text follows the new
    company name, and each gets its "contact.updated" (timelines, automation)."""
    moved = list(Contact.objects.filter(company_id__in=from_ids).select_related("company"))
    before = {c.pk: c.company.name for c in moved}
    for contact in moved:
        contact.company = company
        contact.search = search_text(contact)
    Contact.objects.bulk_update(moved, ["company", "search"], batch_size=500)
    emit_many(
        "contact.updated",
        actor=actor.user,
        subjects=moved,
        data=lambda c: {"changes": {"company": [before[c.pk], company.name]}},
        related=[company],
    )


# --- custom fields ----------------------------------------------------------------------


@transaction.atomic
def custom_field_save(*, actor: Membership, field=None, **values):

    _require_manager(actor)
    field = field or CustomField()
    for name, value in values.items():
        setattr(field, name, value)
    if field.field_type in (CustomField.SELECT, CustomField.MULTISELECT) and not field.options:
        raise ValidationError({"options": _("A select field needs its choices.")})
    field.full_clean(exclude=["tenant"], validate_constraints=False)
    if (
        CustomField.objects.filter(object_type=field.object_type, key=field.key)
        .exclude(pk=field.pk)
        .exists()
    ):
        raise ValidationError({"key": _("Another field already uses this key.")})
    field.save()
    emit(
        "custom_field.saved",
        actor=actor.user,
        subject=field,
        data={"changes": {"label": [None, field.label], "type": [None, field.field_type]}},
    )
    return field


@transaction.atomic
def custom_field_delete(*, actor: Membership, field) -> None:

    _require_manager(actor)
    emit("custom_field.deleted", actor=actor.user, subject=field)
    field.delete()
