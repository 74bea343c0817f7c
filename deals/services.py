"""Every write to deals: create, update, move through the funnel, win, lose, reopen, delete;
their products (line items), contacts and files; the product catalogue.

Keyword-only, the acting membership first, one transaction each, an event for each change.
A deal passed in is looked up again through `selectors.deals_for(actor)` (and locked): a
deal the actor cannot see cannot be edited, moved or taken over, whoever found it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import custom_fields
from contacts.models import Company, Contact
from contacts.selectors import companies_for, contacts_for
from crm.accounts.models import Membership, User
from crm.activity.events import changes, emit, snapshot
from crm.activity.relink import relinker
from pipelines.models import LostReason, Pipeline, Stage
from pipelines.services import require_admin

from . import selectors
from .models import Attachment, Deal, DealContact, LineItem, Product, StageHistory

UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
# Fields deal_create/deal_update set from `data` (plus pipeline, stage and contacts).
DEAL_FIELDS = ["title", "amount", "currency", "expected_close", "owner", "company", "tags",
               "custom", "source", *UTM]  # fmt: skip
LINE_ITEM_FIELDS = ["product", "name", "quantity", "price", "discount", "tax_rate"]
PRODUCT_FIELDS = ["name", "sku", "unit", "price", "currency", "tax_rate", "is_active"]
DEFAULT_MAX_ATTACHMENT = 25 * 1024 * 1024
# The largest amount Deal.amount holds (14 digits, 2 after the point).
AMOUNT_MAX = Decimal("999999999999.99")
MOVE_FIELDS = ["stage", "pipeline", "stage_entered_at", "position", "status", "closed_at",
               "lost_reason", "lost_note", "updated_at"]  # fmt: skip


def require(actor: Membership, action: str) -> None:
    if not actor.can("deal", action):
        raise PermissionDenied(_("Your role does not allow this."))


def _visible(actor: Membership, deal: Deal | int) -> Deal:
    """The deal again, through the actor's visibility, locked for the transaction."""
    pk = deal.pk if isinstance(deal, Deal) else deal
    found = selectors.deals_for(actor).select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise PermissionDenied(_("You cannot see this deal."))
    return found


def _end_of(stage: Stage) -> float:
    """A position after every deal in the stage's column."""
    last = Deal.objects.filter(stage=stage).aggregate(m=Max("position"))["m"]
    return 0.0 if last is None else float(last) + 1.0


def _decimal(value, field: str) -> Decimal:
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def _tags(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return _unique(t.strip()[:50] for t in value or [] if t and t.strip())


def _is_member(user: User | None) -> bool:
    return user is None or Membership.objects.filter(user=user, is_active=True).exists()


# --- where a deal goes -------------------------------------------------------------------


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=Stage.OPEN).order_by("position", "id").first()
    if stage is None:
        raise ValidationError({"stage": _("This funnel has no open stage.")})
    return stage


def _target(pipeline: Pipeline | None, stage: Stage | None) -> tuple[Pipeline, Stage]:
    """The pipeline and stage a deal goes to: the stage's pipeline, or the pipeline's first
    open stage, or the first active pipeline's."""
    # As they are now, not as the caller's copies say.
    if stage is not None:
        stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    if pipeline is not None:
        pipeline = Pipeline.objects.get(pk=pipeline.pk)
    if stage is not None:
        if pipeline is not None and stage.pipeline_id != pipeline.pk:
            raise ValidationError({"stage": _("This stage belongs to another funnel.")})
        pipeline = stage.pipeline
    elif pipeline is None:
        pipeline = selectors.pipelines().order_by("position", "id").first()
        if pipeline is None:
            raise ValidationError({"pipeline": _("Create a funnel first.")})
    if pipeline.is_archived:
        raise ValidationError({"pipeline": _("This funnel is archived.")})
    return pipeline, stage or _first_open_stage(pipeline)


