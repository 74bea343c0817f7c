import pytest
from rest_framework.test import APIClient

from crm.accounts import services
from crm.accounts.models import Department, Role
from crm.api.throttling import ApiKeyRateThrottle
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client

pytestmark = pytest.mark.django_db


def test_me_describes_the_key_owner_and_workspace(workspace):
    tenant, owner = workspace
    body = api_client(owner).get("/api/v1/me/").json()
    assert body["user"]["email"] == owner.user.email
    assert body["tenant"]["slug"] == tenant.slug
    assert body["role"]["key"] == "admin"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer crm_1_x", "Basic abc"])
def test_no_or_bad_credentials_answer_401_in_the_error_shape(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/members/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) >= {"status", "code", "message"}
    if header and header.startswith("Bearer"):
        assert response.status_code == 401 and "Bearer" in response["WWW-Authenticate"]


def test_a_revoked_key_stops_working_at_once(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        key, raw = services.api_key_create(actor=owner, name="k")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 200
    with tenant_scope(tenant):
        services.api_key_revoke(actor=owner, key=key)
    assert client.get("/api/v1/me/").status_code == 401


def test_a_deactivated_member_key_stops_working(workspace):
    tenant, owner = workspace
    member = add_member(tenant, "manager")
    client = api_client(member)
    assert client.get("/api/v1/me/").status_code == 200
    with tenant_scope(tenant):
        services.member_deactivate(actor=owner, membership=member)
    assert client.get("/api/v1/me/").status_code == 401


def test_managers_read_members_but_cannot_change_access(workspace):
    tenant, _ = workspace
    manager = add_member(tenant, "manager")
    client = api_client(manager)
    assert client.get("/api/v1/members/").status_code == 200
    with tenant_scope(tenant):
        admin_role = Role.objects.get(key="admin").pk
    response = client.patch(f"/api/v1/members/{manager.pk}/", {"role": admin_role}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/audit-trail/").status_code == 403


def test_admin_changes_a_members_role_and_department(workspace):
    tenant, owner = workspace
    member = add_member(tenant, "manager")
    with tenant_scope(tenant):
        head = Role.objects.get(key="head").pk
        dept = services.department_save(actor=owner, name="East").pk
    response = api_client(owner).patch(
        f"/api/v1/members/{member.pk}/", {"role": head, "department": dept}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["role"], response.json()["department"]) == (head, dept)


def test_ids_from_another_workspace_are_invalid_input(workspace, other_workspace):
    tenant, owner = workspace
    member = add_member(tenant, "manager")
    with tenant_scope(other_workspace[0]):
        foreign_role = Role.objects.get(key="admin").pk
    response = api_client(owner).patch(
        f"/api/v1/members/{member.pk}/", {"role": foreign_role}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_validation_errors_name_the_field(workspace):
    _, owner = workspace
    client = api_client(owner)
    response = client.post("/api/v1/roles/", {"name": "X", "grants": {"rocket": {}}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["grants"]
    response = client.post("/api/v1/departments/", {}, format="json")
    assert response.json()["error"]["fields"]["name"]


def test_role_crud_through_the_api(workspace):
    _, owner = workspace
    client = api_client(owner)
    created = client.post(
        "/api/v1/roles/",
        {
            "name": "Caller",
            "grants": {"deal": {"actions": ["view", "edit"], "visibility": "department"}},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    role_id = created.json()["id"]
    renamed = client.patch(f"/api/v1/roles/{role_id}/", {"name": "Cold caller"}, format="json")
    assert renamed.json()["name"] == "Cold caller"
    assert renamed.json()["grants"]["deal"]["visibility"] == "department"
    assert client.delete(f"/api/v1/roles/{role_id}/").status_code == 204


def test_api_key_creation_returns_the_key_once(workspace):
    _, owner = workspace
    client = api_client(owner)
    created = client.post("/api/v1/api-keys/", {"name": "Zapier"}, format="json").json()
    assert created["key"].startswith("crm_")
    listed = client.get(f"/api/v1/api-keys/{created['id']}/").json()
    assert listed["key"] is None and listed["prefix"] == created["key"][:14]


def test_cursor_pagination_walks_every_row_once(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        Department.objects.bulk_create([Department(name=f"D{i}") for i in range(7)])
    client = api_client(owner)
    seen, url = [], "/api/v1/departments/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["name"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f"D{i}" for i in range(7))


def test_each_key_is_throttled(workspace, monkeypatch):
    _, owner = workspace
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "3/min", raising=False)
    client, other = api_client(owner), api_client(owner)
    codes = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/me/").json()["error"]["code"] == "throttled"
    assert other.get("/api/v1/me/").status_code == 200  # counted per key


def test_session_auth_needs_csrf_for_writes(workspace):
    _, owner = workspace
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner.user)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/departments/", {"name": "X"}, format="json").status_code == 403


@pytest.mark.parametrize(
    "prefix", ["members", "roles", "departments", "audit-trail", "api-keys", "invitations"]
)
def test_list_endpoints_run_a_bounded_number_of_queries(
    prefix, workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    client = api_client(owner)
    for i in range(30):
        add_member(tenant, "manager")
        with tenant_scope(tenant):
            services.department_save(actor=owner, name=f"Dept {i}")
            services.api_key_create(actor=owner, name=f"k{i}")
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/{prefix}/", {"page_size": 100})
    assert response.status_code == 200


def test_openapi_schema_and_docs(workspace, browser_client):
    schema = browser_client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/members/", "/api/v1/roles/", "/api/v1/api-keys/", "/api/v1/me/"):
        assert path in text
    assert browser_client.get("/api/docs/").status_code == 200


def test_unknown_api_path_answers_json_404(db, client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
