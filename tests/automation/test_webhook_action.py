"""The rule action "Call an outgoing webhook": the rule's record posted, signed, to a real
receiver on loopback through the webhooks' own delivery (retries, the log), once per step
even when the step runs again; the endpoint is the workspace's own, checked when the rule is
saved and when it runs; the endpoint's owner must be allowed to see the record."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from automation.models import Run, Step, WebhookDelivery, WebhookEndpoint
from automation.webhooks import services as webhook_services
from automation.webhooks.tasks import sweep_webhooks
from crm.accounts import services as account_services
from crm.accounts.models import Membership
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import add_member, api_client, login
from tests.contacts.conftest import new_contact
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle
from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
RULES = "/api/v1/automation/rules/"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what commits would run (dispatch, steps' work, the delivery task), nested too."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_DELAYS = [0, 0, 0, 0]


def _endpoint(admin, url, events=("deal.won",), description=""):
    with tenant_scope(admin.tenant_id, admin.user):
        return webhook_services.endpoint_create(
            actor=admin, url=url, events=list(events), description=description
        )


def _call_on(stage, endpoint) -> dict:
    return {"trigger": {"type": "deal.stage_entered", "stage": stage.pk},
            "actions": [{"type": "webhook.call", "endpoint": endpoint.pk}]}  # fmt: skip


def _move(actor, deal, stage, on_commit):
    with tenant_scope(actor.tenant_id, actor.user):
        deal_services.deal_move(actor=actor, deal=deal, stage=stage)
    with on_commit():
        settle(actor.tenant_id)


def _deliveries(tenant):
    with tenant_scope(tenant):
        return list(WebhookDelivery.objects.order_by("id"))


def test_the_step_posts_the_record_signed_once_and_shows_on_its_timeline(
    workspace, on_commit, client
):
    tenant, admin = workspace
    _, stages = funnel(tenant)
    deal = new_deal(admin, title="Fleet", amount=5000, tags=["vip"])
    with Receiver(200) as receiver:
        # Subscribed to the action's event type too: the webhooks consumer meets the same
        # (endpoint, event) and adds nothing.
        endpoint, secret = _endpoint(admin, receiver.url, events=["automation.webhook_called"])
        rule = new_rule(admin, "Tell the ERP", _call_on(stages["Qualified"], endpoint))
        _move(admin, deal, stages["Qualified"], on_commit)

        [got] = receiver.received
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["type"] == "automation.webhook_called"
        data = payload["data"]
        assert data["subject"] == {"type": "deal", "id": deal.pk, "name": "Fleet"}
        assert data["rule"] == {"id": rule.pk, "name": "Tell the ERP"}
        assert data["actor"] is None and data["endpoint"] == endpoint.pk
        record = data["record"]
        assert record["title"] == "Fleet" and record["amount"] == "5000.00"
        assert record["stage"] == "Qualified" and record["tags"] == ["vip"]
        assert record["owner"] == admin.user_id
        [row] = _deliveries(tenant)
        assert got.headers["webhook-id"] == row.webhook_id
        assert (row.status, row.attempts, row.endpoint_id) == ("delivered", 1, endpoint.pk)
        with tenant_scope(tenant):
            run = Run.objects.get()
            step = run.steps.get()
            assert run.status == Run.DONE and step.status == Step.DONE
            assert step.result["delivery"] == row.pk

            # Run again as if the step's commit had been lost: nothing is posted twice.
            Step.objects.filter(pk=step.pk).update(status=Step.PENDING, result={}, done_at=None)
            Run.objects.update(status=Run.PENDING)
        with on_commit():
            settle(tenant)
        assert len(receiver.received) == 1
        assert len(_deliveries(tenant)) == 1
        with tenant_scope(tenant):
            assert Event.objects.filter(type="automation.webhook_called").count() == 1
            assert Step.objects.get().status == Step.DONE

    login(client, admin)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Sent to a webhook" in html and "By rule «Tell the ERP»" in html


def test_a_500_is_retried_by_the_webhooks_sweep(workspace, on_commit, fast_retries):
    tenant, admin = workspace
    _, stages = funnel(tenant)
    deal = new_deal(admin, title="Fleet")
    with Receiver(500, 200) as receiver:
        endpoint, _secret = _endpoint(admin, receiver.url)
        new_rule(admin, "Tell the ERP", _call_on(stages["Qualified"], endpoint))
        _move(admin, deal, stages["Qualified"], on_commit)
        [row] = _deliveries(tenant)
        assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
        with tenant_scope(tenant):  # the step did its part: the delivery is the table's now
            assert Step.objects.get().status == Step.DONE
        with on_commit():
            assert sweep_webhooks() == 1
    [row] = _deliveries(tenant)
    assert (row.status, row.attempts, row.response_code) == ("delivered", 2, 200)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.webhook_id
    assert first.body == second.body


def test_any_record_type_a_new_contact(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        endpoint, _secret = _endpoint(admin, receiver.url)
        new_rule(admin, "New clients out", {
            "trigger": {"type": "contact.created"},
            "actions": [{"type": "webhook.call", "endpoint": endpoint.pk}],
        })  # fmt: skip
        ann = new_contact(admin, first_name="Ann", last_name="Lee", emails=["ann@example.com"])
        with on_commit():
            settle(tenant)
    [got] = receiver.received
    data = json.loads(got.body)["data"]
    assert data["subject"]["type"] == "contact" and data["subject"]["id"] == ann.pk
    assert data["record"]["emails"] == ["ann@example.com"]


def test_another_workspaces_or_a_switched_off_endpoint_is_refused_naming_the_field(
    workspace, other_workspace
):
    (tenant, admin), (_, their_admin) = workspace, other_workspace
    _, stages = funnel(tenant)
    with Receiver(200) as receiver:
        theirs, _s = _endpoint(their_admin, receiver.url)
        off, _s = _endpoint(admin, receiver.url)
    with tenant_scope(tenant, admin.user):
        webhook_services.endpoint_update(actor=admin, endpoint=off, is_active=False)
    client = api_client(admin)
    for endpoint, message in ((theirs, "No such webhook endpoint."),
                              (off, "This webhook endpoint is switched off.")):  # fmt: skip
        body = {"name": "Out", **_call_on(stages["Qualified"], endpoint)}
        answer = client.post(RULES, body, format="json")
        assert answer.status_code == 400
        assert answer.json()["error"]["fields"]["actions.0.endpoint"] == [message]
    body = {"name": "Out", "trigger": {"type": "deal.stage_entered", "stage": stages["Lead"].pk},
            "actions": [{"type": "webhook.call"}]}  # fmt: skip
    answer = client.post(RULES, body, format="json")
    assert answer.status_code == 400 and "actions.0.endpoint" in answer.json()["error"]["fields"]


def test_an_endpoint_switched_off_after_saving_fails_the_step_clearly(workspace, on_commit):
    tenant, admin = workspace
    _, stages = funnel(tenant)
    deal = new_deal(admin, title="Fleet")
    with Receiver(200) as receiver:
        endpoint, _secret = _endpoint(admin, receiver.url)
        new_rule(admin, "Tell the ERP", _call_on(stages["Qualified"], endpoint))
        with tenant_scope(tenant, admin.user):
            webhook_services.endpoint_update(actor=admin, endpoint=endpoint, is_active=False)
        _move(admin, deal, stages["Qualified"], on_commit)
    assert receiver.received == [] and _deliveries(tenant) == []
    with tenant_scope(tenant):
        run, step = Run.objects.get(), Step.objects.get()
        assert run.status == Run.FAILED and step.status == Step.FAILED
        assert step.error == "endpoint: This webhook endpoint is switched off."
        assert not Event.objects.filter(type="automation.webhook_called").exists()


def test_the_endpoint_owner_must_see_the_record(workspace, on_commit):
    """An endpoint acts as its owner: a role that manages the workspace but sees only its
    own deals gets its own deal, and a colleague's deal fails the step, sending nothing."""
    tenant, admin = workspace
    _, stages = funnel(tenant)
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
    theirs = new_deal(colleague, title="Colleague's deal")
    own = new_deal(ops, title="Own deal")
    with Receiver(200) as receiver:
        endpoint, _secret = _endpoint(ops, receiver.url)
        new_rule(admin, "Tell the ERP", _call_on(stages["Qualified"], endpoint))
        _move(admin, theirs, stages["Qualified"], on_commit)
        _move(admin, own, stages["Qualified"], on_commit)
    assert [json.loads(r.body)["data"]["subject"]["name"] for r in receiver.received] == [
        "Own deal"
    ]
    with tenant_scope(tenant):
        failed = Step.objects.get(status=Step.FAILED)
        assert failed.run.object_id == theirs.pk and "may not see this record" in failed.error
        assert Event.objects.filter(type="automation.webhook_called").count() == 1


