"""The kanban board of a pipeline: a read model for the page a sales manager lives in.

`board()` answers in a constant number of queries (four), whatever the number of deals:

1. the pipeline's stages;
2. one aggregate over the visible, filtered open deals, grouped by stage and currency
   (count and sum per column);
3. the ids of the first `PER_COLUMN` cards of every column, in one query: `row_number() over
   (partition by stage order by position, id)` in a subquery, `<= PER_COLUMN` outside it
   (Django turns a filter on a window annotation into exactly that);
4. those cards by id, with their owner, company and stage joined.

"Load more" (`column_cards`) is one query for one column, from an offset. Everything reads
through `deals.selectors.deals_for` (the role's visibility) and its `apply_filters`, so a
member with "own" visibility sees their own deals only, in the counts and sums as well as in
the cards, and the board, the list and the API filter alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from crm.accounts.models import Membership
from crm.web.l10n import format_day, format_money
from crm.web.params import as_id
from pipelines.models import Pipeline, Stage

from . import selectors
from .models import Deal

PER_COLUMN = 30


# --- visibility and filters ----------------------------------------------------------------


def visible_deals(membership: Membership) -> QuerySet[Deal]:
    """Deals the member may see: deals.selectors.deals_for, the one way to reach deals."""
    return selectors.deals_for(membership)


@dataclass
class BoardFilters:
    """What the filter bar of the board and the list ask for. Bad input is dropped here, so
    the filters themselves (deals.selectors.apply_filters, shared with the API) never fail."""

    mine: bool = False
    owner: str = ""  # a user id, or "none" for deals nobody owns
    tag: str = ""
    rotting: bool = False
    no_next_activity: bool = False
    q: str = ""

    @classmethod
    def from_params(cls, params: QueryDict) -> BoardFilters:
        owner = params.get("owner", "")
        return cls(
            mine=params.get("mine") == "1",
            owner=owner if as_id(owner) or owner == "none" else "",
            tag=params.get("tag", "").strip()[:50],
            rotting=params.get("rotting") == "1",
            no_next_activity=params.get("no_next_activity") == "1",
            q=params.get("q", "").strip()[:100],
        )

    def params(self) -> QueryDict:
        out = QueryDict(mutable=True)
        for name in ("mine", "rotting", "no_next_activity"):
            if getattr(self, name):
                out[name] = "1"
        for name in ("owner", "tag", "q"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

    @property
    def active(self) -> bool:
        return bool(self.params())

    def apply(self, qs: QuerySet[Deal], membership: Membership) -> QuerySet[Deal]:
        return selectors.apply_filters(qs, self.params(), membership)


def open_deals(membership: Membership, pipeline: Pipeline, filters: BoardFilters):
    qs = visible_deals(membership).filter(pipeline=pipeline, status=Deal.OPEN)
    return filters.apply(qs, membership)


# --- money ---------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str = "") -> str:
    """12345.5 USD → "$12,345.50"; whole amounts without cents; written as the locale does."""
    amount = Decimal(amount or 0)
    return format_money(amount, currency, cents=amount != amount.to_integral_value())


def totals_display(totals: dict[str, Decimal], main_currency: str) -> str:
    """Sums per currency, the workspace's currency first: "$12,000 + €3,500"."""
    order = sorted(totals, key=lambda c: (c != main_currency, c))
    return " + ".join(money(totals[c], c) for c in order if totals[c]) or money(0, main_currency)


# --- the board -----------------------------------------------------------------------------

COLOUR_CLASSES = {colour: f"board-c{i}" for i, colour in enumerate(Stage.COLORS)}


def colour_class(stage: Stage | None) -> str:
    """A CSS class per palette colour (the CSP allows no style attributes)."""
    return COLOUR_CLASSES.get((stage.color or "").lower() if stage else "", "board-c10")


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    cards: list[Deal] = field(default_factory=list)
    main_currency: str = "USD"

    @property
    def colour(self) -> str:
        return colour_class(self.stage)

    @property
    def total(self) -> str:
        return totals_display(self.totals, self.main_currency)

    @property
    def weighted(self) -> Decimal:
        return sum(self.totals.values(), Decimal(0)) * self.stage.probability / 100

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)

    @property
    def next_offset(self) -> int:
        return len(self.cards)

    def summary(self) -> dict:
        """What the page updates after a move (JSON)."""
        return {"stage": self.stage.pk, "count": self.count, "total": self.total}


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    won: Stage | None
    lost: Stage | None
    main_currency: str
    filters: BoardFilters

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def total(self) -> str:
        totals: dict[str, Decimal] = {}
        for column in self.columns:
            for currency, amount in column.totals.items():
                totals[currency] = totals.get(currency, Decimal(0)) + amount
        return totals_display(totals, self.main_currency)

    @property
    def weighted(self) -> str:
        weighted = sum((c.weighted for c in self.columns), Decimal(0))
        return money(weighted.quantize(Decimal(1)), self.main_currency)


def next_label(day: dt.date, today: dt.date) -> str:
    """When the next step is due, on a card: "Yesterday", "Today", "Tomorrow" or "Mar 5"."""
    days = (day - today).days
    if days in (-1, 0, 1):
        return (gettext("Yesterday"), gettext("Today"), gettext("Tomorrow"))[days + 1]
    return format_day(day)