def _take_stage_status(deal: Deal, stage: Stage, now) -> None:
    """A won or lost stage closes the deal; an open stage reopens it."""
    if stage.kind == Stage.OPEN:
        deal.status, deal.closed_at, deal.lost_reason, deal.lost_note = Deal.OPEN, None, None, ""
    elif deal.status != stage.kind or deal.closed_at is None:
        deal.status, deal.closed_at = stage.kind, now
        if stage.kind == Stage.WON:
            deal.lost_reason, deal.lost_note = None, ""


def _related(deal: Deal) -> list:
    """The client records whose timelines show the deal's events (and whose last activity
    and last purchase follow them): its company and its contact persons."""
    company = [deal.company] if deal.company_id else []
    return company + list(deal.contacts.all()) if deal.pk else company


# --- create and update -------------------------------------------------------------------


def _apply(actor: Membership, deal: Deal, data: dict) -> None:
    """Set the plain fields of `data` on `deal`, checking what refers to other records."""
    errors = {}
    for name in DEAL_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "tags":
            value = _tags(value)
        elif name == "custom":
            # Only the workspace's deal fields, each value checked and of a sane size.
            try:
                value = custom_fields.clean("deal", value or {}, deal.custom)
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
        elif name == "amount":
            value = _decimal(value if value not in (None, "") else 0, name)
            if deal.pk and value != deal.amount and deal.line_items.exists():
                errors[name] = [_("The amount follows the deal's products: change those.")]
                continue
        elif name == "owner":
            if value != deal.owner and not _is_member(value):
                errors[name] = [_("Choose an active member of the workspace.")]
                continue
        elif name == "company":
            if isinstance(value, int):
                value = Company.objects.filter(pk=value).first()
            if (
                value is not None
                and value.pk != deal.company_id
                and not companies_for(actor).filter(pk=value.pk).exists()
            ):
                errors[name] = [_("No such company.")]
                continue
        elif isinstance(value, str):
            value = value.strip()
        setattr(deal, name, value)
    if errors:
        raise ValidationError(errors)


def _contact_pairs(items) -> list[tuple[Contact, str]]:
    pairs = []
    for item in items or []:
        contact, role = item if isinstance(item, tuple | list) else (item, "")
        pairs.append((contact, (role or "").strip()[:80]))
    return pairs


def _set_contacts(actor: Membership, deal: Deal, items, replace: bool) -> list[Contact]:
    """Link the contacts (Contact or (Contact, role)); with `replace`, unlink the others.
    Only contacts the actor may see can be linked. Returns the contacts linked now."""
    pairs = _contact_pairs(items)
    wanted = {c.pk: (c, role) for c, role in pairs}
    existing = {dc.contact_id: dc for dc in DealContact.objects.filter(deal=deal)}
    new_ids = set(wanted) - set(existing)
    if new_ids:
        visible = set(contacts_for(actor).filter(pk__in=new_ids).values_list("pk", flat=True))
        if visible != new_ids:
            raise ValidationError({"contacts": [_("Some of these contacts do not exist.")]})
    DealContact.objects.bulk_create(
        [DealContact(deal=deal, contact_id=pk, role=wanted[pk][1]) for pk in sorted(new_ids)]
    )
    for pk, link in existing.items():
        if pk in wanted and wanted[pk][1] and wanted[pk][1] != link.role:
            link.role = wanted[pk][1]
            link.save(update_fields=["role"])
    if replace:
        DealContact.objects.filter(deal=deal).exclude(contact_id__in=list(wanted)).delete()
    return [c for c, _ in pairs]