def test_the_editor_offers_only_the_workspaces_active_endpoints(workspace, other_workspace, client):
    (tenant, admin), (_, their_admin) = workspace, other_workspace
    pipeline, stages = funnel(tenant)
    with Receiver(200) as receiver:
        mine, _s = _endpoint(admin, receiver.url, description="Our ERP")
        off, _s = _endpoint(admin, receiver.url, description="Old ERP")
        theirs, _s = _endpoint(their_admin, receiver.url, description="Their ERP")
    with tenant_scope(tenant, admin.user):
        webhook_services.endpoint_update(actor=admin, endpoint=off, is_active=False)
    login(client, admin)
    form = {"name": "Out", "trigger.type": "deal.stage_entered",
            "trigger.stage": str(stages["Qualified"].pk),
            "actions.0.type": "webhook.call"}  # fmt: skip
    html = client.post(f"/deals/automation/{pipeline.pk}/rules/form/", form).content.decode()
    select = html.split('name="actions.0.endpoint"', 1)[1].split("</select>", 1)[0]
    assert f'value="{mine.pk}"' in select and "Our ERP (127.0.0.1)" in select
    assert f'value="{off.pk}"' not in select and "Old ERP" not in select
    assert f'value="{theirs.pk}"' not in select and "Their ERP" not in select
    assert "/hooks/crm" not in select  # the host only: a URL's path may hold a token

    saved = client.post(f"/deals/automation/{pipeline.pk}/rules/save/",
                        {**form, "actions.0.endpoint": str(mine.pk)},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    assert "HX-Redirect" in saved
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.filter(pk=mine.pk).exists()


def test_the_dry_run_names_the_endpoint(workspace):
    tenant, admin = workspace
    _, stages = funnel(tenant)
    deal = new_deal(admin, title="Fleet")
    with Receiver(200) as receiver:
        endpoint, _secret = _endpoint(admin, receiver.url, description="Our ERP")
    new_rule(admin, "Tell the ERP", _call_on(stages["Qualified"], endpoint))
    answer = api_client(admin).post(f"{RULES}dry-run/",
                                    {"object_type": "deal", "object_id": deal.pk},
                                    format="json")  # fmt: skip
    [action] = answer.json()["rules"][0]["actions"]
    assert action["does"] == "Send the record to the webhook Our ERP (127.0.0.1)."
    with tenant_scope(tenant):
        assert not WebhookDelivery.objects.exists()
        assert not Event.objects.filter(type="automation.webhook_called").exists()


def test_every_record_types_fields_can_be_read_for_the_body(workspace):
    """The body's `record` reads each registered type's catalogue in one query: every
    field's lookup must be one the type's model answers."""
    from types import SimpleNamespace

    from automation.webhooks.action import record_fields
    from crm import objects

    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        for spec in objects.OBJECT_TYPES.values():
            if spec.model is not None and not spec.part_of:
                assert record_fields(admin, spec.key, SimpleNamespace(pk=0)) == {}, spec.key
