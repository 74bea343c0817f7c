"""Rollups: the consumer counts what the services did, once however often an event is
delivered, follows a deal handed over, reopened or deleted, and a rebuild gives the very same
rows; one workspace's rollups never show in another's."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event, Task
from crm.activity.services import task_complete, task_create, task_reopen
from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Deal
from pipelines.models import LostReason
from reports import consumers, rebuilds, rollups
from reports.rollup_models import (
    ActivityDay,
    DealDay,
    LostReasonDay,
    RollupSource,
    SourceDay,
    StageDay,
)
from tests.conftest import add_member
from tests.pipelines.helpers import funnel, new_deal

pytestmark = pytest.mark.django_db
TABLES = (DealDay, StageDay, LostReasonDay, SourceDay, ActivityDay, RollupSource)


def rows(tenant) -> dict:
    """Every rollup row of the workspace, without ids, as comparable tuples."""
    with tenant_scope(tenant):
        return {
            model.__name__: sorted(
                tuple(str(v) for v in row)
                for row in model.objects.values_list(
                    *[f.attname for f in model._meta.concrete_fields if f.attname != "id"]
                )
            )
            for model in TABLES
        }


def dispatch(tenant):
    with tenant_scope(tenant):
        dispatch_pending()


def totals(tenant, **filters) -> dict:
    with tenant_scope(tenant):
        return DealDay.objects.filter(**filters).aggregate(
            created=Sum("created"), won=Sum("won"), won_amount=Sum("won_amount"),
            lost=Sum("lost"),
        )  # fmt: skip


def story(tenant, owner, colleague):
    """Four deals: one won, one lost for a reason, one moved two stages on, one open."""
    _pipeline, stages = funnel(tenant)
    won = new_deal(owner, title="Won", amount="1000", source="referral")
    lost = new_deal(owner, title="Lost", amount="300", source="website")
    moved = new_deal(colleague, title="Moved", amount="50", utm_source="newsletter")
    new_deal(colleague, title="Open", amount="70")
    with tenant_scope(tenant, owner.user):
        reason = LostReason.objects.order_by("position").first()
        services.deal_move(actor=owner, deal=won, stage=stages["Qualified"])
        services.deal_won(actor=owner, deal=won)
        services.deal_lost(actor=owner, deal=lost, reason=reason)
    with tenant_scope(tenant, colleague.user):
        services.deal_move(actor=colleague, deal=moved, stage=stages["Proposal"])
        task = task_create(
            actor=colleague, title="Call them", kind=Task.CALL, due_at=timezone.now()
        )
        task_complete(actor=colleague, task=task)
    return stages, reason, won


def test_the_consumer_counts_what_happened(workspace):
    tenant, owner = workspace
    colleague = add_member(tenant, "manager")
    stages, reason, _won = story(tenant, owner, colleague)
    dispatch(tenant)

    assert totals(tenant) == {"created": 4, "won": 1, "won_amount": Decimal("1000"), "lost": 1}
    assert totals(tenant, owner_id=colleague.user_id)["created"] == 2
    with tenant_scope(tenant):
        cycle = DealDay.objects.filter(won=1).values_list("won_cycle_days", flat=True).get()
        reached = dict(
            StageDay.objects.values_list("stage_id").order_by().annotate(n=Sum("reached"))
        )
        lost = list(LostReasonDay.objects.values_list("reason_id", "lost"))
        sources = sorted(SourceDay.objects.values_list("source", "created", "won"))
        activity = list(ActivityDay.objects.values_list("user_id", "kind", "done"))
    assert 0 <= cycle < 0.01  # won minutes after it was created
    # All four entered Lead; the won one passed every open stage; "Moved" reached Proposal.
    assert reached[stages["Lead"].pk] == 4
    assert reached[stages["Qualified"].pk] == 2
    assert reached[stages["Proposal"].pk] == 2
    assert reached[stages["Negotiation"].pk] == 1
    assert reached[stages["Won"].pk] == 1
    assert stages["Lost"].pk not in reached
    assert lost == [(reason.pk, 1)]
    assert ("referral", 1, 1) in sources  # created and won the same day
    assert ("newsletter", 1, 0) in sources and ("", 1, 0) in sources
    assert activity == [(colleague.user_id, "call", 1)]


def test_a_redelivered_event_is_counted_once_and_rebuild_equals_incremental(workspace):
    tenant, owner = workspace
    colleague = add_member(tenant, "manager")
    story(tenant, owner, colleague)
    dispatch(tenant)
    incremental = rows(tenant)
    with tenant_scope(tenant):
        for event in Event.objects.order_by("id"):  # every event, delivered a second time
            if event.type in consumers.DEAL_EVENTS + consumers.TASK_EVENTS:
                consumers.count(event)
    assert rows(tenant) == incremental
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == incremental
    call_command("rebuild_rollups", tenant=tenant.pk)
    assert rows(tenant) == incremental


def test_handover_reopen_task_reopen_and_delete_leave_nothing_behind(workspace):
    tenant, owner = workspace
    colleague = add_member(tenant, "head")
    _stages, _reason, won = story(tenant, owner, colleague)
    dispatch(tenant)
    with tenant_scope(tenant, owner.user):
        won = Deal.objects.get(pk=won.pk)
        services.deal_update(actor=owner, deal=won, data={"owner": colleague.user})
    dispatch(tenant)
    assert totals(tenant, owner_id=owner.user_id)["won"] == 0
    assert totals(tenant, owner_id=colleague.user_id)["won_amount"] == Decimal("1000")
    with tenant_scope(tenant, owner.user):
        services.deal_reopen(actor=owner, deal=Deal.objects.get(pk=won.pk))
        task = Task.objects.get()
        task_reopen(actor=owner, task=task)
    dispatch(tenant)
    assert totals(tenant)["won"] == 0
    with tenant_scope(tenant):
        assert not ActivityDay.objects.exists()
    with tenant_scope(tenant, owner.user):
        for deal in Deal.objects.all():
            services.deal_delete(actor=owner, deal=deal)
    dispatch(tenant)
    with tenant_scope(tenant):
        assert not DealDay.objects.exists() and not StageDay.objects.exists()
        assert not RollupSource.objects.filter(kind="deal").exists()
        rollups.rebuild()
    assert rows(tenant)["DealDay"] == []


def test_rollups_stay_in_their_workspace(workspace, other_workspace):
    tenant, owner = workspace
    other, other_owner = other_workspace
    story(tenant, owner, add_member(tenant, "manager"))
    new_deal(other_owner, title="Theirs", amount="5")
    dispatch(tenant)
    dispatch(other)
    with tenant_scope(other):
        rollups.rebuild()
    assert totals(other)["created"] == 1
    assert totals(tenant)["created"] == 4
    with tenant_scope(other):
        assert not DealDay.objects.filter(tenant_id=tenant.pk).exists()
        assert not DealDay.all_tenants.filter(tenant_id=tenant.pk).exists()  # RLS


def test_inbox_phone_calls_count_for_whoever_handles_them(workspace):
    from integrations.models import Message
    from tests.isolation.scenario import channel_create, conversation_create

    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    conversation = conversation_create(channel_create(owner), "Caller", assignee=manager.user)
    with tenant_scope(tenant):
        call = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id, direction="in",
            kind="call", text="Incoming call",
        )  # fmt: skip
        event = Event(type="call.ended", subject_id=conversation.pk, data={"message": call.pk})
        consumers.count(event)
        consumers.count(event)  # redelivered
        assert list(ActivityDay.objects.values_list("user_id", "kind", "done")) == [
            (manager.user_id, "phone", 1)
        ]
    incremental = rows(tenant)
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == incremental


def _reached(tenant) -> dict:
    with tenant_scope(tenant):
        return dict(StageDay.objects.values_list("stage_id").order_by().annotate(n=Sum("reached")))


def test_a_stage_reorder_rebuilds_the_rollups_in_the_background(
    workspace, django_capture_on_commit_callbacks
):
    from pipelines import services as pipeline_services

    tenant, owner = workspace
    stages, _reason, _won = story(tenant, owner, add_member(tenant, "manager"))
    dispatch(tenant)
    assert _reached(tenant)[stages["Qualified"].pk] == 2  # the won deal and "Moved"
    pipeline, _ = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        order = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
        q, p = order.index(stages["Qualified"].pk), order.index(stages["Proposal"].pk)
        order[q], order[p] = order[p], order[q]
        pipeline_services.stages_reorder(actor=owner, pipeline=pipeline, stage_ids=order)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)  # the consumer queues the rebuild; tests run tasks at once
    # Proposal now comes before Qualified: "Moved", in Proposal, no longer passed Qualified.
    assert _reached(tenant)[stages["Qualified"].pk] == 1
    after = rows(tenant)
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == after
    assert not rebuilds.busy(tenant.pk)


def test_a_stage_inserted_or_deleted_rebuilds_the_rollups(
    workspace, django_capture_on_commit_callbacks
):
    """A new stage between others moves the later ones' positions, as a reorder does."""
    from pipelines import services as pipeline_services

    tenant, owner = workspace
    stages, _reason, _won = story(tenant, owner, add_member(tenant, "manager"))
    dispatch(tenant)
    pipeline, _ = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        position = stages["Qualified"].__class__.objects.get(pk=stages["Qualified"].pk).position
        demo = pipeline_services.stage_create(
            actor=owner, pipeline=pipeline, data={"name": "Demo"}, position=position
        )
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)
    # Every deal that reached Qualified went past the new stage before it.
    assert _reached(tenant)[demo.pk] == _reached(tenant)[stages["Qualified"].pk] == 2
    after = rows(tenant)
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == after

    with tenant_scope(tenant, owner.user):
        pipeline_services.stage_delete(actor=owner, stage=demo)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)
    assert demo.pk not in _reached(tenant)
    after = rows(tenant)
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == after


