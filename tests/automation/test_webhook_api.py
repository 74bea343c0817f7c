"""/api/v1/webhooks/ and Settings → Webhooks: admins only, one workspace's endpoints and
deliveries only, events sent only as far as the endpoint's owner may see them."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from automation.models import WebhookDelivery, WebhookEndpoint
from automation.webhooks import services
from crm.accounts import services as account_services
from crm.accounts.models import Membership
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import add_member, api_client, login

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _deal(member, on_commit, title="Deal"):
    with tenant_scope(member.tenant_id, member.user), on_commit():
        return deal_services.deal_create(actor=member, data={"title": title, "amount": 1})


# --- the API contract ---------------------------------------------------------------------


def test_create_shows_the_secret_once_then_lists(workspace, on_commit):
    _, admin = workspace
    client = api_client(admin)
    with Receiver(200) as receiver:
        created = client.post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["deal.stage_changed", "deal.*"]},
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["secret"].startswith("whsec_") and body["is_active"] is True
        assert body["events"] == ["deal.stage_changed", "deal.*"]

        listed = client.get("/api/v1/webhooks/").json()["results"]
        assert [row["id"] for row in listed] == [body["id"]]
        assert "secret" not in listed[0]
        assert "secret" not in client.get(f"/api/v1/webhooks/{body['id']}/").json()
        _deal(admin, on_commit)

    deliveries = client.get(f"/api/v1/webhooks/{body['id']}/deliveries/").json()["results"]
    [one] = deliveries
    assert (one["status"], one["attempts"], one["response_code"]) == ("delivered", 1, 200)
    assert one["event_type"] == "deal.created" and one["error"] == ""
    assert one["created_at"] and one["last_attempt_at"] and one["delivered_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://127.0.0.1:9/x", "events": ["deal.nonsense"]}, "events"),
        ({"url": "http://127.0.0.1:9/x", "events": ["nope.*"]}, "events"),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"url": "ftp://127.0.0.1/x", "events": ["deal.*"]}, "url"),
        ({"url": "not a url", "events": ["deal.*"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1:9/x", "events": ["deal.*"]}, "url"),
        ({"url": "http:///x", "events": ["deal.*"]}, "url"),
        ({"events": ["deal.*"]}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(workspace, payload, field):
    _, admin = workspace
    response = api_client(admin).post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    with tenant_scope(admin.tenant_id):
        assert not WebhookEndpoint.objects.exists()


def test_patch_and_delete(workspace):
    _, admin = workspace
    client = api_client(admin)
    hook = client.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/a", "events": ["deal.*"]}, format="json"
    ).json()
    url = f"/api/v1/webhooks/{hook['id']}/"
    changed = client.patch(url, {"events": ["contact.*"], "is_active": False}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["contact.*"]
    assert (changed.json()["is_active"], changed.json()["disabled_reason"]) == (False, "manual")
    again = client.patch(url, {"is_active": True}, format="json").json()
    assert (again["is_active"], again["disabled_reason"]) == (True, "")
    assert client.patch(url, {"events": ["x.y"]}, format="json").status_code == 400
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_redeliver_a_failed_delivery(workspace, on_commit):
    _, admin = workspace
    client = api_client(admin)
    with Receiver(400, 200) as receiver:
        hook = client.post(
            "/api/v1/webhooks/", {"url": receiver.url, "events": ["deal.*"]}, format="json"
        ).json()
        _deal(admin, on_commit)
        [failed] = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
        assert failed["status"] == "failed"
        with on_commit():
            response = client.post(
                f"/api/v1/webhooks/{hook['id']}/redeliver/", {"delivery": failed["id"]},
                format="json",
            )  # fmt: skip
        assert response.status_code == 202, response.content
        # Only a failed one: a delivered delivery is not sent again.
        again = client.post(
            f"/api/v1/webhooks/{hook['id']}/redeliver/", {"delivery": failed["id"]}, format="json"
        )
        assert again.status_code == 400 and "delivery" in again.json()["error"]["fields"]
    [done] = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert done["status"] == "delivered" and len(receiver.received) == 2


def test_rotate_secret(workspace):
    _, admin = workspace
    client = api_client(admin)
    hook = client.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/a", "events": ["deal.*"]}, format="json"
    ).json()
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]


def test_deliveries_list_in_constant_queries(workspace, on_commit, django_assert_max_num_queries):
    _, admin = workspace
    client = api_client(admin)
    with Receiver(200) as receiver:
        hook = client.post(
            "/api/v1/webhooks/", {"url": receiver.url, "events": ["deal.*"]}, format="json"
        ).json()
        for n in range(5):
            _deal(admin, on_commit, title=f"Deal {n}")
    with django_assert_max_num_queries(12):
        rows = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert len(rows) == 5
    with django_assert_max_num_queries(12):
        client.get("/api/v1/webhooks/")


# --- who may ------------------------------------------------------------------------------


def test_a_manager_may_not_see_or_add_webhooks(workspace):
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        endpoint, _ = services.endpoint_create(
            actor=admin, url="http://127.0.0.1:9/a", events=["deal.*"]
        )
    manager = add_member(tenant, "manager")
    client = api_client(manager)
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 403
    assert client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False},
                        format="json").status_code == 403  # fmt: skip
    created = client.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/b", "events": ["deal.*"]}, format="json"
    )
    assert created.status_code == 403
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.get().is_active


def test_another_workspaces_webhooks_and_deliveries_are_not_found(
    workspace, other_workspace, on_commit
):
    (tenant_a, admin_a), (tenant_b, admin_b) = workspace, other_workspace
    with Receiver(400) as receiver:
        with tenant_scope(tenant_b, admin_b.user):
            theirs, _ = services.endpoint_create(
                actor=admin_b, url=receiver.url, events=["deal.*"], description="Theirs"
            )
        _deal(admin_b, on_commit)
    with tenant_scope(tenant_b):
        their_delivery = WebhookDelivery.objects.get()
    client = api_client(admin_a)
    assert client.get("/api/v1/webhooks/").json()["results"] == []
    for method, path, body in [
        ("get", f"/api/v1/webhooks/{theirs.pk}/", None),
        ("patch", f"/api/v1/webhooks/{theirs.pk}/", {"is_active": False}),
        ("delete", f"/api/v1/webhooks/{theirs.pk}/", None),
        ("get", f"/api/v1/webhooks/{theirs.pk}/deliveries/", None),
        ("post", f"/api/v1/webhooks/{theirs.pk}/redeliver/", {"delivery": their_delivery.pk}),
        ("post", f"/api/v1/webhooks/{theirs.pk}/rotate-secret/", None),
    ]:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
    # A's own endpoint cannot name B's delivery either.
    with tenant_scope(tenant_a, admin_a.user):
        mine, _ = services.endpoint_create(actor=admin_a, url=receiver.url, events=["deal.*"])
    response = client.post(
        f"/api/v1/webhooks/{mine.pk}/redeliver/", {"delivery": their_delivery.pk}, format="json"
    )
    assert response.status_code == 404
    with tenant_scope(tenant_b):
        assert WebhookEndpoint.objects.get().is_active
        assert WebhookDelivery.objects.get().status == "failed"


def test_another_workspaces_events_never_reach_my_endpoint(workspace, other_workspace, on_commit):
    (tenant_a, admin_a), (tenant_b, admin_b) = workspace, other_workspace
    with Receiver(200) as mine, Receiver(200) as theirs:
        with tenant_scope(tenant_a, admin_a.user):
            services.endpoint_create(actor=admin_a, url=mine.url, events=["deal.*"])
        with tenant_scope(tenant_b, admin_b.user):
            services.endpoint_create(actor=admin_b, url=theirs.url, events=["deal.*"])
        _deal(admin_b, on_commit, title="Globex secret deal")
        _deal(admin_a, on_commit, title="Acme deal")
    assert [json.loads(r.body)["data"]["subject"]["name"] for r in mine.received] == ["Acme deal"]
    assert [json.loads(r.body)["data"]["subject"]["name"] for r in theirs.received] == [
        "Globex secret deal"
    ]


def test_events_go_out_only_as_far_as_the_owner_may_see(workspace, on_commit):
    """An endpoint acts as its owner. A role that manages the workspace but sees only its
    own deals gets its own deals' events and the workspace's set-up, not a colleague's deal;
    an owner whose role no longer manages the workspace gets nothing."""
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        ops_role = account_services.role_save(
            actor=admin, name="Ops", can_manage_workspace=True,
            grants={"deal": {"actions": ["view", "create", "edit"], "visibility": "own"}},
        )  # fmt: skip
    ops = add_member(tenant, "manager")
    with tenant_scope(tenant):
        Membership.objects.filter(pk=ops.pk).update(role=ops_role)
        ops = Membership.objects.select_related("role", "user").get(pk=ops.pk)
    colleague = add_member(tenant, "manager")
    with Receiver(200) as receiver:
        with tenant_scope(tenant, ops.user):
            services.endpoint_create(
                actor=ops, url=receiver.url, events=["deal.created", "department.*"]
            )
        _deal(colleague, on_commit, title="Colleague's deal")
        _deal(ops, on_commit, title="Own deal")
        with tenant_scope(tenant, admin.user), on_commit():
            account_services.department_save(actor=admin, name="Sales East")
        sent = [json.loads(r.body) for r in receiver.received]
        assert [(p["type"], p["data"]["subject"]["name"]) for p in sent] == [
            ("deal.created", "Own deal"),
            ("department.created", "Sales East"),
        ]
        # The owner's role stops managing the workspace: nothing more goes out.
        with tenant_scope(tenant, admin.user):
            account_services.role_save(
                actor=admin, role=ops_role, name="Ops", grants=ops_role.grants,
                can_manage_workspace=False,
            )  # fmt: skip
        _deal(ops, on_commit, title="Later deal")
    assert len(receiver.received) == 2


# --- the settings pages ---------------------------------------------------------------------


def test_the_pages_add_show_resend_switch_and_delete(workspace, client, on_commit):
    tenant, admin = workspace
    login(client, admin)
    with Receiver(400, 200) as receiver:
        page = client.post(
            "/settings/webhooks/",
            {"url": receiver.url, "description": "Billing", "events": ["deal.*"]},
        )
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="webhook-secret"' in text and "whsec_" in text
        with tenant_scope(tenant):
            endpoint = WebhookEndpoint.objects.get()
        assert "whsec_" not in client.get("/settings/webhooks/").content.decode()

        _deal(admin, on_commit)
        detail = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
        assert "deal.created" in detail and "400" in detail and 'data-testid="redeliver"' in detail
        with tenant_scope(tenant):
            row = WebhookDelivery.objects.get()
        with on_commit():
            client.post(f"/settings/webhooks/deliveries/{row.pk}/redeliver/")
    with tenant_scope(tenant):
        row.refresh_from_db()
    assert row.status == "delivered"

    client.post(f"/settings/webhooks/{endpoint.pk}/toggle/")
    with tenant_scope(tenant):
        endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "manual"
    rotated = client.post(f"/settings/webhooks/{endpoint.pk}/rotate-secret/")
    assert "whsec_" in rotated.content.decode()
    edited = client.post(
        f"/settings/webhooks/{endpoint.pk}/",
        {"url": receiver.url, "description": "", "events": ["contact.*", "deal.won"]},
    )
    assert edited.status_code == 302
    with tenant_scope(tenant):
        endpoint.refresh_from_db()
    assert endpoint.events == ["contact.*", "deal.won"]
    client.post(f"/settings/webhooks/{endpoint.pk}/delete/")
    with tenant_scope(tenant):
        assert not WebhookEndpoint.objects.exists()


def test_the_page_shows_a_refused_url_as_a_form_error(workspace, client, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    _, admin = workspace
    login(client, admin)
    page = client.post(
        "/settings/webhooks/", {"url": "http://169.254.169.254/", "events": ["deal.*"]}
    )
    assert page.status_code == 200 and "private network" in page.content.decode()
    # What was typed stays in the form.
    assert "169.254.169.254" in page.content.decode()


def test_the_pages_are_for_admins_only(workspace, client):
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        endpoint, _ = services.endpoint_create(
            actor=admin, url="http://127.0.0.1:9/a", events=["deal.*"]
        )
    login(client, add_member(tenant, "manager"))
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 403
    assert client.post(f"/settings/webhooks/{endpoint.pk}/toggle/").status_code == 403
    with tenant_scope(tenant):
        endpoint.refresh_from_db()
    assert endpoint.is_active


def test_another_workspaces_webhook_pages_are_not_found(workspace, other_workspace, client):
    (_, admin_a), (tenant_b, admin_b) = workspace, other_workspace
    with tenant_scope(tenant_b, admin_b.user):
        theirs, _ = services.endpoint_create(
            actor=admin_b, url="http://127.0.0.1:9/theirs", events=["deal.*"]
        )
    login(client, admin_a)
    assert "127.0.0.1:9/theirs" not in client.get("/settings/webhooks/").content.decode()
    for path in ("", "toggle/", "delete/", "rotate-secret/"):
        method = client.get if path == "" else client.post
        assert method(f"/settings/webhooks/{theirs.pk}/{path}").status_code == 404
    with tenant_scope(tenant_b):
        assert WebhookEndpoint.objects.get().is_active


def test_the_pages_in_constant_queries(workspace, client, on_commit, django_assert_max_num_queries):
    tenant, admin = workspace
    login(client, admin)
    with Receiver(200) as receiver:
        with tenant_scope(tenant, admin.user):
            endpoint, _ = services.endpoint_create(actor=admin, url=receiver.url,
                                                   events=["deal.*"])  # fmt: skip
            for _n in range(3):
                services.endpoint_create(actor=admin, url=receiver.url, events=["deal.*"])
        for n in range(5):
            _deal(admin, on_commit, title=f"Deal {n}")
    with django_assert_max_num_queries(15):
        assert client.get("/settings/webhooks/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 200


def test_the_pages_in_russian(workspace, client):
    _, admin = workspace
    account_services.profile_update(user=admin.user, language="ru", time_zone="Europe/Moscow")
    login(client, admin)
    try:
        page = client.get("/settings/webhooks/").content.decode()
    finally:
        translation.deactivate()  # the request left Russian on for the tests that follow
    assert "Вебхуков пока нет" in page and "Добавить вебхук" in page
