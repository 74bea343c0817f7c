"""The automation API's contract: rules made, listed, refused with the field named; a deal
moved into the stage gets its task, once per entry; runs listed with status and error."""

import pytest

from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client
from tests.pipelines.helpers import funnel, new_deal

from .helpers import call_task_on, settle

pytestmark = pytest.mark.django_db

RULES = "/api/v1/automation/rules/"


def _rule_body(stage, **extra):
    return {"name": "Call on Qualified", **call_task_on(stage), **extra}


def test_a_rule_made_over_the_api_creates_the_task_when_a_deal_enters_the_stage(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    client = api_client(owner)

    created = client.post(RULES, _rule_body(stages["Qualified"]), format="json")
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert rule["is_active"] is True and rule["version"] == 1
    assert rule["stage"] == stages["Qualified"].pk
    assert rule["actions"][0]["title"] == "Call the client"
    assert [r["id"] for r in client.get(RULES).json()["results"]] == [rule["id"]]

    deal = new_deal(owner, title="Fleet renewal")
    moved = client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    assert moved.status_code == 200
    settle(tenant)

    tasks = client.get("/api/v1/tasks/").json()["results"]
    assert [(t["title"], t["kind"], t["assignee"]) for t in tasks] == [
        ("Call the client", "call", owner.user_id)
    ]
    runs = client.get("/api/v1/automation/runs/", {"rule": rule["id"]}).json()["results"]
    assert [(r["status"], r["error"]) for r in runs] == [("done", "")]
    assert runs[0]["steps"][0]["status"] == "done"

    # Out and back in: the rule runs again, once.
    client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Proposal"].pk})
    client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    settle(tenant)
    settle(tenant)
    with tenant_scope(tenant):
        assert Task.objects.filter(object_type="deal", object_id=deal.pk).count() == 2
    runs = client.get("/api/v1/automation/runs/", {"rule": rule["id"]}).json()["results"]
    assert [r["status"] for r in runs] == ["done", "done"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": {"type": "deal.nonsense", "stage": 1}}, "trigger.type"),
        ({"actions": [{"type": "teleport"}]}, "actions.0.type"),
        ({"actions": [{"type": "task.create", "kind": "call"}]}, "actions.0.title"),
        ({"actions": [{"type": "task.create", "title": "x", "kind": "dance"}]}, "actions.0.kind"),
        ({"actions": [{"type": "task.create", "title": "x", "wat": 1}]}, "actions.0.wat"),
        ({"actions": []}, "actions"),
        ({"conditions": {"field": "nonsense", "op": "equals", "value": 1}}, "conditions.field"),
        ({"conditions": {"field": "amount", "op": "contains", "value": 1}}, "conditions.op"),
    ],
)
def test_an_invalid_spec_is_a_400_naming_the_field(workspace, change, field):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    response = api_client(owner).post(RULES, {**_rule_body(stages["Qualified"]), **change},
                                      format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()


def test_a_stage_of_another_workspace_or_funnel_is_refused(workspace, other_workspace):
    (tenant, owner), (other, _) = workspace, other_workspace
    _, theirs = funnel(other)
    client = api_client(owner)
    response = client.post(RULES, _rule_body(theirs["Qualified"]), format="json")
    assert response.status_code == 400
    assert "trigger.stage" in response.json()["error"]["fields"]
    their_funnel = theirs["Qualified"].pipeline_id
    _, stages = funnel(tenant)
    response = client.post(RULES, _rule_body(stages["Qualified"], pipeline=their_funnel),
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "pipeline" in response.json()["error"]["fields"]

    with tenant_scope(tenant, owner.user):
        from pipelines import services as pipeline_services

        second = pipeline_services.pipeline_create(actor=owner, name="Partners")
        partner_stage = second.stages.order_by("position").first()
    _, stages = funnel(tenant)
    body = _rule_body(stages["Qualified"])
    body["actions"] = [{"type": "deal.move", "stage": partner_stage.pk}]
    response = client.post(RULES, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["actions.0.stage"]


def test_only_admins_and_roles_granted_automation_see_and_edit_rules(workspace):
    tenant, _owner = workspace
    _, stages = funnel(tenant)
    manager = add_member(tenant, "manager")
    client = api_client(manager)
    assert client.get(RULES).status_code == 403
    assert client.post(RULES, _rule_body(stages["Qualified"]), format="json").status_code == 403
    assert client.get("/api/v1/automation/runs/").status_code == 403
    assert client.get("/api/v1/automation/catalogue/").status_code == 403

    with tenant_scope(tenant):
        role = manager.role
        role.grants = {**role.grants, "automation": {"actions": ["view", "create", "edit"],
                                                     "visibility": "all"}}  # fmt: skip
        role.save()
    assert client.get(RULES).status_code == 200
    assert client.post(RULES, _rule_body(stages["Qualified"]), format="json").status_code == 201


def test_edits_make_versions_and_a_switched_off_rule_does_nothing(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    client = api_client(owner)
    rule = client.post(RULES, _rule_body(stages["Qualified"]), format="json").json()
    url = f"{RULES}{rule['id']}/"
    edited = client.patch(url, {"actions": [{"type": "task.create", "title": "Meet",
                                             "kind": "meeting"}]}, format="json")  # fmt: skip
    assert edited.status_code == 200, edited.json()
    assert edited.json()["version"] == 2
    versions = client.get(f"{url}versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["spec"]["actions"][0]["title"] == "Call the client"

    assert client.patch(url, {"is_active": False}, format="json").json()["version"] == 2
    deal = new_deal(owner)
    client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    settle(tenant)
    assert client.get("/api/v1/tasks/").json()["results"] == []
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_reorder_and_the_catalogue(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    client = api_client(owner)
    first = client.post(RULES, _rule_body(stages["Qualified"]), format="json").json()
    second = client.post(RULES, {**_rule_body(stages["Qualified"]), "name": "Second"},
                         format="json").json()  # fmt: skip
    reordered = client.post(f"{RULES}reorder/", {"rules": [second["id"], first["id"]]},
                            format="json")  # fmt: skip
    assert reordered.status_code == 200
    assert [r["name"] for r in client.get(RULES).json()["results"]] == [
        "Second",
        "Call on Qualified",
    ]

    catalogue = client.get("/api/v1/automation/catalogue/").json()
    actions = {a["type"]: a for a in catalogue["actions"]}
    assert {"task.create", "deal.move", "deal.assign", "notify", "comment.add"} <= set(actions)
    assert actions["task.create"]["params"]["properties"]["kind"]["enum"] == [
        "call",
        "meeting",
        "task",
    ]
    triggers = {t["type"] for t in catalogue["triggers"]}
    assert "deal.stage_entered" in triggers
    assert any(f["key"] == "amount" for f in catalogue["fields"]["deal"])


def test_dry_run_says_what_would_happen_and_does_nothing(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    client = api_client(owner)
    client.post(RULES, _rule_body(stages["Qualified"]), format="json")
    other = {**_rule_body(stages["Proposal"]), "name": "On proposal"}
    client.post(RULES, other, format="json")
    deal = new_deal(owner, stage=stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        before = Task.objects.count()

    answer = client.post(f"{RULES}dry-run/", {"object_type": "deal", "object_id": deal.pk},
                         format="json")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    fired = {r["name"]: r for r in answer.json()["rules"]}
    assert fired["Call on Qualified"]["fires"] is True
    assert fired["On proposal"]["fires"] is False
    assert "Call the client" in fired["Call on Qualified"]["actions"][0]["does"]
    with tenant_scope(tenant):
        assert Task.objects.count() == before


def test_another_workspaces_rules_runs_and_deals_are_not_found(workspace, other_workspace):
    (_, owner), (other, their_owner) = workspace, other_workspace
    _, theirs = funnel(other)
    their_client = api_client(their_owner)
    rule = their_client.post(RULES, _rule_body(theirs["Qualified"]), format="json").json()
    deal = new_deal(their_owner, stage=theirs["Qualified"])
    settle(other)
    client = api_client(owner)
    assert client.get(f"{RULES}{rule['id']}/").status_code == 404
    assert client.get(f"{RULES}{rule['id']}/versions/").status_code == 404
    assert client.get("/api/v1/automation/runs/", {"rule": rule["id"]}).json()["results"] == []
    dry = client.post(f"{RULES}dry-run/", {"object_id": deal.pk}, format="json")
    assert dry.status_code == 404
    moved = client.post(f"{RULES}reorder/", {"rules": [rule["id"]]}, format="json")
    assert moved.status_code == 400
    assert their_client.get(f"{RULES}{rule['id']}/").json()["position"] == 0


def test_a_member_granted_automation_with_own_visibility_cannot_dry_run_a_colleagues_deal(
    workspace,
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    colleague, member = add_member(tenant, "manager"), add_member(tenant, "manager")
    with tenant_scope(tenant):
        role = member.role
        role.grants = {**role.grants, "automation": {"actions": ["view"], "visibility": "own"}}
        role.save()
    api_client(owner).post(RULES, _rule_body(stages["Qualified"]), format="json")
    hidden = new_deal(colleague, title="Colleague's secret", stage=stages["Qualified"])
    mine = new_deal(member, title="Mine", stage=stages["Qualified"])
    settle(tenant)
    client = api_client(member)
    assert (
        client.post(f"{RULES}dry-run/", {"object_id": hidden.pk}, format="json").status_code == 404
    )
    assert client.post(f"{RULES}dry-run/", {"object_id": mine.pk}, format="json").status_code == 200
    # Runs show ids, not what the hidden deal is; and a viewer cannot edit rules.
    assert "secret" not in client.get("/api/v1/automation/runs/").content.decode()
    rule = client.get(RULES).json()["results"][0]
    assert (
        client.patch(f"{RULES}{rule['id']}/", {"name": "Hacked"}, format="json").status_code == 403
    )
    assert client.post("/api/v1/automation/runs/1/retry/").status_code in (403, 404)


def test_the_lists_cost_the_same_however_long(workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    client = api_client(owner)
    for i in range(3):
        client.post(RULES, {**_rule_body(stages["Qualified"]), "name": f"Rule {i}"},
                    format="json")  # fmt: skip
    for i in range(4):
        deal = new_deal(owner, title=f"Deal {i}")
        client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    settle(tenant)
    with django_assert_max_num_queries(12):
        runs = client.get("/api/v1/automation/runs/", {"page_size": 100})
    assert len(runs.json()["results"]) == 12
    with django_assert_max_num_queries(10):
        assert len(client.get(RULES).json()["results"]) == 3
