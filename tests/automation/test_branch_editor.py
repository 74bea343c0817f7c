"""The rule editor draws an if/else branch: type "branch" redraws with its conditions and
two arms, actions are added to and removed from an arm, a saved branch is the API's spec,
and an error inside an arm lands on its field."""

import pytest

from automation.models import Rule
from crm.tenancy.context import tenant_scope
from tests.conftest import login
from tests.pipelines.helpers import funnel

pytestmark = pytest.mark.django_db


def _branch_form(stage, **extra):
    return {
        "name": "Sort by amount",
        "trigger.type": "deal.stage_entered",
        "trigger.stage": str(stage.pk),
        "actions.0.type": "branch",
        "actions.0.conditions.0.field": "amount",
        "actions.0.conditions.0.op": "gt",
        "actions.0.conditions.0.value": "1000",
        "actions.0.then.0.type": "task.create",
        "actions.0.then.0.title": "Call the big client",
        "actions.0.then.0.kind": "call",
        "actions.0.then.0.assignee": "owner",
        "actions.0.else.0.type": "deal.add_tag",
        "actions.0.else.0.tag": "small",
        **extra,
    }


def test_choosing_a_branch_draws_its_conditions_and_arms_and_adds_to_an_arm(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    url = f"/deals/automation/{pipeline.pk}/rules/form/"
    form = {"name": "Sort", "trigger.type": "deal.stage_entered",
            "trigger.stage": str(stages["Qualified"].pk), "actions.0.type": "branch"}  # fmt: skip
    html = client.post(url, form).content.decode()
    assert 'data-testid="arm-actions.0.then"' in html and 'data-testid="arm-actions.0.else"' in html
    assert 'value="add_action:actions.0.then"' in html
    assert 'value="branch"' in html  # offered at the top level
    html = client.post(url, {**form, "op": "add_action:actions.0.else"}).content.decode()
    assert 'name="actions.0.else.0.type"' in html and 'name="actions.0.then.0.type"' not in html
    # An arm's action cannot be a branch again: not offered there.
    arm_select = html.split('name="actions.0.else.0.type"')[1].split("</select>")[0]
    assert 'value="branch"' not in arm_select
    posted = _branch_form(stages["Qualified"])
    html = client.post(url, {**posted, "op": "remove_action:actions.0.then.0"}).content.decode()
    assert 'name="actions.0.then.0.title"' not in html and 'name="actions.0.else.0.tag"' in html
    html = client.post(url, {**posted, "op": "add_condition:actions.0.conditions"}).content.decode()
    assert 'name="actions.0.conditions.1.field"' in html


def test_a_branch_saved_in_the_editor_is_the_specs_branch(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    saved = client.post(f"/deals/automation/{pipeline.pk}/rules/save/",
                        _branch_form(stages["Qualified"]), HTTP_HX_REQUEST="true")  # fmt: skip
    assert saved.status_code == 200 and "HX-Redirect" in saved
    with tenant_scope(tenant):
        [branch] = Rule.objects.get().version.spec["actions"]
    assert branch["type"] == "branch"
    assert branch["conditions"] == {"all": [{"field": "amount", "op": "gt", "value": 1000}]}
    assert [a["title"] for a in branch["then"]] == ["Call the big client"]
    assert [(a["type"], a["tag"]) for a in branch["else"]] == [("deal.add_tag", "small")]
    board = client.get(f"/deals/automation/{pipeline.pk}/").content.decode()
    assert "If / else" in board and "Call the big client" in board


def test_an_error_inside_an_arm_is_drawn_on_its_field(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    form = _branch_form(stages["Qualified"], **{"actions.0.then.0.title": ""})
    html = client.post(f"/deals/automation/{pipeline.pk}/rules/save/", form,
                       HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    title = html.split('id="r-actions-0-then-0-title"')[0].rsplit('<div class="field', 1)[1]
    assert "has-error" in title
    assert 'value="small"' in html  # nothing typed is lost
    with tenant_scope(tenant):
        assert not Rule.objects.exists()
