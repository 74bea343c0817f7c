"""The "Wait" action: it does nothing itself; its delay is what the actions after it wait
for. A wait without a delay is refused on its `delay`; the dry run says how long it waits;
the editor shows its delay fields open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automation.models import Run, Step
from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import api_client, login
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db
RULES = "/api/v1/automation/rules/"


def _wait_then_call(stage, delay) -> dict:
    wait = {"type": "wait"} if delay is None else {"type": "wait", "delay": delay}
    return {"trigger": {"type": "deal.stage_entered", "stage": stage.pk},
            "actions": [wait, {"type": "task.create", "title": "Call the client", "kind": "call",
                               "assignee": "owner"}]}  # fmt: skip


def test_a_wait_delays_the_actions_after_it(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Call in 2 days", _wait_then_call(stages["Qualified"], {"days": 2}))
    deal = new_deal(owner, title="Fleet")
    moved_at = timezone.now()
    with tenant_scope(tenant, owner.user):
        deal_services.deal_move(actor=owner, deal=deal, stage=stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        [wait] = Step.objects.all()  # nothing after it is written yet, let alone done
        assert (wait.action, wait.status) == ("wait", Step.PENDING)
        assert wait.due_at >= moved_at + timedelta(days=2)
        assert not Task.objects.exists()
        # Two days pass.
        Step.objects.filter(pk=wait.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    settle(tenant)
    with tenant_scope(tenant):
        wait, call = Step.objects.order_by("index")
        assert wait.status == Step.DONE and wait.result == {"waited": True}
        assert call.status == Step.DONE and call.due_at >= wait.done_at - timedelta(seconds=1)
        assert Run.objects.get().status == Run.DONE
        assert list(Task.objects.values_list("title", flat=True)) == ["Call the client"]


@pytest.mark.parametrize("delay", [None, {}, {"days": 0}])
def test_a_wait_without_a_delay_is_refused_naming_the_field(workspace, delay):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    body = {"name": "Wait for nothing", **_wait_then_call(stages["Qualified"], delay)}
    answer = api_client(owner).post(RULES, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"actions.0.delay": ["Say how long to wait."]}
    # In a branch's arm too.
    amount = {"all": [{"field": "amount", "op": "gt", "value": 1}]}
    body["actions"] = [
        {
            "type": "branch",
            "conditions": amount,
            "then": [{"type": "wait"}, {"type": "deal.add_tag", "tag": "x"}],
        }
    ]
    answer = api_client(owner).post(RULES, body, format="json")
    assert answer.json()["error"]["fields"] == {"actions.0.then.0.delay": ["Say how long to wait."]}


def test_the_dry_run_says_how_long_it_waits(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, title="Fleet", stage=stages["Qualified"])
    client = api_client(owner)
    for delay, says in (
        ({"days": 2}, "Wait 2 days."),
        ({"days": 1, "at": "09:00", "working_day": True},
         "Wait 1 day, until 09:00, to a working day."),
        ({"hours": 3, "minutes": 30}, "Wait 3 hours 30 minutes."),
        ({"field": "expected_close", "days": -3}, "Wait until 3 days before Expected close."),
    ):  # fmt: skip
        rule = new_rule(owner, "Later", _wait_then_call(stages["Qualified"], delay))
        answer = client.post(f"{RULES}dry-run/", {"object_type": "deal", "object_id": deal.pk,
                                                  "rule": rule.pk}, format="json")  # fmt: skip
        assert answer.json()["rules"][0]["actions"][0]["does"] == says


def test_the_editor_shows_its_delay_open_and_names_a_missing_one(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    form = {"name": "Later", "trigger.type": "deal.stage_entered",
            "trigger.stage": str(stages["Qualified"].pk), "actions.0.type": "wait"}  # fmt: skip
    html = client.post(f"/deals/automation/{pipeline.pk}/rules/form/", form).content.decode()
    assert 'name="actions.0.delay.days"' in html
    action = html.split('data-testid="action-actions.0"', 1)[1]
    assert '<details class="auto-more" open>' in action.split("</details>", 1)[0]

    html = client.post(f"/deals/automation/{pipeline.pk}/rules/save/", form,
                       HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Say how long to wait." in html
    saved = client.post(f"/deals/automation/{pipeline.pk}/rules/save/",
                        {**form, "actions.0.delay.days": "2"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert "HX-Redirect" in saved
