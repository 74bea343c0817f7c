"""The board selector (deals/board.py): columns, counts and sums, the first cards of each
column, "load more", filters and visibility, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from deals import board as boards
from deals import services
from deals.models import Deal
from pipelines.models import Pipeline, Stage
from tests.conftest import add_member

pytestmark = pytest.mark.django_db


# --- helpers shared with test_pages.py -----------------------------------------------------


def funnel(tenant) -> tuple[Pipeline, list[Stage]]:
    """The workspace's default "Sales" funnel and its open stages, in order."""
    with tenant_scope(tenant):
        pipeline = Pipeline.objects.order_by("position", "id").first()
        stages = list(pipeline.stages.filter(kind=Stage.OPEN).order_by("position", "id"))
    return pipeline, stages


def closing_stage(pipeline, kind) -> Stage:
    with tenant_scope(pipeline.tenant_id):
        return pipeline.stages.get(kind=kind)


def new_deal(member, stage, title="Deal", **data) -> Deal:
    """A deal made through the service, as `member`."""
    with tenant_scope(member.tenant_id, member.user):
        return services.deal_create(actor=member, data={"title": title, "stage": stage, **data})


def many_deals(member, stage, n, amount=Decimal(100), owner=None, **fields) -> list[Deal]:
    """`n` deals in one go (bulk), positions 0..n-1."""
    now = timezone.now()
    with tenant_scope(member.tenant_id):
        return Deal.objects.bulk_create(
            [
                Deal(
                    title=f"Bulk deal {i:04d}",
                    amount=amount,
                    currency=fields.pop("currency", None) or "USD",
                    pipeline_id=stage.pipeline_id,
                    stage=stage,
                    position=i,
                    owner=owner or member.user,
                    stage_entered_at=now,
                    **fields,
                )
                for i in range(n)
            ]
        )


def read_board(member, pipeline, **filters):
    with tenant_scope(member.tenant_id, member.user):
        return boards.board(member, pipeline, boards.BoardFilters(**filters))


# --- columns, counts, sums -----------------------------------------------------------------


def test_columns_are_the_open_stages_with_their_counts_and_sums(workspace):
    tenant, owner = workspace
    pipeline, (lead, qualified, proposal, _negotiation) = funnel(tenant)
    new_deal(owner, lead, "Alpha", amount=Decimal("1000"))
    new_deal(owner, lead, "Beta", amount=Decimal("250.50"))
    new_deal(owner, proposal, "Gamma", amount=Decimal("5000"))
    won = new_deal(owner, qualified, "Closed one", amount=Decimal("9999"))
    with tenant_scope(tenant, owner.user):
        services.deal_won(actor=owner, deal=won)

    board = read_board(owner, pipeline)

    assert [c.stage.name for c in board.columns] == ["Lead", "Qualified", "Proposal", "Negotiation"]
    by_name = {c.stage.name: c for c in board.columns}
    assert by_name["Lead"].count == 2 and by_name["Lead"].total == "$1,250.50"
    assert [d.title for d in by_name["Lead"].cards] == ["Alpha", "Beta"]  # by position
    assert by_name["Qualified"].count == 0 and by_name["Qualified"].total == "$0"
    assert by_name["Proposal"].total == "$5,000"
    assert board.count == 3 and board.total == "$6,250.50"
    assert board.won.kind == Stage.WON and board.lost.kind == Stage.LOST