@transaction.atomic
def deal_create(*, actor: Membership, data: dict) -> Deal:
    """A deal in `data["stage"]`, or the first open stage of `data["pipeline"]` (or of the
    first funnel), owned by the actor unless `owner` says otherwise, in the workspace's
    currency unless `currency` says otherwise, at the end of its column."""
    require(actor, "create")
    data = dict(data)
    pipeline, stage = _target(data.get("pipeline"), data.get("stage"))
    now = timezone.now()
    deal = Deal(
        owner=actor.user,
        currency=actor.tenant.currency,
        pipeline=pipeline,
        stage=stage,
        created_at=now,
        stage_entered_at=now,
    )
    _apply(actor, deal, data)
    _take_stage_status(deal, stage, now)
    deal.position = _end_of(stage)
    deal.full_clean(exclude=["tenant"])
    deal.save()
    StageHistory.objects.create(
        deal=deal, stage=stage, stage_name=stage.name, entered_at=now, moved_by=actor.user
    )
    contacts = _set_contacts(actor, deal, data.get("contacts"), replace=False)
    emit(
        "deal.created",
        actor=actor.user,
        subject=deal,
        data={
            "pipeline": pipeline.name,
            "stage": stage.name,
            "pipeline_id": pipeline.pk,
            "stage_id": stage.pk,
            "amount": str(deal.amount),
            "currency": deal.currency,
        },
        related=[*_related(deal), *contacts],
    )
    return deal


@transaction.atomic
def deal_update(*, actor: Membership, deal: Deal, data: dict) -> Deal:
    """Change the deal's fields. `stage` or `pipeline` in `data` moves it (as deal_move);
    `contacts` replaces its contacts. A new owner also emits "deal.assigned"."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    data = dict(data)
    fields = [f for f in DEAL_FIELDS if f in data]
    before = snapshot(deal, fields)
    old_owner_id = deal.owner_id
    _apply(actor, deal, data)
    deal.full_clean(exclude=["tenant"])
    diff = changes(before, snapshot(deal, fields))
    contacts = []
    if "contacts" in data:
        linked = deal.deal_contacts.select_related("contact")
        names_before = sorted(str(dc.contact) for dc in linked)
        contacts = _set_contacts(actor, deal, data["contacts"], replace=True)
        names_after = sorted(str(c) for c in contacts)
        if names_before != names_after:
            diff["contacts"] = [names_before, names_after]
    if diff:
        deal.save()
        emit(
            "deal.updated",
            actor=actor.user,
            subject=deal,
            data={"changes": diff},
            related=[*_related(deal), *contacts],
        )
    if deal.owner_id != old_owner_id:
        emit(
            "deal.assigned",
            actor=actor.user,
            subject=deal,
            data={"owner_id": deal.owner_id, "changes": {"owner": diff.get("owner")}},
        )
    if data.get("stage") is not None or data.get("pipeline") is not None:
        pipeline = data.get("pipeline")
        stage = data.get("stage")
        if stage is None and pipeline is not None and pipeline.pk == deal.pipeline_id:
            return deal
        if stage is not None and stage.pk == deal.stage_id:
            return deal  # where it is (a PUT repeats the stage)
        _, stage = _target(pipeline, stage)
        _move(actor, deal, stage)
    return deal


# --- moves through the funnel ------------------------------------------------------------


def _move(
    actor: Membership, deal: Deal, stage: Stage, position: float | None = None, *, events=True
) -> Deal:
    """Move a locked deal; closes its stage history row and opens the next one."""
    now = timezone.now()
    if stage.pk == deal.stage_id:
        if position is not None and position != deal.position:
            deal.position = position
            deal.save(update_fields=["position", "updated_at"])
        return deal
    if stage.pipeline.is_archived:
        raise ValidationError({"stage": _("This funnel is archived.")})
    old_stage, old_pipeline, old_status = deal.stage, deal.pipeline, deal.status
    StageHistory.objects.filter(deal=deal, left_at=None).update(left_at=now)
    StageHistory.objects.create(
        deal=deal, stage=stage, stage_name=stage.name, entered_at=now, moved_by=actor.user
    )
    deal.stage, deal.pipeline = stage, stage.pipeline
    deal.stage_entered_at = now
    deal.position = _end_of(stage) if position is None else position
    _take_stage_status(deal, stage, now)
    deal.save(update_fields=MOVE_FIELDS)
    diff = {"stage": [old_stage.name, stage.name]}
    if old_pipeline.pk != stage.pipeline_id:
        diff["pipeline"] = [old_pipeline.name, stage.pipeline.name]
    emit(
        "deal.stage_changed",
        actor=actor.user,
        subject=deal,
        data={"from": old_stage.pk, "to": stage.pk, "changes": diff},
        related=_related(deal),
    )
    if events and deal.status != old_status:
        status_event(actor, deal, old_status)
    return deal


def status_event(actor: Membership, deal: Deal, old_status: str, **extra) -> None:
    kind = {Deal.WON: "deal.won", Deal.LOST: "deal.lost", Deal.OPEN: "deal.reopened"}
    emit(
        kind[deal.status],
        actor=actor.user,
        subject=deal,
        data={
            "changes": {"status": [old_status, deal.status]},
            "amount": str(deal.amount),
            **extra,
        },
        related=_related(deal),
    )


@transaction.atomic
def deal_move(
    *, actor: Membership, deal: Deal, stage: Stage, position: float | None = None
) -> Deal:
    """Move the deal to `stage` (of any active funnel), at `position` in its column (the end
    if None). A won or lost stage closes the deal, an open one reopens it. A move within the
    same stage only changes the position."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    return _move(actor, deal, stage, None if position is None else float(position))


