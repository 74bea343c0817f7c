"""Settings → Funnels, Products, Lost reasons: admins only (403 for others), another
workspace's records answer 404, the stage editor's htmx endpoints, and no inline styles or
scripts (the CSP forbids them)."""

import re

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal, Product
from pipelines import services
from pipelines.models import LostReason, Pipeline, Stage
from tests.conftest import add_member, login
from tests.factories import DealFactory
from tests.pipelines.helpers import funnel, new_deal

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_csp_clean(response):
    html = response.content.decode()
    assert " style=" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script, script
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_the_pages_render_for_admins(client, workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    pipeline, _ = funnel(tenant)
    DealFactory.create_batch(5, actor=owner)
    with tenant_scope(tenant, owner.user):
        deal_services.product_save(actor=owner, data={"name": "Seat", "price": 40})
    login(client, owner)
    pages = {
        reverse("funnels"): b"Sales",
        reverse("funnel_edit", args=[pipeline.pk]): b"Negotiation",
        reverse("products"): b"Seat",
        reverse("lost_reasons"): b"No budget",
    }
    for url, expected in pages.items():
        with django_assert_max_num_queries(14):
            response = client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content
        assert_csp_clean(response)
    editor = client.get(reverse("funnel_edit", args=[pipeline.pk])).content.decode()
    assert "js/stages.js" in editor and "Sortable.min.js" in editor
    assert editor.count('data-testid="stage-row"') == 6
    assert "stage-c0" in editor and "5 deals" in editor
    nav = client.get(reverse("profile")).content.decode()
    assert reverse("funnels") in nav and reverse("products") in nav


def test_other_members_get_403(client, workspace):
    tenant, _ = workspace
    pipeline, stages = funnel(tenant)
    head = add_member(tenant, "head")
    login(client, head)
    for url in (
        reverse("funnels"),
        reverse("funnel_edit", args=[pipeline.pk]),
        reverse("products"),
        reverse("lost_reasons"),
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        reverse("funnel_stage_add", args=[pipeline.pk]),
        reverse("funnel_stage_edit", args=[stages["Lead"].pk]),
        reverse("funnel_stage_delete", args=[stages["Lead"].pk]),
        reverse("funnel_stages_reorder", args=[pipeline.pk]),
    ):
        assert client.post(url, {"name": "X"}).status_code == 403, url
    nav = client.get(reverse("profile")).content.decode()
    assert reverse("funnels") not in nav


def test_another_workspaces_records_answer_404(client, workspace, other_workspace):
    _, owner = workspace
    tenant_b, owner_b = other_workspace
    pipeline_b, stages_b = funnel(tenant_b)
    with tenant_scope(tenant_b, owner_b.user):
        product_b = deal_services.product_save(actor=owner_b, data={"name": "Theirs"})
        reason_b = LostReason.objects.first()
    login(client, owner)
    assert client.get(reverse("funnel_edit", args=[pipeline_b.pk])).status_code == 404
    assert client.get(reverse("product_edit", args=[product_b.pk])).status_code == 404
    for url, data in (
        (reverse("funnel_edit", args=[pipeline_b.pk]), {"action": "archive"}),
        (reverse("funnel_stage_add", args=[pipeline_b.pk]), {"name": "X", "probability": 1,
                                                              "kind": "open"}),
        (reverse("funnel_stage_edit", args=[stages_b["Lead"].pk]), {"name": "Hacked"}),
        (reverse("funnel_stage_delete", args=[stages_b["Lead"].pk]), {}),
        (reverse("funnel_stages_reorder", args=[pipeline_b.pk]), {"stage": []}),
        (reverse("product_edit", args=[product_b.pk]), {"action": "delete"}),
        (reverse("lost_reason_edit", args=[reason_b.pk]), {"action": "delete"}),
    ):  # fmt: skip
        assert client.post(url, data).status_code == 404, url
    # ...and a stage of B is not a place to move A's deals to.
    _, stages = funnel(workspace[0])
    new_deal(owner)
    url = reverse("funnel_stage_delete", args=[stages["Lead"].pk])
    assert client.post(url, {"move_to": stages_b["Lead"].pk}).status_code == 404
    with tenant_scope(tenant_b):
        assert Pipeline.objects.get().is_archived is False
        assert Stage.objects.filter(name="Lead").exists() and Product.objects.exists()
        assert LostReason.objects.filter(pk=reason_b.pk).exists()


def test_funnels_are_created_renamed_archived_and_deleted(client, workspace):
    tenant, owner = workspace
    login(client, owner)
    response = client.post(reverse("funnels"), {"name": "Partners"})
    with tenant_scope(tenant):
        partners = Pipeline.objects.get(name="Partners")
    assert response.url == reverse("funnel_edit", args=[partners.pk])
    dup = client.post(reverse("funnels"), {"name": "sales"})
    assert dup.status_code == 200 and b"already exists" in dup.content
    url = reverse("funnel_edit", args=[partners.pk])
    client.post(url, {"name": "Partnerships", "action": "rename"})
    client.post(url, {"name": "Partnerships", "action": "archive"})
    with tenant_scope(tenant):
        partners.refresh_from_db()
    assert partners.name == "Partnerships" and partners.is_archived
    assert b"archived" in client.get(reverse("funnels")).content
    client.post(url, {"name": "Partnerships", "action": "restore"})
    new_deal(owner, pipeline=partners)
    refused = client.post(url, {"name": "Partnerships", "action": "delete"}, follow=True)
    assert b"archive it instead" in refused.content
    empty = client.post(reverse("funnels"), {"name": "Empty"})
    client.post(empty.url, {"name": "Empty", "action": "delete"})
    with tenant_scope(tenant):
        assert sorted(Pipeline.objects.values_list("name", flat=True)) == [
            "Partnerships", "Sales",
        ]  # fmt: skip


def test_the_stage_editor(client, workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    added = client.post(
        reverse("funnel_stage_add", args=[pipeline.pk]),
        {"name": "Demo", "probability": 60, "kind": "open", "rotting_days": 4},
        **HTMX,
    )
    assert added.status_code == 200
    assert b'id="stages"' in added.content and b'value="Demo"' in added.content
    assert_csp_clean(added)
    with tenant_scope(tenant):
        demo = Stage.objects.get(name="Demo")
    assert (demo.position, demo.probability, demo.rotting_days) == (4, 60, 4)
    duplicate = client.post(
        reverse("funnel_stage_add", args=[pipeline.pk]),
        {"name": "demo", "probability": 1, "kind": "open"},
        **HTMX,
    )
    assert b"already has a stage" in duplicate.content

    url = reverse("funnel_stage_edit", args=[demo.pk])
    row = client.post(
        url, {"name": "Live demo", "color": "#da77f2", "probability": 65, "kind": "open"}, **HTMX
    )
    assert row.status_code == 200 and row.content.decode().startswith("<li")
    assert b"stage-c9" in row.content and b"Saved" in row.content
    bad = client.post(url, {"name": "Live demo", "color": "#000000", "probability": 5,
                            "kind": "open"}, **HTMX)  # fmt: skip
    assert b"form-errors" in bad.content
    with tenant_scope(tenant):
        demo.refresh_from_db()
    assert (demo.name, demo.color, demo.probability) == ("Live demo", "#da77f2", 65)

    order = [stages["Won"].pk, demo.pk, *(stages[n].pk for n in ("Lead", "Qualified",
             "Proposal", "Negotiation", "Lost"))]  # fmt: skip
    reorder = reverse("funnel_stages_reorder", args=[pipeline.pk])
    assert client.post(reorder, {"stage": order}).status_code == 204
    with tenant_scope(tenant):
        assert list(pipeline.stages.order_by("position").values_list("pk", flat=True)) == order
    assert client.post(reorder, {"stage": order[:3]}).status_code == 409

    deal = new_deal(owner, stage=demo)
    delete = reverse("funnel_stage_delete", args=[demo.pk])
    refused = client.post(delete, {}, **HTMX)
    assert b"choose the stage" in refused.content
    done = client.post(delete, {"move_to": stages["Proposal"].pk}, **HTMX)
    assert done.status_code == 200 and b"1 deal moved to Proposal" in done.content
    with tenant_scope(tenant):
        assert Deal.objects.get(pk=deal.pk).stage_id == stages["Proposal"].pk
        assert not Stage.objects.filter(pk=demo.pk).exists()


def test_the_stage_editor_works_without_javascript(client, workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    response = client.post(
        reverse("funnel_stage_edit", args=[stages["Lead"].pk]),
        {"name": "Inbox", "probability": 5, "kind": "open", "color": "#748ffc"},
    )
    assert response.url == reverse("funnel_edit", args=[pipeline.pk])
    response = client.post(
        reverse("funnel_stage_add", args=[pipeline.pk]),
        {"name": "", "probability": 5, "kind": "open"},
    )
    assert response.status_code == 200 and b"This field is required" in response.content
    response = client.post(reverse("funnel_stage_delete", args=[stages["Qualified"].pk]))
    assert response.url == reverse("funnel_edit", args=[pipeline.pk])
    with tenant_scope(tenant):
        assert pipeline.stages.order_by("position").first().name == "Inbox"
        assert not Stage.objects.filter(name="Qualified").exists()


def test_products_page(client, workspace):
    tenant, owner = workspace
    login(client, owner)
    response = client.post(
        reverse("products"),
        {"name": "Seat", "unit": "seat", "price": "40", "currency": "USD", "tax_rate": "0",
         "is_active": "on"},
    )  # fmt: skip
    assert response.url == reverse("products")
    with tenant_scope(tenant):
        seat = Product.objects.get()
    url = reverse("product_edit", args=[seat.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'value="Seat"' in page.content
    assert_csp_clean(page)
    client.post(url, {"name": "Seat", "unit": "seat", "price": "45", "currency": "EUR",
                      "tax_rate": "5"})  # fmt: skip
    with tenant_scope(tenant):
        seat.refresh_from_db()
    assert (seat.price, seat.currency, seat.is_active) == (45, "EUR", False)
    bad = client.post(reverse("products"), {"name": "X", "unit": "pcs", "price": "-1",
                                            "currency": "USD", "tax_rate": "0"})  # fmt: skip
    assert bad.status_code == 200 and b"errors" in bad.content
    client.post(url, {"action": "delete"})
    with tenant_scope(tenant):
        assert not Product.objects.exists()


def test_lost_reasons_page(client, workspace):
    tenant, owner = workspace
    login(client, owner)
    client.post(reverse("lost_reasons"), {"name": "Timing"})
    with tenant_scope(tenant):
        timing = LostReason.objects.get(name="Timing")
    url = reverse("lost_reason_edit", args=[timing.pk])
    client.post(url, {"name": "Bad timing"})
    taken = client.post(url, {"name": "No budget"}, follow=True)
    assert b"already exists" in taken.content
    with tenant_scope(tenant):
        assert LostReason.objects.get(pk=timing.pk).name == "Bad timing"
    client.post(url, {"action": "delete"})
    with tenant_scope(tenant):
        assert not LostReason.objects.filter(pk=timing.pk).exists()
    assert services  # the pages call the same services as the API
