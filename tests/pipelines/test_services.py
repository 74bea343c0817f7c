"""The funnels' set-up: the default funnel of a new workspace, pipelines, stages (order,
kinds, deletion that moves deals) and lost reasons; admins only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from deals.models import Deal, StageHistory
from pipelines import services
from pipelines.models import LostReason, Pipeline, Stage
from tests.conftest import add_member
from tests.factories import DealFactory
from tests.pipelines.helpers import funnel, new_deal

pytestmark = pytest.mark.django_db


def names(pipeline):
    return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def test_a_new_workspace_starts_with_the_sales_funnel(workspace):
    tenant, _ = workspace
    with tenant_scope(tenant):
        pipeline = Pipeline.objects.get()
        assert pipeline.name == "Sales" and not pipeline.is_archived
        stages = list(pipeline.stages.order_by("position"))
        assert [(s.name, s.kind) for s in stages] == [
            ("Lead", "open"), ("Qualified", "open"), ("Proposal", "open"),
            ("Negotiation", "open"), ("Won", "won"), ("Lost", "lost"),
        ]  # fmt: skip
        assert [s.position for s in stages] == list(range(6))
        assert len({s.color for s in stages}) == 6
        assert LostReason.objects.count() == 4
        # Part of making the workspace: no event besides workspace.created.
        assert list(Event.objects.values_list("type", flat=True)) == ["workspace.created"]


def test_pipelines_are_created_renamed_and_archived_by_admins(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        p = services.pipeline_create(actor=owner, name=" Partnerships ")
        assert p.name == "Partnerships" and p.position == 1
        assert names(p) == ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
        with pytest.raises(ValidationError) as err:
            services.pipeline_create(actor=owner, name="sales")
        assert "name" in err.value.message_dict
        services.pipeline_rename(actor=owner, pipeline=p, name="Partners")
        services.pipeline_archive(actor=owner, pipeline=p)
        p.refresh_from_db()
        assert p.name == "Partners" and p.is_archived
        sales = Pipeline.objects.get(name="Sales")
        with pytest.raises(ValidationError):  # the last active funnel stays
            services.pipeline_archive(actor=owner, pipeline=sales)
        services.pipeline_archive(actor=owner, pipeline=p, archived=False)
        types = list(Event.objects.order_by("id").values_list("type", flat=True))
        assert types[-4:] == [
            "pipeline.created", "pipeline.updated", "pipeline.archived", "pipeline.restored",
        ]  # fmt: skip
        custom = services.pipeline_create(
            actor=owner, name="Short", stages=[("New", "open", 10), ("Done", "won", 100)]
        )
        assert names(custom) == ["New", "Done"]


def test_only_admins_change_funnels(workspace):
    tenant, _ = workspace
    head = add_member(tenant, "head")
    pipeline, stages = funnel(tenant)
    with tenant_scope(tenant, head.user):
        for call in (
            lambda: services.pipeline_create(actor=head, name="Mine"),
            lambda: services.pipeline_rename(actor=head, pipeline=pipeline, name="X"),
            lambda: services.pipeline_archive(actor=head, pipeline=pipeline),
            lambda: services.stage_create(actor=head, pipeline=pipeline, data={"name": "X"}),
            lambda: services.stage_update(actor=head, stage=stages["Lead"], data={"name": "X"}),
            lambda: services.stages_reorder(actor=head, pipeline=pipeline, stage_ids=[]),
            lambda: services.stage_delete(actor=head, stage=stages["Lead"]),
            lambda: services.lost_reason_save(actor=head, name="Because"),
        ):
            with pytest.raises(PermissionDenied):
                call()


def test_a_pipeline_with_deals_is_archived_not_deleted(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        extra = services.pipeline_create(actor=owner, name="Extra")
    new_deal(owner, pipeline=extra)
    with tenant_scope(tenant, owner.user):
        with pytest.raises(ValidationError, match="archive"):
            services.pipeline_delete(actor=owner, pipeline=extra)
        empty = services.pipeline_create(actor=owner, name="Empty")
        services.pipeline_delete(actor=owner, pipeline=empty)
        assert not Pipeline.objects.filter(name="Empty").exists()


def test_new_stages_go_before_the_closing_ones_with_a_free_colour(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        demo = services.stage_create(
            actor=owner, pipeline=pipeline, data={"name": "Demo", "probability": 60}
        )
        assert names(pipeline) == [
            "Lead", "Qualified", "Proposal", "Negotiation", "Demo", "Won", "Lost",
        ]  # fmt: skip
        assert demo.color not in {s.color for s in stages.values()}
        first = services.stage_create(
            actor=owner, pipeline=pipeline, data={"name": "Inbox"}, position=0
        )
        assert names(pipeline)[0] == "Inbox" and first.position == 0
        services.stage_create(
            actor=owner, pipeline=pipeline, data={"name": "Parked", "kind": "lost"}
        )
        assert names(pipeline)[-1] == "Parked"
        with pytest.raises(ValidationError) as err:
            services.stage_create(actor=owner, pipeline=pipeline, data={"name": "demo"})
        assert "name" in err.value.message_dict


def test_stages_are_renamed_recoloured_and_configured(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        stage = services.stage_update(
            actor=owner,
            stage=stages["Lead"],
            data={"name": "New lead", "color": "#ffd43b", "probability": 5, "rotting_days": 7},
        )
        stage.refresh_from_db()
        assert (stage.name, stage.color, stage.probability, stage.rotting_days) == (
            "New lead", "#ffd43b", 5, 7,
        )  # fmt: skip
        assert stage.color_class == "stage-c5"
        event = Event.objects.filter(type="stage.updated").get()
        assert event.data["changes"]["name"] == ["Lead", "New lead"]
        for bad in ({"color": "red"}, {"probability": 101}, {"name": ""}, {"kind": "maybe"}):
            with pytest.raises(ValidationError):
                services.stage_update(actor=owner, stage=stage, data=bad)
        services.stage_update(actor=owner, stage=stage, data={"rotting_days": ""})
        stage.refresh_from_db()
        assert stage.rotting_days is None


def test_a_funnel_keeps_an_open_stage(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        p = services.pipeline_create(
            actor=owner, name="Tiny", stages=[("Only", "open", 10), ("Won", "won", 100)]
        )
        only = p.stages.get(name="Only")
        with pytest.raises(ValidationError, match="open stage"):
            services.stage_update(actor=owner, stage=only, data={"kind": "won"})
        with pytest.raises(ValidationError, match="open stage"):
            services.stage_delete(actor=owner, stage=only)


def test_a_stage_that_changes_kind_takes_its_deals_status_with_it(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stage=stages["Negotiation"])
    with tenant_scope(tenant, owner.user):
        services.stage_update(actor=owner, stage=stages["Negotiation"], data={"kind": "won"})
        deal.refresh_from_db()
        assert deal.status == Deal.WON and deal.closed_at is not None
        services.stage_update(actor=owner, stage=stages["Negotiation"], data={"kind": "open"})
        deal.refresh_from_db()
        assert deal.status == Deal.OPEN and deal.closed_at is None
        # Each closing and reopening is an event of the deal's, as a win on the board is.
        events = Event.objects.filter(subject_type="deal", subject_id=deal.pk).order_by("id")
        assert [e.type for e in events if e.type in ("deal.won", "deal.reopened")] == [
            "deal.won",
            "deal.reopened",
        ]


def test_stages_are_reordered_by_a_list_of_every_id(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    order = ["Won", "Lead", "Qualified", "Negotiation", "Proposal", "Lost"]
    with tenant_scope(tenant, owner.user):
        services.stages_reorder(
            actor=owner, pipeline=pipeline, stage_ids=[stages[n].pk for n in order]
        )
        assert names(pipeline) == order
        assert Event.objects.filter(type="pipeline.stages_reordered").count() == 1
        for bad in (
            [stages[n].pk for n in order[:-1]],  # one missing
            [stages[n].pk for n in order] + [stages["Lead"].pk],  # one twice
        ):
            with pytest.raises(ValidationError):
                services.stages_reorder(actor=owner, pipeline=pipeline, stage_ids=bad)
        other = services.pipeline_create(actor=owner, name="Other")
        foreign = [stages[n].pk for n in order[:-1]] + [other.stages.first().pk]
        with pytest.raises(ValidationError):
            services.stages_reorder(actor=owner, pipeline=pipeline, stage_ids=foreign)
        assert names(pipeline) == order


def test_deleting_a_stage_moves_its_deals_where_the_admin_says(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    pipeline, stages = funnel(tenant)
    ours = DealFactory.create_batch(3, actor=manager, stage=stages["Qualified"])
    already = new_deal(owner, title="There", stage=stages["Proposal"])
    with tenant_scope(tenant, owner.user):
        with pytest.raises(ValidationError) as err:
            services.stage_delete(actor=owner, stage=stages["Qualified"])
        assert "move_to" in err.value.message_dict
        with pytest.raises(ValidationError):
            services.stage_delete(
                actor=owner, stage=stages["Qualified"], move_to=stages["Qualified"]
            )
        other = services.pipeline_create(actor=owner, name="Other")
        with pytest.raises(ValidationError):
            services.stage_delete(
                actor=owner, stage=stages["Qualified"], move_to=other.stages.first()
            )
        moved = services.stage_delete(
            actor=owner, stage=stages["Qualified"], move_to=stages["Proposal"]
        )
        assert moved == 3
        assert not Stage.objects.filter(pk=stages["Qualified"].pk).exists()
        assert names(pipeline) == ["Lead", "Proposal", "Negotiation", "Won", "Lost"]
        column = list(Deal.objects.filter(stage=stages["Proposal"]).order_by("position"))
        assert [d.title for d in column] == ["There", *(d.title for d in ours)]
        for deal in ours:
            history = list(StageHistory.objects.filter(deal=deal).order_by("entered_at", "id"))
            assert [(h.stage_id, h.stage_name) for h in history] == [
                (None, "Qualified"),  # the stage is gone; its name stays in the history
                (stages["Proposal"].pk, "Proposal"),
            ]
            assert history[0].left_at is not None and history[1].left_at is None
            assert history[1].moved_by == owner.user
        assert Event.objects.filter(type="deal.stage_changed").count() == 3
        assert Event.objects.get(type="stage.deleted").data["moved_deals"] == 3
        assert already.pk in {d.pk for d in column}
        empty = services.stage_delete(actor=owner, stage=stages["Negotiation"])
        assert empty == 0


def test_a_failed_move_deletes_nothing(workspace, monkeypatch):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_deal(owner, stage=stages["Lead"])
    from deals import services as deal_services

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(deal_services, "deals_move_in_bulk", boom)
    with tenant_scope(tenant, owner.user), pytest.raises(RuntimeError):
        services.stage_delete(actor=owner, stage=stages["Lead"], move_to=stages["Proposal"])
    with tenant_scope(tenant):
        assert Stage.objects.filter(pk=stages["Lead"].pk).exists()
        assert Deal.objects.get().stage_id == stages["Lead"].pk


def test_lost_reasons_are_kept_by_admins(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        reason = services.lost_reason_save(actor=owner, name="Timing")
        assert reason.position == 4
        with pytest.raises(ValidationError):
            services.lost_reason_save(actor=owner, name="timing")
        services.lost_reason_save(actor=owner, reason=reason, name="Bad timing")
        reason.refresh_from_db()
        assert reason.name == "Bad timing"
    deal = new_deal(owner)
    from deals import services as deal_services

    with tenant_scope(tenant, owner.user):
        deal_services.deal_lost(actor=owner, deal=deal, reason=reason, note="Next year")
        services.lost_reason_delete(actor=owner, reason=reason)
        deal.refresh_from_db()
        assert deal.lost_reason is None and deal.lost_note == "Next year"
        assert deal.status == Deal.LOST
