"""The engine: conditions, delays kept in the steps table, the stage left before a delayed
action, the loop guard, retries that do each action once, and the system as the actor."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from automation import executor
from automation.models import Run, Step
from crm.activity.models import Event, Note, Task
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal
from tests.conftest import api_client
from tests.pipelines.helpers import funnel, new_deal

from .helpers import call_task_on, new_rule, settle

pytestmark = pytest.mark.django_db


def _move(owner, deal, stage):
    with tenant_scope(owner.tenant_id, owner.user):
        return deal_services.deal_move(actor=owner, deal=deal, stage=stage)


def _runs(tenant, rule=None):
    with tenant_scope(tenant):
        runs = Run.objects.order_by("id")
        return list(runs.filter(rule=rule) if rule else runs)


def test_two_rules_moving_a_deal_back_and_forth_stop_at_the_guard_and_say_so(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    qualified, proposal = stages["Qualified"], stages["Proposal"]
    forth = new_rule(owner, "Forth", {
        "trigger": {"type": "deal.stage_entered", "stage": qualified.pk},
        "actions": [{"type": "deal.move", "stage": proposal.pk}],
    })  # fmt: skip
    back = new_rule(owner, "Back", {
        "trigger": {"type": "deal.stage_entered", "stage": proposal.pk},
        "actions": [{"type": "deal.move", "stage": qualified.pk, "allow_back": True}],
    })  # fmt: skip
    deal = new_deal(owner)

    _move(owner, deal, qualified)
    settle(tenant)

    runs = _runs(tenant)
    assert [(r.rule_id, r.status, r.depth) for r in runs] == [
        (forth.pk, "done", 0), (back.pk, "done", 1), (forth.pk, "stopped", 2),
    ]  # fmt: skip
    assert len({r.chain for r in runs}) == 1
    assert "«Forth»" in runs[-1].error and "«Back»" in runs[-1].error
    assert "Loop stopped" in runs[-1].error
    with tenant_scope(tenant):
        assert Deal.objects.get(pk=deal.pk).stage_id == qualified.pk
        # The system moved it: the events name no person, and carry the chain.
        caused = Event.objects.filter(type="deal.stage_changed", cause__isnull=False)
        assert {e.actor_id for e in caused} == {None}
    # Through the API, as the contract says.
    listed = api_client(owner).get("/api/v1/automation/runs/", {"rule": forth.pk}).json()
    assert [r["status"] for r in listed["results"]] == ["stopped", "done"]
    assert "Back" in listed["results"][0]["error"]


def test_a_chain_deeper_than_the_limit_stops(workspace, settings):
    settings.AUTOMATION_MAX_DEPTH = 2
    tenant, owner = workspace
    _, stages = funnel(tenant)
    names = ["Lead", "Qualified", "Proposal", "Negotiation"]
    for a, b in itertools.pairwise(names):
        new_rule(owner, f"{a} to {b}", {
            "trigger": {"type": "deal.stage_entered", "stage": stages[a].pk},
            "actions": [{"type": "deal.move", "stage": stages[b].pk}],
        })  # fmt: skip
    new_deal(owner, stage=stages["Lead"])
    settle(tenant)
    runs = _runs(tenant)
    assert [r.status for r in runs] == ["done", "done", "stopped"]
    assert "a chain of 3 rules" in runs[-1].error


def test_conditions_decide_which_deals_a_rule_acts_on(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    spec = call_task_on(stages["Qualified"])
    spec["conditions"] = {"all": [
        {"field": "amount", "op": "gt", "value": 1000},
        {"not": {"field": "tags", "op": "contains", "value": "partner"}},
        {"any": [{"field": "title", "op": "contains", "value": "fleet"},
                 {"field": "stage_entered_at", "op": "older_than_days", "value": 30}]},
    ]}  # fmt: skip
    new_rule(owner, spec=spec)
    big = new_deal(owner, title="Fleet renewal", amount=5000)
    small = new_deal(owner, title="Fleet spare", amount=10)
    partner = new_deal(owner, title="Fleet partner", amount=5000, tags=["partner"])
    other = new_deal(owner, title="Printer", amount=5000)
    for deal in (big, small, partner, other):
        _move(owner, deal, stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        assert list(Task.objects.values_list("object_id", flat=True)) == [big.pk]


def test_a_delayed_step_waits_in_the_table_and_is_skipped_when_the_deal_left_the_stage(
    workspace,
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, spec=call_task_on(stages["Qualified"], delay={"hours": 2}))
    stays, leaves = new_deal(owner, title="Stays"), new_deal(owner, title="Leaves")
    _move(owner, stays, stages["Qualified"])
    _move(owner, leaves, stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        steps = list(Step.objects.order_by("id"))
        assert [s.status for s in steps] == ["pending", "pending"]
        assert steps[0].due_at > timezone.now() + timedelta(minutes=110)
    _move(owner, leaves, stages["Proposal"])
    settle(tenant)
    with tenant_scope(tenant):
        assert Task.objects.count() == 0
        Step.objects.update(due_at=timezone.now() - timedelta(seconds=1))  # two hours on
    settle(tenant)
    with tenant_scope(tenant):
        assert list(Task.objects.values_list("object_id", flat=True)) == [stays.pk]
        by_deal = {s.run.object_id: s for s in Step.objects.select_related("run")}
        assert by_deal[stays.pk].status == "done"
        assert by_deal[leaves.pk].status == "skipped"
        assert "left the stage" in by_deal[leaves.pk].error


def test_a_step_that_fails_midway_is_retried_and_acts_once(workspace, settings):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    rule = new_rule(owner, spec={
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [{"type": "test.flaky", "failures": 2}],
    })  # fmt: skip
    deal = new_deal(owner)
    _move(owner, deal, stages["Qualified"])
    settle(tenant)
    for _ in range(2):  # each failure put the step back, a little later
        with tenant_scope(tenant):
            step = Step.objects.get()
            assert step.status == "pending" and "died midway" in step.error
            Step.objects.update(due_at=timezone.now())
            executor.run_due()
    with tenant_scope(tenant):
        step = Step.objects.get()
        assert step.status == "done" and step.attempts == 3
        # The two failed attempts' notes were rolled back with them.
        assert Note.objects.filter(object_id=deal.pk).count() == 1
        assert Run.objects.get(rule=rule).status == "done"
        executor.run_due()  # a late duplicate claim finds nothing to do
        assert Note.objects.filter(object_id=deal.pk).count() == 1


def test_a_failed_run_is_retried_over_the_api_and_acts_once(workspace, settings):
    settings.AUTOMATION_STEP_ATTEMPTS = 1
    tenant, owner = workspace
    _, stages = funnel(tenant)
    rule = new_rule(owner, spec={
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [{"type": "test.flaky", "failures": 1},
                    {"type": "deal.add_tag", "tag": "followed"}],
    })  # fmt: skip
    deal = new_deal(owner)
    _move(owner, deal, stages["Qualified"])
    settle(tenant)
    client = api_client(owner)
    run = client.get("/api/v1/automation/runs/", {"rule": rule.pk}).json()["results"][0]
    assert run["status"] == "failed" and "died midway" in run["error"]
    assert [s["status"] for s in run["steps"]] == ["failed"]

    retried = client.post(f"/api/v1/automation/runs/{run['id']}/retry/")
    assert retried.status_code == 200, retried.json()
    settle(tenant)
    again = client.post(f"/api/v1/automation/runs/{run['id']}/retry/")
    assert again.status_code == 400  # it is done: nothing to retry
    run = client.get(f"/api/v1/automation/runs/{run['id']}/").json()
    assert run["status"] == "done"
    assert [s["status"] for s in run["steps"]] == ["done", "done"]
    with tenant_scope(tenant):
        assert Note.objects.filter(object_id=deal.pk).count() == 1
        assert Deal.objects.get(pk=deal.pk).tags == ["followed"]


def test_a_rule_names_no_id_that_is_gone_when_it_runs(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    from tests.conftest import add_member

    colleague = add_member(tenant, "manager")
    spec = call_task_on(stages["Qualified"], assignee="user", user=colleague.user_id)
    rule = new_rule(owner, spec=spec)
    with tenant_scope(tenant):
        colleague.is_active = False
        colleague.save()
    deal = new_deal(owner)
    _move(owner, deal, stages["Qualified"])
    settle(tenant)
    run = _runs(tenant, rule)[0]
    assert run.status == "failed" and "user" in run.error
    with tenant_scope(tenant):
        assert Task.objects.count() == 0


def test_actions_assign_tag_comment_and_notify(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    from tests.conftest import add_member

    a, b = add_member(tenant, "manager"), add_member(tenant, "manager")
    with tenant_scope(tenant, owner.user):
        from crm.accounts import services as account_services

        sales = account_services.department_save(actor=owner, name="Sales desk")
        for m in (a, b):
            m.department = sales
            m.save()
    new_rule(owner, spec={
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [
            {"type": "deal.assign", "mode": "round_robin", "department": sales.pk},
            {"type": "deal.add_tag", "tag": "hot"},
            {"type": "comment.add", "body": "Qualified by the rule"},
            {"type": "notify", "recipient": "owner", "text": "A deal is yours"},
        ],
    })  # fmt: skip
    first, second = new_deal(owner, title="First"), new_deal(owner, title="Second")
    _move(owner, first, stages["Qualified"])
    settle(tenant)
    _move(owner, second, stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        from crm.activity.models import Comment, Notification

        owners = [Deal.objects.get(pk=d.pk).owner_id for d in (first, second)]
        assert sorted(owners) == sorted([a.user_id, b.user_id])
        assert Deal.objects.get(pk=first.pk).tags == ["hot"]
        assert Comment.objects.filter(object_id=first.pk).get().author_id is None
        notes = Notification.objects.filter(kind="automation")
        assert sorted(n.recipient_id for n in notes) == sorted(owners)