def test_a_time_zone_change_rebuilds_the_rollups(workspace, django_capture_on_commit_callbacks):
    import datetime as dt

    from crm.accounts import services as account_services

    tenant, owner = workspace
    story(tenant, owner, add_member(tenant, "manager"))
    noon = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    with tenant_scope(tenant):
        Deal.objects.update(created_at=noon)
        Deal.objects.exclude(closed_at=None).update(closed_at=noon)
        rollups.rebuild()
        assert set(DealDay.objects.values_list("day", flat=True)) == {dt.date(2026, 1, 15)}
    with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
        tenant.refresh_from_db()
        account_services.workspace_update(actor=owner, tenant=tenant,
                                          time_zone="Pacific/Kiritimati")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)
    with tenant_scope(tenant):  # noon in UTC is 02:00 the next day at UTC+14
        assert set(DealDay.objects.values_list("day", flat=True)) == {dt.date(2026, 1, 16)}
    after = rows(tenant)
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == after


def test_a_burst_of_changes_queues_one_rebuild_and_the_dashboard_says_so(
    client, workspace, monkeypatch, django_capture_on_commit_callbacks
):
    from crm.accounts import services as account_services
    from reports import tasks
    from tests.conftest import login

    tenant, owner = workspace
    queued = []
    monkeypatch.setattr(tasks.rebuild_rollups, "apply_async", lambda *a, **k: queued.append(a))
    for zone in ("Europe/Berlin", "Asia/Tokyo", "Europe/Moscow"):
        with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
            tenant.refresh_from_db()
            account_services.workspace_update(actor=owner, tenant=tenant, time_zone=zone)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch(tenant)
    with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
        account_services.workspace_update(actor=owner, tenant=tenant, name="Renamed")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)
    assert queued == [((tenant.pk,),)]
    assert rebuilds.busy(tenant.pk)
    page = login(client, owner).get("/dashboards/").content.decode()
    assert 'data-testid="recalculating"' in page
    with tenant_scope(tenant):
        rebuilds.run(tenant.pk)
    assert not rebuilds.busy(tenant.pk)
    assert 'data-testid="recalculating"' not in client.get("/dashboards/").content.decode()
    # After the rebuild began, a change asks for another one.
    with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
        tenant.refresh_from_db()
        account_services.workspace_update(actor=owner, tenant=tenant, time_zone="UTC")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(tenant)
    assert len(queued) == 2