def decorate(deals: list[Deal], stages: dict[int, Stage] | None = None) -> list[Deal]:
    """Display values of cards and rows, computed once here rather than in templates. With
    `stages`, each deal's stage is taken from it (no query per card for `is_rotting`)."""
    now = timezone.now()
    today = timezone.localdate()
    card_url = reverse("deal_card", args=[0])  # one reverse for every card: /deals/0/
    for deal in deals:
        deal.url = card_url.replace("/0/", f"/{deal.pk}/")
        if stages and deal.stage_id in stages:
            deal.stage = stages[deal.stage_id]
        deal.stage_colour = colour_class(deal.stage)
        deal.idle_days = max((now - deal.stage_entered_at).days, 0)
        deal.amount_display = money(deal.amount, deal.currency)
        nxt = deal.next_activity_at
        deal.next_local = timezone.localtime(nxt) if nxt else None
        deal.next_label = next_label(deal.next_local.date(), today) if nxt else ""
        deal.next_title = (
            formats.date_format(deal.next_local, "SHORT_DATETIME_FORMAT") if nxt else ""
        )
        if nxt is None:
            deal.next_state = "none"
        elif nxt < now:
            deal.next_state = "overdue"
        elif deal.next_local.date() == today:
            deal.next_state = "today"
        else:
            deal.next_state = "later"
        owner = deal.owner
        deal.owner_initials = initials(owner) if owner else ""
        deal.owner_colour = avatar_class(owner) if owner else ""
    return deals


def initials(user) -> str:
    parts = [p for p in (user.first_name, user.last_name) if p] or [user.email]
    return "".join(p[0] for p in parts[:2]).upper()


def avatar_class(user) -> str:
    return f"board-av{user.pk % 8}"


def _counts(deals: QuerySet[Deal], columns: dict[int, Column]) -> None:
    """Count and sum of every column, per currency: one aggregate query."""
    for row in (
        deals.filter(stage_id__in=list(columns))
        .values("stage_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    ):
        column = columns[row["stage_id"]]
        column.count += row["n"]
        column.totals[row["currency"]] = row["total"] or Decimal(0)


def board(
    membership: Membership,
    pipeline: Pipeline,
    filters: BoardFilters | None = None,
    per_column: int = PER_COLUMN,
) -> Board:
    """The board: four queries (stages, the aggregate, the first ids, the cards), whatever
    the number of deals."""
    filters = filters or BoardFilters()
    main_currency = membership.tenant.currency
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    by_id = {s.pk: s for s in stages}
    columns = {
        s.pk: Column(stage=s, main_currency=main_currency) for s in stages if s.kind == Stage.OPEN
    }
    deals = open_deals(membership, pipeline, filters)
    _counts(deals, columns)
    if any(c.count for c in columns.values()):
        # The window runs over narrow rows (id, stage, position) and answers only ids; the
        # chosen cards are then read by id with their owner and company. Two statements
        # rather than one `id IN (window subquery)`: without fresh statistics PostgreSQL may
        # re-run such a subquery for every deal of the funnel (seen: 1 s for 2,000 deals).
        first_ids = list(
            deals.filter(stage_id__in=list(columns))
            .annotate(
                row=Window(
                    RowNumber(),
                    partition_by=[F("stage_id")],
                    order_by=[F("position").asc(), F("id").asc()],
                )
            )
            .filter(row__lte=per_column)
            .values_list("pk", flat=True)
        )
        # Stages come from `by_id`; joining the funnel as well led PostgreSQL to scan the
        # whole funnel's index rather than fetch 120 rows by primary key.
        cards = (
            visible_deals(membership)
            .select_related(None)
            .select_related("owner", "company")
            .filter(pk__in=first_ids)
        )
        for deal in decorate(list(cards.order_by("stage_id", "position", "id")), by_id):
            columns[deal.stage_id].cards.append(deal)
    return Board(
        pipeline=pipeline,
        columns=list(columns.values()),
        won=next((s for s in stages if s.kind == Stage.WON), None),
        lost=next((s for s in stages if s.kind == Stage.LOST), None),
        main_currency=main_currency,
        filters=filters,
    )


def column_cards(
    membership: Membership,
    pipeline: Pipeline,
    stage: Stage,
    filters: BoardFilters,
    offset: int = 0,
    limit: int = PER_COLUMN,
) -> tuple[list[Deal], bool]:
    """One column's cards from `offset` ("load more"), and whether more remain: one query."""
    qs = open_deals(membership, pipeline, filters).filter(stage=stage).order_by("position", "id")
    rows = list(qs[offset : offset + limit + 1])
    return decorate(rows[:limit], {stage.pk: stage}), len(rows) > limit


def column_summaries(
    membership: Membership, pipeline: Pipeline, filters: BoardFilters, stage_ids
) -> list[dict]:
    """Count and sum of the given columns (after a move or a quick add): two queries."""
    stages = Stage.objects.filter(pipeline=pipeline, pk__in=list(stage_ids), kind=Stage.OPEN)
    columns = {s.pk: Column(stage=s, main_currency=membership.tenant.currency) for s in stages}
    if columns:
        _counts(open_deals(membership, pipeline, filters), columns)
    return [c.summary() for c in columns.values()]
