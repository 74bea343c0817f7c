"""The funnels' set-up over the API: members read, admins write; reorder; stage deletion
that moves deals; lost reasons. Other workspaces' records: tests/isolation walks them."""

import pytest

from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Pipeline, Stage
from tests.conftest import add_member, api_client
from tests.pipelines.helpers import funnel, new_deal

pytestmark = pytest.mark.django_db


def test_members_read_the_funnels_with_their_stages(workspace, django_assert_max_num_queries):
    tenant, _ = workspace
    manager = add_member(tenant, "manager")
    client = api_client(manager)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/pipelines/").json()
    [sales] = body["results"]
    assert sales["name"] == "Sales"
    assert [s["name"] for s in sales["stages"]] == [
        "Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost",
    ]  # fmt: skip
    assert sales["stages"][4]["kind"] == "won"
    stages = client.get("/api/v1/stages/", {"pipeline": sales["id"]}).json()["results"]
    assert [s["position"] for s in stages] == list(range(6))
    bad = client.get("/api/v1/stages/", {"pipeline": "x"})
    assert bad.status_code == 400 and "pipeline" in bad.json()["error"]["fields"]
    assert len(client.get("/api/v1/lost-reasons/").json()["results"]) == 4
    # ...and change nothing.
    assert client.post("/api/v1/pipelines/", {"name": "Mine"}, format="json").status_code == 403
    url = f"/api/v1/stages/{stages[0]['id']}/"
    assert client.patch(url, {"name": "X"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403


def test_admins_create_rename_archive_and_reorder(workspace):
    tenant, owner = workspace
    client = api_client(owner)
    created = client.post("/api/v1/pipelines/", {"name": "Partners"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert len(body["stages"]) == 6 and body["position"] == 1
    url = f"/api/v1/pipelines/{body['id']}/"
    assert client.patch(url, {"name": "Partnerships"}, format="json").json()["name"] == (
        "Partnerships"
    )
    dup = client.post("/api/v1/pipelines/", {"name": "sales"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()["error"]["fields"]
    assert client.patch(url, {"is_archived": True}, format="json").json()["is_archived"]
    active = client.get("/api/v1/pipelines/", {"is_archived": "false"}).json()["results"]
    assert [p["name"] for p in active] == ["Sales"]
    ids = [s["id"] for s in body["stages"]]
    reordered = client.post(f"{url}reorder/", {"stages": ids[::-1]}, format="json")
    assert [s["id"] for s in reordered.json()["stages"]] == ids[::-1]
    bad = client.post(f"{url}reorder/", {"stages": ids[:2]}, format="json")
    assert bad.status_code == 400 and "stages" in bad.json()["error"]["fields"]
    assert client.delete(url).status_code == 204
    with tenant_scope(tenant):
        assert list(Pipeline.objects.values_list("name", flat=True)) == ["Sales"]


def test_stages_over_the_api(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    client = api_client(owner)
    created = client.post(
        "/api/v1/stages/",
        {"pipeline": pipeline.pk, "name": "Demo", "color": "#f783ac", "rotting_days": 5},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["position"] == 4
    bad = client.post(
        "/api/v1/stages/", {"pipeline": pipeline.pk, "name": "Odd", "color": "red"}, format="json"
    )
    assert bad.status_code == 400 and "color" in bad.json()["error"]["fields"]
    url = f"/api/v1/stages/{stages['Lead'].pk}/"
    changed = client.patch(url, {"name": "Inbox", "probability": 5}, format="json").json()
    assert (changed["name"], changed["probability"]) == ("Inbox", 5)
    deal = new_deal(owner)
    refused = client.delete(url)
    assert refused.status_code == 400 and "move_to" in refused.json()["error"]["fields"]
    assert client.delete(url, QUERY_STRING="move_to=abc").status_code == 400
    assert client.delete(f"{url}?move_to={stages['Proposal'].pk}").status_code == 204
    with tenant_scope(tenant):
        assert Deal.objects.get(pk=deal.pk).stage_id == stages["Proposal"].pk
        assert not Stage.objects.filter(pk=stages["Lead"].pk).exists()


def test_a_stage_of_another_workspace_is_not_a_target(workspace, other_workspace):
    tenant, owner = workspace
    tenant_b, _ = other_workspace
    _, stages = funnel(tenant)
    _, theirs = funnel(tenant_b)
    new_deal(owner)
    client = api_client(owner)
    response = client.delete(f"/api/v1/stages/{stages['Lead'].pk}/?move_to={theirs['Lead'].pk}")
    assert response.status_code == 400
    pipeline_b = theirs["Lead"].pipeline_id
    response = client.post(
        "/api/v1/stages/", {"pipeline": pipeline_b, "name": "Sneaky"}, format="json"
    )
    assert response.status_code == 400 and "pipeline" in response.json()["error"]["fields"]


def test_lost_reasons_over_the_api(workspace):
    tenant, owner = workspace
    client = api_client(owner)
    created = client.post("/api/v1/lost-reasons/", {"name": "Timing"}, format="json").json()
    assert created["position"] == 4
    url = f"/api/v1/lost-reasons/{created['id']}/"
    assert client.patch(url, {"name": "Bad timing"}, format="json").json()["name"] == "Bad timing"
    assert client.delete(url).status_code == 204
    manager = add_member(tenant, "manager")
    assert (
        api_client(manager).post("/api/v1/lost-reasons/", {"name": "X"}, format="json").status_code
        == 403
    )