def deals_move_in_bulk(*, actor: Membership, deals: list[Deal], stage: Stage) -> None:
    """Admin only (a stage being deleted): move locked deals, each one recorded."""
    require_admin(actor)
    stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    start = _end_of(stage)
    for i, deal in enumerate(deals):
        _move(actor, deal, stage, start + i)


def _closing_stage(deal: Deal, kind: str) -> Stage | None:
    return deal.pipeline.stages.filter(kind=kind).order_by("position", "id").first()


@transaction.atomic
def deal_won(*, actor: Membership, deal: Deal) -> Deal:
    """Won: into the funnel's won stage (or just marked won when it has none)."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    if deal.status == Deal.WON:
        return deal
    old_status = deal.status
    stage = _closing_stage(deal, Stage.WON)
    if stage is not None:
        _move(actor, deal, stage, events=False)
    else:
        deal.status, deal.closed_at, deal.lost_reason, deal.lost_note = (
            Deal.WON, timezone.now(), None, "",
        )  # fmt: skip
        deal.save(update_fields=["status", "closed_at", "lost_reason", "lost_note", "updated_at"])
    status_event(actor, deal, old_status)
    return deal


@transaction.atomic
def deal_lost(*, actor: Membership, deal: Deal, reason: LostReason | None, note: str = "") -> Deal:
    """Lost, for `reason` (optional) with a note: into the funnel's lost stage (or just
    marked lost when it has none)."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("Keep the note under 500 characters.")})
    if reason is not None:
        reason = LostReason.objects.get(pk=reason.pk)
    old_status = deal.status
    stage = _closing_stage(deal, Stage.LOST)
    if stage is not None and stage.pk != deal.stage_id:
        _move(actor, deal, stage, events=False)
    deal.status, deal.lost_reason, deal.lost_note = Deal.LOST, reason, note
    deal.closed_at = deal.closed_at if old_status == Deal.LOST else timezone.now()
    deal.save(update_fields=["status", "closed_at", "lost_reason", "lost_note", "updated_at"])
    status_event(actor, deal, old_status, reason=reason.name if reason else None, note=note or None)
    return deal


