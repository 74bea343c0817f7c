"""Walk every route of the API router with tenant A's key against tenant B's records.

A new viewset registered in crm/api/urls.py is covered without anyone remembering: the walk
fails until FACTORIES says how to make one of its records.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from automation import services as automation_services
from automation.models import Rule, Run, WebhookEndpoint
from automation.webhooks import services as webhook_services
from contacts import services as contact_services
from contacts.importer.services import import_create
from contacts.models import Company, Contact, CustomField, ImportJob
from crm.accounts import services
from crm.accounts.models import ApiKey, Department, Invitation, Membership, Role
from crm.activity import services as activity_services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import AuditEntry, CalendarFeed, Comment, Notification, Task
from crm.api.urls import router
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal, DealContact, LineItem, Product
from integrations import canned, webforms
from integrations.models import CannedResponse, Channel, Conversation, WebForm
from invoices import flows as invoice_flows
from invoices import services as invoice_services
from invoices.models import Invoice, InvoiceRequest, Payment, StatementImport
from pipelines import services as pipeline_services
from pipelines.models import LostReason, Pipeline, Stage
from reports import boards as report_boards
from reports import custom_types as report_custom_types
from reports import plans as report_plans
from reports import services as report_services
from reports import subscriptions as report_subscriptions
from reports.models import (
    CustomReportType,
    Dashboard,
    Report,
    ReportExport,
    ReportFolder,
    ReportSubscription,
)
from reports.plan_models import SalesPlan
from tests.conftest import add_member, api_client
from tests.isolation.scenario import channel_create, conversation_create


def _audit_entry(tenant, owner):
    services.department_save(actor=owner, name="Audited")
    dispatch_pending()
    return AuditEntry.objects.order_by("-id").first()


def _task(tenant, owner):
    return activity_services.task_create(
        actor=owner, title="Secret task", due_date=timezone.localdate(), all_day=True
    )


def _comment(tenant, owner):
    contact = contact_services.record_create(
        actor=owner, model=Contact, data={"first_name": "Discussed", "phones": "+14155550111"}
    )
    return activity_services.comment_add(actor=owner, subject=contact, body="Secret comment")


def _notification(tenant, owner):
    return activity_services.notify(recipient=owner.user, kind="reminder", title="Secret note")


def _deal(tenant, owner):
    return deal_services.deal_create(actor=owner, data={"title": "Secret deal", "amount": 100})


def _deal_contact(tenant, owner):
    contact = contact_services.record_create(
        actor=owner, model=Contact, data={"first_name": "Linked", "emails": "l@secret.example"}
    )
    return deal_services.deal_contact_set(
        actor=owner, deal=_deal(tenant, owner), contact=contact, role="buyer"
    )


def _invoice(tenant, owner):
    deal = _deal(tenant, owner)
    deal_services.line_item_add(actor=owner, deal=deal, name="Secret line", quantity=1, price=10)
    invoice = invoice_services.invoice_create_from_deal(actor=owner, deal=deal)
    return invoice_services.invoice_issue(actor=owner, invoice=invoice)


def _payment(tenant, owner):
    return invoice_services.payment_record(
        actor=owner, allocations=[(_invoice(tenant, owner), "4.00")], reference="Secret"
    )


def _statement(tenant, owner):
    invoice = _invoice(tenant, owner)
    raw = f"2026-03-01,4.00,Secret payer,,Invoice {invoice.number}\n".encode()
    return invoice_flows.statement_import(actor=owner, name="secret.csv", raw=raw)


def _invoice_request(tenant, owner):
    return invoice_flows.invoice_request(actor=owner, deal=_deal(tenant, owner))


def _rule(tenant, owner):
    stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
    return automation_services.rule_create(
        actor=owner,
        name="Secret rule",
        spec={
            "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
            "actions": [{"type": "task.create", "title": "Secret call", "kind": "call"}],
        },
    )


def _run(tenant, owner):
    rule = _rule(tenant, owner)
    deal = _deal(tenant, owner)  # created in the rule's stage: the rule runs
    dispatch_pending()
    return Run.objects.get(rule=rule, object_id=deal.pk)


FACTORIES = {
    ImportJob: lambda tenant, owner: import_create(
        actor=owner, upload=SimpleUploadedFile("s.csv", b"Email\r\nsecret@x.io\r\n")
    ),
    Role: lambda tenant, owner: services.role_save(actor=owner, name="Secret role", grants={}),
    Department: lambda tenant, owner: services.department_save(actor=owner, name="Secret dept"),
    Membership: lambda tenant, owner: add_member(tenant, "manager"),
    Invitation: lambda tenant, owner: services.invitation_create(
        actor=owner, email="secret@example.com", role=Role.objects.get(key="manager")
    ),
    ApiKey: lambda tenant, owner: services.api_key_create(actor=owner, name="secret")[0],
    AuditEntry: _audit_entry,
    Company: lambda tenant, owner: contact_services.record_create(
        actor=owner, model=Company, data={"name": "Secret Co", "emails": "a@secret.example"}
    ),
    Contact: lambda tenant, owner: contact_services.record_create(
        actor=owner, model=Contact, data={"first_name": "Secret", "phones": "+14155550100"}
    ),
    CustomField: lambda tenant, owner: contact_services.custom_field_save(
        actor=owner, object_type="contact", key="secret", label="Secret", field_type="text"
    ),
    Task: _task,
    Comment: _comment,
    Notification: _notification,
    CalendarFeed: lambda tenant, owner: activity_services.calendar_feed_regenerate(actor=owner)[0],
    Pipeline: lambda tenant, owner: pipeline_services.pipeline_create(
        actor=owner, name="Secret funnel"
    ),
    Stage: lambda tenant, owner: pipeline_services.stage_create(
        actor=owner, pipeline=Pipeline.objects.first(), data={"name": "Secret stage"}
    ),
    LostReason: lambda tenant, owner: pipeline_services.lost_reason_save(
        actor=owner, name="Secret reason"
    ),
    Product: lambda tenant, owner: deal_services.product_save(
        actor=owner, data={"name": "Secret product", "price": 5}
    ),
    Deal: _deal,
    LineItem: lambda tenant, owner: deal_services.line_item_add(
        actor=owner, deal=_deal(tenant, owner), name="Secret line", quantity=1, price=10
    ),
    DealContact: _deal_contact,
    Channel: lambda tenant, owner: channel_create(owner),
    Conversation: lambda tenant, owner: conversation_create(channel_create(owner), "Secret"),
    CannedResponse: lambda tenant, owner: canned.canned_create(
        actor=owner, title="Secret", text="Secret answer", shared=True
    ),
    WebForm: lambda tenant, owner: webforms.form_create(
        actor=owner, name="Secret form", fields=[{"label": "Name", "type": "text"}]
    ),
    Invoice: _invoice,
    Payment: _payment,
    StatementImport: _statement,
    InvoiceRequest: _invoice_request,
    Rule: _rule,
    Run: _run,
    Report: lambda tenant, owner: report_services.report_create(
        actor=owner,
        name="Secret report",
        report_type="deals",
        is_shared=True,
        definition={"columns": ["title"], "group_by": ["owner"]},
    ),
    ReportSubscription: lambda tenant, owner: report_subscriptions.subscription_create(
        actor=owner,
        report=report_services.report_create(
            actor=owner,
            name="Secret report",
            report_type="deals",
            is_shared=True,
            definition={"columns": ["title"], "group_by": ["owner"]},
        ),
        data={"frequency": "weekly", "weekday": 1, "time_of_day": "08:00"},
    ),
    Dashboard: lambda tenant, owner: report_boards.board_save(
        actor=owner, name="Secret dashboard", is_shared=True
    ),
    ReportFolder: lambda tenant, owner: report_services.folder_save(
        actor=owner, name="Secret folder", is_shared=True
    ),
    CustomReportType: lambda tenant, owner: report_custom_types.custom_type_save(
        actor=owner, name="Secret type", primary="deals", related=[{"relation": "tasks"}]
    ),
    ReportExport: lambda tenant, owner: ReportExport.objects.create(
        report=report_services.report_create(
            actor=owner, name="Secret export", report_type="deals", definition={}
        ),
        requested_by=owner.user,
        file_name="Secret.csv",
    ),
    SalesPlan: lambda tenant, owner: report_plans.plan_save(
        actor=owner, period="month", start=timezone.localdate(), user=owner.user, amount=5
    ),
    WebhookEndpoint: lambda tenant, owner: webhook_services.endpoint_create(
        actor=owner, url="http://127.0.0.1:9/secret", events=["deal.*"], description="Secret"
    )[0],
}

ROUTES = [(prefix, viewset) for prefix, viewset, _ in router.registry]
PAYLOAD = {
    "name": "Hacked",
    "grants": {},
    "role": 1,
    "email": "x@example.com",
    "first_name": "Hacked",
    "label": "Hacked",
    "object_type": "contact",
    "key": "h",
    "others": [1],
    "ids": [1],
    "action": "delete",
}


def _snapshot(model, tenant):
    with tenant_scope(tenant):
        return [model_to_dict(obj) for obj in model.objects.order_by("pk")]


def test_every_routed_model_has_a_factory():
    missing = {v.queryset.model.__name__ for _, v in ROUTES} - {m.__name__ for m in FACTORIES}
    assert missing == set()


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), ROUTES, ids=[p for p, _ in ROUTES])
def test_other_tenants_records_answer_404_and_stay_unchanged(
    prefix, viewset, workspace, other_workspace, smtp
):
    (_, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    model = viewset.queryset.model
    with tenant_scope(tenant_b, owner_b.user):
        target = FACTORIES[model](tenant_b, owner_b)
    before = _snapshot(model, tenant_b)
    client = api_client(owner_a)  # an admin of A: the strongest key A has
    url = f"/api/v1/{prefix}/{target.pk}/"

    responses = {
        "get": client.get(url),
        "patch": client.patch(url, PAYLOAD, format="json"),
        "put": client.put(url, PAYLOAD, format="json"),
        "delete": client.delete(url),
    }
    allowed = {m.lower() for m in viewset().allowed_methods if m != "OPTIONS"}
    for method, response in responses.items():
        expected = {404} if method in allowed or method == "get" else {404, 405}
        assert response.status_code in expected, (method, response.status_code, response.content)
        if response.status_code == 404:
            # The same answer as for an id that never existed: nothing about the record.
            assert response.json() == client.get(f"/api/v1/{prefix}/987654321/").json()

    listed = client.get(f"/api/v1/{prefix}/", {"page_size": 200}).json()["results"]
    assert target.pk not in {row["id"] for row in listed}
    assert _snapshot(model, tenant_b) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), ROUTES, ids=[p for p, _ in ROUTES])
def test_extra_actions_cannot_reach_other_tenants_records(
    prefix, viewset, workspace, other_workspace, smtp
):
    """merge/bulk and other @actions: B's ids are not found, and B's rows stay unchanged."""
    (_, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    model = viewset.queryset.model
    extra = viewset.get_extra_actions()
    if not extra:
        return
    with tenant_scope(tenant_b, owner_b.user):
        target = FACTORIES[model](tenant_b, owner_b)
    before = _snapshot(model, tenant_b)
    client = api_client(owner_a)
    for act in extra:
        path = act.url_path
        detail = f"{target.pk}/" if act.detail else ""
        url = f"/api/v1/{prefix}/{detail}{path}/"
        body = {"others": [target.pk], "ids": [target.pk], "action": "delete"}
        for method in act.mapping:
            response = getattr(client, method)(url, body, format="json")
            if act.detail:
                assert response.status_code == 404, (url, method, response.content)
            else:
                assert response.status_code in (200, 400), (url, method, response.content)
                assert str(target) not in response.content.decode()
    assert _snapshot(model, tenant_b) == before
