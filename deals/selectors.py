"""Reads of deals, shared by the board, the card, the API, reports and exports.

`deals_for(membership)` is the only way to reach deals: it applies the role's visibility.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from crm import objects
from crm.accounts.models import Membership
from crm.accounts.permissions import ALL
from crm.accounts.selectors import visible_to
from crm.web.params import clean_text, parse_date, parse_id
from pipelines.models import LostReason, Pipeline, Stage

from .models import Deal, DealContact, LineItem, Product, StageHistory

# Orderings a list accepts (`-` for descending). The API's cursor pages need values that are
# never null, so it offers the first group only.
ORDERING_NOT_NULL = ["title", "amount", "created_at", "updated_at", "stage_entered_at", "id"]
ORDERING_NULLABLE = ["expected_close", "closed_at", "next_activity_at", "last_activity_at"]
SORTABLE = [*ORDERING_NOT_NULL, *ORDERING_NULLABLE]
TRUE = {"1", "true", "yes", "on"}


def deals_for(membership: Membership) -> QuerySet[Deal]:
    """The deals `membership` may see, with what a row or a card shows. `company_hidden`
    says the deal's company is one the member may not see (`Deal.company_shown`)."""
    qs = Deal.objects.select_related("pipeline", "stage", "owner", "company")
    return with_company_hidden(visible_to(qs, membership, "deal"), membership)


def hidden_to(membership: Membership, object_type: str, field: str):
    """An expression: the row's `field` names a record of `object_type` that `membership`
    may not see (False when it sees every record of the type: no subquery then)."""
    if membership.can(object_type) and membership.role.visibility(object_type) == ALL:
        return Value(False)
    seen = objects.get(object_type).records(membership).filter(pk=OuterRef(field))
    return ExpressionWrapper(Q(**{f"{field}__isnull": False}) & ~Exists(seen), BooleanField())


def with_company_hidden(qs: QuerySet[Deal], membership: Membership) -> QuerySet[Deal]:
    return qs.annotate(company_hidden=hidden_to(membership, "company", "company_id"))


def pipelines(include_archived: bool = False) -> QuerySet[Pipeline]:
    qs = Pipeline.objects.all()
    return qs if include_archived else qs.filter(is_archived=False)


def stages_of(pipeline: Pipeline) -> QuerySet[Stage]:
    return Stage.objects.filter(pipeline=pipeline).order_by("position", "id")


def lost_reasons() -> QuerySet[LostReason]:
    return LostReason.objects.all()


def products(active_only: bool = False) -> QuerySet[Product]:
    qs = Product.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def line_items_for(membership: Membership) -> QuerySet[LineItem]:
    """Line items of the deals `membership` may see."""
    return LineItem.objects.select_related("product").filter(
        deal__in=deals_for(membership).values("pk")
    )


def _of_visible_deals(membership: Membership) -> Q:
    """Rows of the deals `membership` may see (a row with a `deal`): no semi-join when the
    role sees every deal."""
    if membership.can("deal") and membership.role.visibility("deal") == ALL:
        return Q()
    return Q(deal__in=deals_for(membership).values("pk"))