@transaction.atomic
def deal_reopen(*, actor: Membership, deal: Deal, stage: Stage | None = None) -> Deal:
    """Back to work: into `stage` (open), or the last open stage it was in, or the funnel's
    first open stage."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    if stage is None:
        if deal.status == Deal.OPEN:
            return deal
        last = (
            StageHistory.objects.filter(
                deal=deal, stage__kind=Stage.OPEN, stage__pipeline=deal.pipeline_id
            )
            .order_by("-entered_at", "-id")
            .select_related("stage__pipeline")
            .first()
        )
        stage = last.stage if last else _first_open_stage(deal.pipeline)
    else:
        stage = Stage.objects.select_related("pipeline").get(pk=stage.pk)
    if stage.kind != Stage.OPEN:
        raise ValidationError({"stage": _("Choose an open stage.")})
    old_status = deal.status
    _move(actor, deal, stage, events=False)
    if deal.status != Deal.OPEN:  # it was already in that stage, marked closed
        _take_stage_status(deal, stage, timezone.now())
        deal.save(update_fields=["status", "closed_at", "lost_reason", "lost_note", "updated_at"])
    if old_status != Deal.OPEN:
        status_event(actor, deal, old_status)
    return deal


@transaction.atomic
def deal_delete(*, actor: Membership, deal: Deal) -> None:
    require(actor, "delete")
    deal = _visible(actor, deal)
    files = list(Attachment.objects.filter(deal=deal).values_list("file", flat=True))
    emit("deal.deleted", actor=actor.user, subject=deal, related=_related(deal))
    deal.delete()
    _delete_files_on_commit(files)


# --- line items --------------------------------------------------------------------------


def _recalculate(deal: Deal) -> list | None:
    """The deal's amount = the sum of its line items' totals, while it has any. Returns
    [old, new] when it changed."""
    items = list(LineItem.objects.filter(deal=deal))
    if not items:
        return None  # no products: the amount is typed in again, starting from the last sum
    amount = sum((i.total for i in items), Decimal(0))
    if amount > AMOUNT_MAX:  # the column would refuse it: say so, and the line is not kept
        raise ValidationError(
            {"price": _("The deal's total would be too large: at most %(max)s.")
             % {"max": f"{AMOUNT_MAX:,}"}}
        )  # fmt: skip
    if amount == deal.amount:
        return None
    old, deal.amount = deal.amount, amount
    deal.save(update_fields=["amount", "updated_at"])
    return [str(old), str(amount)]


def _set_item(item: LineItem, data: dict) -> None:
    errors = {}
    for name in LINE_ITEM_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ("quantity", "price", "discount", "tax_rate") and value is not None:
            try:
                value = _decimal(value, name)
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
        elif name == "name":
            value = (value or "").strip()
        setattr(item, name, value)
    if errors:
        raise ValidationError(errors)


def _item_event(actor, deal, verb: str, item: LineItem, amount_change) -> None:
    data = {"line_item": item.pk, "name": item.name}
    if amount_change:
        data["changes"] = {"amount": amount_change}
    emit(f"deal.line_item_{verb}", actor=actor.user, subject=deal, data=data)


@transaction.atomic
def line_item_add(
    *,
    actor: Membership,
    deal: Deal,
    product: Product | None = None,
    name: str | None = None,
    quantity=1,
    price=None,
    discount=0,
    tax_rate=None,
    data: dict | None = None,
) -> LineItem:
    """A product line on the deal. Name, price and tax rate default to the product's (a
    line without a product needs a name and a price). The deal's amount follows. The values
    may also come as `data` (a form's cleaned data, keys as the keyword arguments)."""
    require(actor, "edit")
    if data:
        product = data.get("product", product)
        name = data.get("name", name)
        quantity = data.get("quantity", quantity)
        price = data.get("price", price)
        discount = data.get("discount", discount)
        tax_rate = data.get("tax_rate", tax_rate)
    deal = _visible(actor, deal)
    if product is not None:
        product = Product.objects.get(pk=product.pk)
    elif price is None:
        raise ValidationError({"price": _("A line without a product needs a price.")})
    item = LineItem(deal=deal, product=product)
    _set_item(
        item,
        {
            "name": name or (product.name if product else ""),
            "quantity": quantity,
            "price": price if price is not None else product.price,
            "discount": discount or 0,
            "tax_rate": tax_rate if tax_rate is not None else (product.tax_rate if product else 0),
        },
    )
    last = LineItem.objects.filter(deal=deal).aggregate(m=Max("position"))["m"]
    item.position = 0 if last is None else last + 1
    item.full_clean(exclude=["tenant"])
    item.save()
    _item_event(actor, deal, "added", item, _recalculate(deal))
    return item


@transaction.atomic
def line_item_update(*, actor: Membership, item: LineItem, data: dict) -> LineItem:
    """Change product, name, quantity, price, discount or tax rate; the amount follows."""
    require(actor, "edit")
    deal = _visible(actor, item.deal_id)
    item = LineItem.objects.select_for_update().get(pk=item.pk, deal=deal)
    data = dict(data)
    if data.get("product") is not None:
        data["product"] = Product.objects.get(pk=data["product"].pk)
    _set_item(item, data)
    if not item.name and item.product_id:
        item.name = item.product.name
    item.full_clean(exclude=["tenant"])
    item.save()
    _item_event(actor, deal, "updated", item, _recalculate(deal))
    return item


@transaction.atomic
def line_item_remove(*, actor: Membership, item: LineItem) -> None:
    require(actor, "edit")
    deal = _visible(actor, item.deal_id)
    item = LineItem.objects.get(pk=item.pk, deal=deal)
    item.delete()
    _item_event(actor, deal, "removed", item, _recalculate(deal))


# --- contacts of a deal ------------------------------------------------------------------


@transaction.atomic
def deal_contact_set(
    *, actor: Membership, deal: Deal, contact: Contact, role: str = ""
) -> DealContact:
    """Link a contact (one the actor may see) to the deal, or change its role there."""
    require(actor, "edit")
    deal = _visible(actor, deal)
    role = (role or "").strip()[:80]
    link = DealContact.objects.filter(deal=deal, contact_id=contact.pk).first()
    if link is None:
        if not contacts_for(actor).filter(pk=contact.pk).exists():
            raise ValidationError({"contact": [_("No such contact.")]})
        link = DealContact.objects.create(deal=deal, contact_id=contact.pk, role=role)
        emit(
            "deal.contact_added",
            actor=actor.user,
            subject=deal,
            data={"contact": str(contact), "role": role},
            related=[contact],
        )
    elif link.role != role:
        old, link.role = link.role, role
        link.save(update_fields=["role"])
        emit(
            "deal.contact_updated",
            actor=actor.user,
            subject=deal,
            data={"contact": str(contact), "changes": {"role": [old, role]}},
            related=[contact],
        )
    return link


@transaction.atomic
def deal_contact_remove(*, actor: Membership, deal: Deal, contact: Contact) -> None:
    require(actor, "edit")
    deal = _visible(actor, deal)
    deleted, _ = DealContact.objects.filter(deal=deal, contact_id=contact.pk).delete()
    if deleted:
        emit(
            "deal.contact_removed",
            actor=actor.user,
            subject=deal,
            data={"contact": str(contact)},
            related=[contact],
        )


# --- the product catalogue (admins) ------------------------------------------------------


@transaction.atomic
def product_save(*, actor: Membership, product: Product | None = None, data: dict) -> Product:
    require_admin(actor)
    creating = product is None
    product = product or Product(currency=actor.tenant.currency)
    before = snapshot(product, PRODUCT_FIELDS)
    errors = {}
    for name in PRODUCT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ("price", "tax_rate"):
            try:
                value = _decimal(value if value not in (None, "") else 0, name)
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
        elif isinstance(value, str):
            value = value.strip()
        setattr(product, name, value)
    if errors:
        raise ValidationError(errors)
    product.full_clean(exclude=["tenant"])
    product.save()
    emit(
        "product.created" if creating else "product.updated",
        actor=actor.user,
        subject=product,
        data={"changes": changes(before, snapshot(product, PRODUCT_FIELDS))},
    )
    return product


@transaction.atomic
def product_delete(*, actor: Membership, product: Product) -> None:
    """Lines that sold it keep their name and price."""
    require_admin(actor)
    emit("product.deleted", actor=actor.user, subject=product, data={"name": product.name})
    product.delete()


# --- files -------------------------------------------------------------------------------


def max_attachment_size() -> int:
    return int(getattr(settings, "DEAL_ATTACHMENT_MAX_SIZE", DEFAULT_MAX_ATTACHMENT))


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def too_large(size: int | None, limit: int) -> str:
    """Why a file is refused, with both sizes when the size is known."""
    if size is None:
        return _("The file is larger than %(limit)s MB, the most that can be attached.") % {
            "limit": _megabytes(limit)
        }
    return _("The file is %(size)s MB; files up to %(limit)s MB can be attached.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


@transaction.atomic
def attachment_add(*, actor: Membership, deal: Deal, upload=None, file=None) -> Attachment:
    """Keep an uploaded file (`upload`, or `file`) on the deal; files over
    DEAL_ATTACHMENT_MAX_SIZE (default 25 MB) are refused with a message that says both sizes."""
    require(actor, "edit")
    upload = upload if upload is not None else file
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    deal = _visible(actor, deal)
    limit = max_attachment_size()
    if upload.size > limit:
        raise ValidationError({"file": too_large(upload.size, limit)})
    name = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:255] or "file"
    attachment = Attachment(deal=deal, name=name, size=upload.size, uploaded_by=actor.user)
    attachment.tenant_id = deal.tenant_id  # the storage path starts with the workspace
    # The file is written first; if the row cannot be saved, the file goes again. (A later
    # rollback of an outer transaction would leave the file behind, unreferenced.)
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(attachment.file.name)
        raise
    emit(
        "deal.attachment_added",
        actor=actor.user,
        subject=deal,
        data={"name": name, "size": upload.size},
    )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Membership, attachment: Attachment) -> None:
    require(actor, "edit")
    deal = _visible(actor, attachment.deal_id)
    attachment = Attachment.objects.get(pk=attachment.pk, deal=deal)
    emit("deal.attachment_deleted", actor=actor.user, subject=deal, data={"name": attachment.name})
    name = attachment.file.name
    attachment.delete()
    _delete_files_on_commit([name])