def test_amounts_in_other_currencies_are_summed_apart(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    new_deal(owner, stages[0], "Dollars", amount=Decimal("1200"))
    new_deal(owner, stages[0], "Euros", amount=Decimal("300"), currency="EUR")
    column = read_board(owner, pipeline).columns[0]
    assert column.total == "$1,200 + €300"


def test_a_card_carries_what_a_manager_scans_for(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        from pipelines import services as pipeline_services

        pipeline_services.stage_update(actor=owner, stage=stages[0], data={"rotting_days": 7})
    old = new_deal(owner, stages[0], "Old", amount=Decimal("10"))
    fresh = new_deal(owner, stages[0], "Fresh")
    with tenant_scope(tenant):
        Deal.objects.filter(pk=old.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=12),
            next_activity_at=timezone.now() - timedelta(hours=2),
        )
        Deal.objects.filter(pk=fresh.pk).update(next_activity_at=timezone.now() + timedelta(days=3))
    cards = {c.title: c for c in read_board(owner, pipeline).columns[0].cards}
    assert cards["Old"].is_rotting and cards["Old"].idle_days == 12
    assert cards["Old"].next_state == "overdue"
    assert not cards["Fresh"].is_rotting and cards["Fresh"].next_state == "later"
    assert cards["Fresh"].owner_initials == owner.user.first_name[0].upper()
    assert cards["Old"].amount_display == "$10"


# --- the first N cards, and more -----------------------------------------------------------


def test_a_column_shows_its_first_cards_and_loads_the_rest(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    many_deals(owner, stages[0], 35)
    column = read_board(owner, pipeline).columns[0]
    assert column.count == 35 and len(column.cards) == boards.PER_COLUMN == 30
    assert column.has_more and column.next_offset == 30
    assert column.cards[0].title == "Bulk deal 0000" and column.cards[-1].title == "Bulk deal 0029"
    with tenant_scope(tenant, owner.user):
        rest, more = boards.column_cards(
            owner, pipeline, stages[0], boards.BoardFilters(), offset=30
        )
    assert [d.title for d in rest] == [f"Bulk deal {i:04d}" for i in range(30, 35)]
    assert not more


def test_the_board_costs_the_same_queries_for_ten_deals_or_a_thousand(
    workspace, django_assert_num_queries
):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    many_deals(owner, stages[0], 10)
    with django_assert_num_queries(4):  # stages, the aggregate, the first ids (window), cards
        small = read_board(owner, pipeline)
    for stage in stages:
        many_deals(owner, stage, 250)
    with django_assert_num_queries(4):
        big = read_board(owner, pipeline)
    assert small.count == 10 and big.count == 1010
    assert [len(c.cards) for c in big.columns] == [30, 30, 30, 30]


# --- filters -------------------------------------------------------------------------------


def test_filters_mine_owner_tag_rotting_and_no_next_step(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    colleague = add_member(tenant, "manager")
    with tenant_scope(tenant, owner.user):
        from pipelines import services as pipeline_services

        pipeline_services.stage_update(actor=owner, stage=stages[1], data={"rotting_days": 5})
    mine = new_deal(owner, stages[0], "Mine", tags=["vip"])
    theirs = new_deal(owner, stages[0], "Theirs", owner=colleague.user)
    stale = new_deal(owner, stages[1], "Stale")
    with tenant_scope(tenant):
        Deal.objects.filter(pk=stale.pk).update(stage_entered_at=timezone.now() - timedelta(days=6))
        Deal.objects.filter(pk=mine.pk).update(next_activity_at=timezone.now())

    def titles(**filters):
        board = read_board(owner, pipeline, **filters)
        return sorted(d.title for c in board.columns for d in c.cards)

    assert titles() == ["Mine", "Stale", "Theirs"]
    assert titles(mine=True) == ["Mine", "Stale"]
    assert titles(owner=str(colleague.user_id)) == ["Theirs"]
    assert titles(tag="vip") == ["Mine"]
    assert titles(rotting=True) == ["Stale"]
    assert titles(no_next_activity=True) == ["Stale", "Theirs"]
    assert titles(q="thei") == ["Theirs"]
    assert read_board(owner, pipeline, rotting=True).count == 1  # counts follow the filters
    assert theirs.pk


def test_bad_filter_values_are_dropped_not_errors():
    from django.http import QueryDict

    filters = boards.BoardFilters.from_params(QueryDict("owner=abc&mine=yes&rotting=1&tag=%20x%20"))
    assert filters == boards.BoardFilters(rotting=True, tag="x")
    assert filters.params().urlencode() == "rotting=1&tag=x"


# --- visibility ----------------------------------------------------------------------------


def test_a_manager_with_own_visibility_sees_only_their_deals_counts_included(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    anna, boris = add_member(tenant, "manager"), add_member(tenant, "manager")
    new_deal(anna, stages[0], "Anna's", amount=Decimal(100))
    new_deal(boris, stages[0], "Boris's", amount=Decimal(900))
    column = read_board(anna, pipeline).columns[0]
    assert [d.title for d in column.cards] == ["Anna's"]
    assert column.count == 1 and column.total == "$100"
    assert read_board(owner, pipeline).columns[0].count == 2  # the admin sees all


def test_money_is_written_as_people_read_it():
    assert boards.money(Decimal("1234567.5"), "USD") == "$1,234,567.50"
    assert boards.money(Decimal("0"), "EUR") == "€0"
    assert boards.money(Decimal("15"), "XYZ") == "XYZ\xa015"  # CLDR spacing after a code
    assert boards.totals_display({}, "RUB") == "₽0"