def _days(interval) -> ExpressionWrapper:
    """An interval in days, to two decimals."""
    seconds = Func(
        interval,
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )
    return ExpressionWrapper(
        Func(seconds / Value(86400), Value(2), function="ROUND"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def line_item_rows(membership: Membership) -> QuerySet[LineItem]:
    """Line items as reports read them: of the deals the member may see, with the line's
    `total` (quantity x price, less the discount, plus the tax, as `LineItem.total`)."""
    if not membership.can("deal"):
        return LineItem.objects.none()
    money = DecimalField(max_digits=20, decimal_places=2)
    net = F("quantity") * F("price") * (Value(1) - F("discount") / Value(100))
    total = Func(net * (Value(1) + F("tax_rate") / Value(100)), Value(2), function="ROUND",
                 output_field=money)  # fmt: skip
    return LineItem.objects.filter(_of_visible_deals(membership)).alias(total=total)


def stage_history_for(membership: Membership) -> QuerySet[StageHistory]:
    """The stage history of the deals the member may see, each row a move into a stage (the
    first: the deal's creation), with what reports read of the stay before it: `from_stage`,
    `days_in_previous` (from entering the previous stage to this move) and `days_in_stage`
    (this stay's length, once left). Aliases: computed only where a report asks."""
    if not membership.can("deal"):
        return StageHistory.objects.none()
    before = StageHistory.objects.filter(
        deal_id=OuterRef("deal_id"), entered_at__lt=OuterRef("entered_at")
    ).order_by("-entered_at", "-id")
    previous_entered = Subquery(before.values("entered_at")[:1], output_field=DateTimeField())
    return StageHistory.objects.filter(_of_visible_deals(membership)).alias(
        from_stage=Subquery(before.values("stage_name")[:1], output_field=CharField()),
        days_in_previous=_days(F("entered_at") - previous_entered),
        days_in_stage=_days(F("left_at") - F("entered_at")),
    )


def deal_contacts_for(membership: Membership) -> QuerySet[DealContact]:
    """The people of the deals the member may see; `hidden` marks a contact they may not."""
    return (
        DealContact.objects.select_related("contact")
        .filter(deal__in=deals_for(membership).values("pk"))
        .annotate(hidden=hidden_to(membership, "contact", "contact_id"))
    )


class DaysInterval(Func):
    """make_interval(days => n): a stage's rotting days as an interval."""

    template = "make_interval(days => %(expressions)s)"
    output_field = DurationField()


def rotting_q() -> Q:
    """Open deals idle in their stage for longer than the stage's rotting days."""
    cutoff = ExpressionWrapper(
        Now() - DaysInterval(F("stage__rotting_days")), output_field=DateTimeField()
    )
    return Q(status=Deal.OPEN, stage__rotting_days__isnull=False, stage_entered_at__lt=cutoff)


def _id(params, name: str) -> int | None:
    return parse_id(params.get(name), name)


def _date(params, name: str) -> date | None:
    return parse_date(params.get(name), name)


def _flag(params, name: str) -> bool:
    return str(params.get(name, "")).lower() in TRUE


def _list(params, name: str) -> list[str]:
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [v for v in values if v]


def apply_filters(qs: QuerySet[Deal], params, membership: Membership) -> QuerySet[Deal]:
    """Filters a list understands, from query parameters (a dict or a QueryDict). Bad values
    raise ValidationError naming the parameter. Another workspace's ids match nothing."""
    for name, lookup in (("pipeline", "pipeline_id"), ("stage", "stage_id")):
        value = _id(params, name)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    status = params.get("status")
    if status:
        if status not in dict(Deal.STATUSES):
            raise ValidationError({"status": [_("Choose open, won or lost.")]})
        qs = qs.filter(status=status)
    owner = params.get("owner")
    if owner == "none":
        qs = qs.filter(owner_id=None)
    elif owner:
        qs = qs.filter(owner_id=_id(params, "owner"))
    if _flag(params, "mine"):
        qs = qs.filter(owner_id=membership.user_id)
    tags = [clean_text(t, "tag", max_length=100) for t in _list(params, "tag")]
    if tags:
        qs = qs.filter(tags__contains=tags)
    if _flag(params, "rotting"):
        qs = qs.filter(rotting_q())
    if _flag(params, "no_next_activity"):
        qs = qs.filter(status=Deal.OPEN, next_activity_at=None)
    company = _id(params, "company")
    if company is not None:
        qs = qs.filter(company_id=company)
    contact = _id(params, "contact")
    if contact is not None:
        qs = qs.filter(
            Exists(DealContact.objects.filter(deal_id=OuterRef("pk"), contact_id=contact))
        )
    for name, lookup in (
        ("created_after", "created_at__date__gte"),
        ("created_before", "created_at__date__lte"),
        ("close_after", "expected_close__gte"),
        ("close_before", "expected_close__lte"),
    ):
        value = _date(params, name)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    q = clean_text(params.get("q"), "q", max_length=200)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs


def ordering_fields(ordering: str, allowed=SORTABLE) -> tuple[str, ...] | None:
    """("-amount", "-id") for "-amount" if it is allowed, else None."""
    name = (ordering or "").lstrip("-")
    if name not in allowed:
        return None
    desc = ordering.startswith("-")
    return (ordering,) if name == "id" else (ordering, "-id" if desc else "id")


def apply_ordering(qs: QuerySet[Deal], ordering: str) -> QuerySet[Deal]:
    """Order by a whitelisted field (nulls last), then id; anything else: newest first."""
    name = (ordering or "").lstrip("-")
    if name not in SORTABLE:
        return qs.order_by("-created_at", "-id")
    desc = ordering.startswith("-")
    expr = F(name).desc(nulls_last=True) if desc else F(name).asc(nulls_last=True)
    return qs.order_by(expr, "-id" if desc else "id")


def board_column(stage: Stage, membership: Membership) -> QuerySet[Deal]:
    """One column of the board: the stage's visible deals in their order."""
    return deals_for(membership).filter(stage=stage).order_by("position", "id")