def _delete_files_on_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def delete():
        for name in names:
            if name:
                default_storage.delete(name)

    transaction.on_commit(delete)


# --- merges and activities ---------------------------------------------------------------


@relinker
def _relink_deals(object_type: str, from_ids: list[int], to_id: int) -> None:
    """Merged contacts and companies: their deals move to the survivor."""
    if object_type == "company":
        Deal.objects.filter(company_id__in=from_ids).update(company_id=to_id)
    elif object_type == "contact":
        links = DealContact.objects.filter(contact_id__in=from_ids)
        # A deal that already has the survivor (or two of the merged) keeps one link; a role
        # from a merged link fills the survivor's empty one.
        already = DealContact.objects.filter(contact_id=to_id, deal_id__in=links.values("deal_id"))
        survivors = {dc.deal_id: dc for dc in already}
        for link in links.order_by("id"):
            kept = survivors.get(link.deal_id)
            if kept is None:
                link.contact_id = to_id
                link.save(update_fields=["contact"])
                survivors[link.deal_id] = link
            else:
                if not kept.role and link.role:
                    kept.role = link.role
                    kept.save(update_fields=["role"])
                link.delete()


def next_activity_refresh(object_id: int) -> None:
    """Deal.next_activity_at (the earliest open task's due time; a whole-day task counts from
    the start of its day in the workspace's time zone) and last_activity_at (the latest done
    task), from crm.activity's Task when that model exists."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from django.apps import apps

    try:
        task_model = apps.get_model("activity", "Task")
    except LookupError:
        return
    deal = Deal.objects.select_related("tenant").filter(pk=object_id).first()
    if deal is None:
        return
    tasks = task_model.objects.filter(object_type="deal", object_id=object_id)
    aggregates = {
        "next": Min("due_at", filter=Q(done_at=None, due_at__isnull=False)),
        "last": Max("done_at"),
    }
    has_dates = any(f.name == "due_date" for f in task_model._meta.get_fields())
    if has_dates:
        aggregates["next_day"] = Min("due_date", filter=Q(done_at=None, due_at=None))
    found = tasks.aggregate(**aggregates)
    candidates = [found["next"]] if found["next"] else []
    if has_dates and found["next_day"]:
        zone = ZoneInfo(deal.tenant.time_zone or "UTC")
        candidates.append(datetime.combine(found["next_day"], time.min, tzinfo=zone))
    fields = {"next_activity_at": min(candidates) if candidates else None}
    if found["last"] and (deal.last_activity_at is None or found["last"] > deal.last_activity_at):
        fields["last_activity_at"] = found["last"]
    Deal.objects.filter(pk=object_id).update(**fields)
