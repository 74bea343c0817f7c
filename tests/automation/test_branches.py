"""If/else branches in a rule's actions: validated with their places, decided when the step
runs, each step of the chosen arm once (a step run again acts once), shown by the dry run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automation import plan
from automation.models import Run, Step
from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import api_client
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db


def _task(title, **extra):
    return {"type": "task.create", "title": title, "kind": "call", "assignee": "owner", **extra}


def _big_or_small(stage, **then_extra):
    return {
        "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
        "actions": [
            {"type": "branch",
             "conditions": {"all": [{"field": "amount", "op": "gt", "value": 1000}]},
             "then": [_task("Big"), _task("Big, later", **then_extra)],
             "else": [_task("Small")]},
            _task("After"),
        ],
    }  # fmt: skip


def _move(owner, deal, stage):
    with tenant_scope(owner.tenant_id, owner.user):
        deal_services.deal_move(actor=owner, deal=deal, stage=stage)


def _titles(tenant, deal):
    with tenant_scope(tenant):
        return sorted(
            Task.objects.filter(object_type="deal", object_id=deal.pk).values_list(
                "title", flat=True
            )
        )


def _steps(tenant):
    with tenant_scope(tenant):
        return list(Step.objects.order_by("index").values_list("index", "action", "status",
                                                                "result"))  # fmt: skip


def test_steps_are_numbered_over_the_flattened_tree():
    actions = [
        {"type": "a"},
        {"type": "branch", "then": [{"type": "b"}, {"type": "c"}], "else": [{"type": "d"}]},
        {"type": "e"},
    ]
    nodes = plan.flatten(actions)
    assert [n.raw["type"] for n in nodes] == ["a", "branch", "b", "c", "d", "e"]
    assert nodes[3].path == "actions.1.then.1" and nodes[4].path == "actions.1.else.0"
    assert plan.after(actions, 0) == 1
    assert plan.after(actions, 1, "then") == 2 and plan.after(actions, 1, "else") == 4
    assert plan.after(actions, 1) == 5  # skipped whole
    assert plan.after(actions, 3) == 5 and plan.after(actions, 4) == 5
    assert plan.after(actions, 5) is None
    empty_else = [{"type": "branch", "then": [{"type": "b"}], "else": []}]
    assert plan.after(empty_else, 0, "else") is None


def test_the_branch_taken_is_decided_when_it_runs_and_its_steps_follow_in_order(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Sort", _big_or_small(stages["Qualified"]))
    big, small = new_deal(owner, title="Fleet", amount=5000), new_deal(owner, title="Car",
                                                                          amount=10)  # fmt: skip
    _move(owner, big, stages["Qualified"])
    settle(tenant)
    assert _titles(tenant, big) == ["After", "Big", "Big, later"]
    steps = _steps(tenant)
    assert [(i, a, s) for i, a, s, _r in steps] == [
        (0, "branch", "done"), (1, "task.create", "done"), (2, "task.create", "done"),
        (4, "task.create", "done"),
    ]  # fmt: skip
    assert steps[0][3] == {"branch": "then"}
    _move(owner, small, stages["Qualified"])
    settle(tenant)
    assert _titles(tenant, small) == ["After", "Small"]
    with tenant_scope(tenant):
        run = Run.objects.filter(object_id=small.pk).get()
        assert run.status == Run.DONE
        assert sorted(run.steps.values_list("index", flat=True)) == [0, 3, 4]


def test_a_delayed_arm_waits_and_a_step_run_again_acts_once(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Sort", _big_or_small(stages["Qualified"], delay={"days": 1}))
    deal = new_deal(owner, title="Fleet", amount=5000)
    _move(owner, deal, stages["Qualified"])
    settle(tenant)
    assert _titles(tenant, deal) == ["Big"]  # "Big, later" waits a day, "After" after it
    with tenant_scope(tenant):
        waiting = Step.objects.get(status=Step.PENDING)
        assert waiting.index == 2
        # It falls due; sweeping twice (a second worker, a redelivered task) runs it once.
        Step.objects.filter(pk=waiting.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    settle(tenant)
    settle(tenant)
    assert _titles(tenant, deal) == ["After", "Big", "Big, later"]
    with tenant_scope(tenant):
        assert Run.objects.get().status == Run.DONE
        assert Step.objects.count() == 4


def test_an_invalid_branch_names_every_wrong_place(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    body = {
        "name": "Sort",
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [
            _task("First"),
            {"type": "branch", "then": [{"type": "task.create", "kind": "call"}],
             "else": [{"type": "branch", "then": []}], "colour": "red"},
        ],
    }  # fmt: skip
    response = api_client(owner).post("/api/v1/automation/rules/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "actions.1.then.0.title" in fields
    assert "actions.1.else.0.type" in fields
    assert "actions.1.conditions" in fields
    assert "actions.1.colour" in fields
    empty = {**body, "actions": [{"type": "branch", "conditions": {"all": [
        {"field": "amount", "op": "gt", "value": 1}]}, "then": [], "else": []}]}  # fmt: skip
    response = api_client(owner).post("/api/v1/automation/rules/", empty, format="json")
    assert "actions.0.then" in response.json()["error"]["fields"]
    catalogue = api_client(owner).get("/api/v1/automation/catalogue/").json()
    assert catalogue["branch"]["type"] == "branch" and catalogue["branch"]["arms"] == [
        "then", "else"]  # fmt: skip


def test_the_dry_run_shows_the_branch_that_would_be_taken(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Sort", _big_or_small(stages["Qualified"]))
    deal = new_deal(owner, title="Car", amount=10, stage=stages["Qualified"])
    response = api_client(owner).post(
        "/api/v1/automation/rules/dry-run/", {"object_type": "deal", "object_id": deal.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    [rule] = response.json()["rules"]
    branch = rule["actions"][0]
    assert branch["type"] == "branch" and branch["branch"] == "else"
    assert [a["index"] for a in branch["then"]] == [1, 2]
    assert [a["index"] for a in branch["else"]] == [3]
    assert rule["actions"][1]["index"] == 4
    assert _titles(tenant, deal) == []
