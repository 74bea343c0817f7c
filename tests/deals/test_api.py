"""Deals over the API: CRUD, filters, ordering and cursor pages, the board's actions, line
items and contacts, products; roles and walls; the cost of a list."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from deals.models import Deal, DealContact
from pipelines import services as pipeline_services
from pipelines.models import LostReason
from tests.conftest import add_member, api_client
from tests.contacts.conftest import new_company, new_contact
from tests.factories import CompanyFactory, ContactFactory
from tests.pipelines.helpers import funnel, new_deal, reload

pytestmark = pytest.mark.django_db


def test_create_read_update_delete(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    acme = new_company(owner, name="Acme")
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    client = api_client(owner)
    created = client.post(
        "/api/v1/deals/",
        {
            "title": "Fleet renewal",
            "amount": "12000",
            "company": acme.pk,
            "contact_ids": [ann.pk],
            "tags": ["fleet"],
            "expected_close": "2030-03-01",
            "utm_source": "newsletter",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["pipeline"], body["stage"], body["stage_name"]) == (
        pipeline.pk, stages["Lead"].pk, "Lead",
    )  # fmt: skip
    assert body["owner"] == owner.user_id and body["currency"] == "USD"
    assert body["company_name"] == "Acme" and body["status"] == "open"
    assert body["contacts"] == [{"id": ann.pk, "name": "Ann", "role": ""}]
    assert body["probability"] == 10 and body["is_rotting"] is False
    url = f"/api/v1/deals/{body['id']}/"
    patched = client.patch(url, {"title": "Fleet renewal 2030", "stage": stages["Proposal"].pk})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["stage_name"] == "Proposal"
    assert client.get(url).json()["title"] == "Fleet renewal 2030"
    put = client.put(url, {"title": "Put", "amount": "5"}, format="json")
    assert put.status_code == 200 and put.json()["amount"] == "5.00"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_ids_from_another_workspace_do_not_exist(workspace, other_workspace):
    tenant, owner = workspace
    tenant_b, owner_b = other_workspace
    _, theirs = funnel(tenant_b)
    their_contact = new_contact(owner_b, first_name="Theirs", emails="t@b.example")
    their_company = new_company(owner_b, name="Their Co")
    with tenant_scope(tenant_b):
        their_reason = LostReason.objects.first()
    client = api_client(owner)
    for field, value in (
        ("stage", theirs["Lead"].pk),
        ("pipeline", theirs["Lead"].pipeline_id),
        ("company", their_company.pk),
        ("contact_ids", [their_contact.pk]),
        ("owner", owner_b.user_id),
    ):
        response = client.post("/api/v1/deals/", {"title": "X", field: value}, format="json")
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()["error"]["fields"]
    deal = new_deal(owner)
    url = f"/api/v1/deals/{deal.pk}/"
    response = client.post(f"{url}move/", {"stage": theirs["Won"].pk}, format="json")
    assert response.status_code == 400
    response = client.post(f"{url}lost/", {"reason": their_reason.pk}, format="json")
    assert response.status_code == 400
    with tenant_scope(tenant):
        assert Deal.objects.get().status == Deal.OPEN


def test_actions_move_win_lose_reopen(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner)
    other = new_deal(owner, title="Other", stage=stages["Proposal"])
    client = api_client(owner)
    url = f"/api/v1/deals/{deal.pk}/"
    moved = client.post(
        f"{url}move/", {"stage": stages["Proposal"].pk, "position": -1}, format="json"
    ).json()
    assert moved["stage"] == stages["Proposal"].pk and moved["position"] == -1
    column = client.get("/api/v1/deals/", {"stage": stages["Proposal"].pk}).json()["results"]
    assert {r["id"] for r in column} == {deal.pk, other.pk}
    assert client.post(f"{url}won/").json()["status"] == "won"
    with tenant_scope(tenant):
        reason = LostReason.objects.get(name="Price too high")
    lost = client.post(f"{url}lost/", {"reason": reason.pk, "note": "Too dear"}, format="json")
    body = lost.json()
    assert (body["status"], body["lost_reason_name"], body["lost_note"]) == (
        "lost", "Price too high", "Too dear",
    )  # fmt: skip
    reopened = client.post(f"{url}reopen/", {}, format="json").json()
    assert reopened["status"] == "open" and reopened["stage"] == stages["Proposal"].pk
    bad = client.post(f"{url}reopen/", {"stage": stages["Won"].pk}, format="json")
    assert bad.status_code == 400 and "stage" in bad.json()["error"]["fields"]
    assert client.post(f"{url}move/", {}, format="json").status_code == 400


def test_roles_decide_what_the_api_allows(workspace):
    tenant, _ = workspace
    _, stages = funnel(tenant)
    manager, colleague = add_member(tenant, "manager"), add_member(tenant, "manager")
    accountant = add_member(tenant, "accountant")
    mine, theirs = new_deal(manager, title="Mine"), new_deal(colleague, title="Theirs")
    client = api_client(manager)
    listed = client.get("/api/v1/deals/").json()["results"]
    assert [r["title"] for r in listed] == ["Mine"]
    their_url = f"/api/v1/deals/{theirs.pk}/"
    assert client.get(their_url).status_code == 404
    assert client.patch(their_url, {"owner": manager.user_id}, format="json").status_code == 404
    assert client.post(f"{their_url}move/", {"stage": stages["Won"].pk}).status_code == 404
    assert client.delete(f"/api/v1/deals/{mine.pk}/").status_code == 403  # no delete right
    assert client.post(f"/api/v1/deals/{mine.pk}/won/").status_code == 200
    viewer = api_client(accountant)
    assert len(viewer.get("/api/v1/deals/").json()["results"]) == 2
    assert viewer.post(f"{their_url}won/").status_code == 403
    assert viewer.post("/api/v1/deals/", {"title": "X"}, format="json").status_code == 403
    assert (
        viewer.post(
            "/api/v1/line-items/", {"deal": theirs.pk, "name": "X", "price": 1}, format="json"
        ).status_code
        == 403
    )
    assert reload(theirs).owner_id == colleague.user_id and theirs.status == Deal.OPEN


def test_filters(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    manager = add_member(tenant, "manager")
    acme = new_company(owner, name="Acme")
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    with tenant_scope(tenant, owner.user):
        pipeline_services.stage_update(actor=owner, stage=stages["Lead"], data={"rotting_days": 2})
        other = pipeline_services.pipeline_create(actor=owner, name="Other")
    a = new_deal(owner, title="Alpha boats", tags=["vip", "boats"], company=acme,
                 expected_close=date(2030, 1, 10))  # fmt: skip
    new_deal(owner, title="Beta", contacts=[ann], stage=stages["Won"])
    c = new_deal(manager, title="Gamma", tags=["vip"], pipeline=other, owner=manager.user)
    with tenant_scope(tenant):
        Deal.objects.filter(pk=a.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=3),
            created_at=timezone.now() - timedelta(days=30),
        )
        Deal.objects.filter(pk=c.pk).update(next_activity_at=timezone.now())
    client = api_client(owner)

    def titles(**params):
        response = client.get("/api/v1/deals/", params)
        assert response.status_code == 200, response.json()
        return sorted(r["title"] for r in response.json()["results"])

    assert titles() == ["Alpha boats", "Beta", "Gamma"]
    assert titles(pipeline=other.pk) == ["Gamma"]
    assert titles(stage=stages["Won"].pk) == ["Beta"]
    assert titles(status="won") == ["Beta"]
    assert titles(owner=manager.user_id) == ["Gamma"]
    assert titles(owner="none") == []
    assert titles(mine="true") == ["Alpha boats", "Beta"]
    assert titles(tag="vip") == ["Alpha boats", "Gamma"]
    assert client.get("/api/v1/deals/?tag=vip&tag=boats").json()["results"][0]["id"] == a.pk
    assert titles(rotting="1") == ["Alpha boats"]
    assert titles(no_next_activity="true") == ["Alpha boats"]
    assert titles(company=acme.pk) == ["Alpha boats"]
    assert titles(contact=ann.pk) == ["Beta"]
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert titles(created_before=week_ago) == ["Alpha boats"]
    assert titles(created_after=week_ago) == ["Beta", "Gamma"]
    assert titles(close_after="2030-01-01", close_before="2030-01-31") == ["Alpha boats"]
    assert titles(q="BOAT") == ["Alpha boats"]
    for bad in ({"stage": "x"}, {"status": "maybe"}, {"created_after": "yesterday"}):
        response = client.get("/api/v1/deals/", bad)
        assert response.status_code == 400, bad
        assert set(response.json()["error"]["fields"]) == set(bad)


def test_ordering_and_cursor_pages(workspace):
    _, owner = workspace
    for i, amount in enumerate([300, 100, 200, 100]):
        new_deal(owner, title=f"D{i}", amount=amount)
    client = api_client(owner)

    def walk(**params):
        rows, url = [], "/api/v1/deals/"
        response = client.get(url, {"page_size": 3, **params}).json()
        while True:
            rows += [(r["title"], r["amount"]) for r in response["results"]]
            if not response["next"]:
                return rows
            response = client.get(response["next"]).json()

    assert [t for t, _ in walk()] == ["D3", "D2", "D1", "D0"]
    assert walk(ordering="-amount") == [
        ("D0", "300.00"), ("D2", "200.00"), ("D3", "100.00"), ("D1", "100.00"),
    ]  # fmt: skip
    assert [t for t, _ in walk(ordering="title")] == ["D0", "D1", "D2", "D3"]
    # Not a whitelisted ordering: the default one.
    assert [t for t, _ in walk(ordering="owner__password")] == ["D3", "D2", "D1", "D0"]


def test_line_items_drive_the_amount(workspace):
    _, owner = workspace
    deal = new_deal(owner, amount=1)
    other = new_deal(owner, title="Other")
    client = api_client(owner)
    product = client.post(
        "/api/v1/products/", {"name": "Seat", "price": "40.00", "tax_rate": "10"}, format="json"
    ).json()
    assert product["currency"] == "USD"
    first = client.post(
        "/api/v1/line-items/", {"deal": deal.pk, "product": product["id"], "quantity": "2"},
        format="json",
    )  # fmt: skip
    assert first.status_code == 201, first.json()
    assert first.json()["name"] == "Seat" and first.json()["total"] == "88.00"
    client.post(
        "/api/v1/line-items/", {"deal": deal.pk, "name": "Setup", "price": "12"}, format="json"
    )
    client.post(
        "/api/v1/line-items/", {"deal": other.pk, "name": "Else", "price": "1"}, format="json"
    )
    assert client.get(f"/api/v1/deals/{deal.pk}/").json()["amount"] == "100.00"
    rows = client.get("/api/v1/line-items/", {"deal": deal.pk}).json()["results"]
    assert sorted(r["name"] for r in rows) == ["Seat", "Setup"]
    url = f"/api/v1/line-items/{first.json()['id']}/"
    changed = client.patch(url, {"quantity": "1", "deal": other.pk}, format="json").json()
    assert changed["deal"] == deal.pk  # a line stays on its deal
    assert client.get(f"/api/v1/deals/{deal.pk}/").json()["amount"] == "56.00"
    refused = client.patch(f"/api/v1/deals/{deal.pk}/", {"amount": "1"}, format="json")
    assert refused.status_code == 400 and "amount" in refused.json()["error"]["fields"]
    assert client.delete(url).status_code == 204
    assert client.get(f"/api/v1/deals/{deal.pk}/").json()["amount"] == "12.00"


def test_line_items_and_contacts_of_deals_one_cannot_see(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    hidden = new_deal(owner, title="Hidden")
    ann = new_contact(owner, first_name="Ann", emails="ann@x.example")
    with tenant_scope(tenant, owner.user):
        from deals import services

        item = services.line_item_add(actor=owner, deal=hidden, name="X", price=5)
        services.deal_contact_set(actor=owner, deal=hidden, contact=ann)
    client = api_client(manager)
    assert client.get("/api/v1/line-items/").json()["results"] == []
    assert client.get(f"/api/v1/line-items/{item.pk}/").status_code == 404
    assert client.get("/api/v1/deal-contacts/").json()["results"] == []
    response = client.post(
        "/api/v1/line-items/", {"deal": hidden.pk, "name": "Y", "price": 1}, format="json"
    )
    assert response.status_code == 400 and "deal" in response.json()["error"]["fields"]
    mine = new_deal(manager, title="Mine")
    response = client.post(
        "/api/v1/deal-contacts/", {"deal": mine.pk, "contact": ann.pk}, format="json"
    )
    assert response.status_code == 400 and "contact" in response.json()["error"]["fields"]


def test_deal_contacts_endpoint(workspace):
    tenant, owner = workspace
    deal = new_deal(owner)
    ann = new_contact(owner, first_name="Ann", emails="ann@x.example")
    client = api_client(owner)
    created = client.post(
        "/api/v1/deal-contacts/", {"deal": deal.pk, "contact": ann.pk, "role": "buyer"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["contact_name"] == "Ann"
    url = f"/api/v1/deal-contacts/{created.json()['id']}/"
    assert client.patch(url, {"role": "signer"}, format="json").json()["role"] == "signer"
    again = client.post(
        "/api/v1/deal-contacts/", {"deal": deal.pk, "contact": ann.pk}, format="json"
    )
    assert again.status_code == 201  # linking twice keeps one link
    rows = client.get("/api/v1/deal-contacts/", {"deal": deal.pk}).json()["results"]
    assert len(rows) == 1
    assert client.delete(url).status_code == 204
    with tenant_scope(tenant):
        assert not DealContact.objects.exists() and Contact.objects.exists()


def test_products_are_read_by_members_and_kept_by_admins(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    client = api_client(owner)
    box = client.post("/api/v1/products/", {"name": "Box", "price": "5"}, format="json").json()
    client.post(
        "/api/v1/products/", {"name": "Old", "price": "1", "is_active": False}, format="json"
    )
    reader = api_client(manager)
    names = [p["name"] for p in reader.get("/api/v1/products/").json()["results"]]
    assert sorted(names) == ["Box", "Old"]
    active = reader.get("/api/v1/products/", {"is_active": "true"}).json()["results"]
    assert [p["name"] for p in active] == ["Box"]
    assert [p["name"] for p in reader.get("/api/v1/products/", {"q": "bo"}).json()["results"]] == [
        "Box"
    ]
    url = f"/api/v1/products/{box['id']}/"
    assert reader.patch(url, {"price": "1"}, format="json").status_code == 403
    assert client.patch(url, {"price": "6.50"}, format="json").json()["price"] == "6.50"
    assert client.delete(url).status_code == 204


def test_a_list_of_100_costs_a_fixed_number_of_queries(workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    acme = CompanyFactory(actor=owner, name="Acme")
    people = ContactFactory.create_batch(3, actor=owner)
    with tenant_scope(tenant):
        reason = LostReason.objects.first()
        deals = Deal.objects.bulk_create(
            Deal(
                title=f"Deal {i}",
                amount=Decimal(i),
                pipeline_id=stages["Lead"].pipeline_id,
                stage=stages["Lead" if i % 3 else "Lost"],
                status=Deal.OPEN if i % 3 else Deal.LOST,
                lost_reason=None if i % 3 else reason,
                owner=owner.user,
                company=acme,
                position=i,
            )
            for i in range(100)
        )
        DealContact.objects.bulk_create(
            DealContact(deal=d, contact=people[i % 3]) for i, d in enumerate(deals)
        )
    client = api_client(owner)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/deals/", {"page_size": 100})
    assert len(response.json()["results"]) == 100, response.json()
    head = add_member(tenant, "head")  # department visibility adds its own lookup
    client = api_client(head)
    with django_assert_max_num_queries(9):
        response = client.get("/api/v1/deals/", {"page_size": 100})
    assert response.status_code == 200


def test_the_schema_documents_the_deal_endpoints(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    paths = ["/api/v1/deals/{id}/move/", "/api/v1/pipelines/{id}/reorder/",
             "/api/v1/line-items/", "/api/v1/deal-contacts/", "/api/v1/lost-reasons/"]  # fmt: skip
    for path in paths:
        assert path in text


def test_the_fast_representation_matches_drfs(workspace, rf):
    """DealSerializer builds its output directly for speed; it must say what DRF's
    field-by-field walk says, for every kind of deal."""
    from rest_framework import serializers

    from deals import api, selectors

    tenant, owner = workspace
    _, stages = funnel(tenant)
    acme = new_company(owner, name="Acme")
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    with tenant_scope(tenant):
        contact_services.custom_field_save(
            actor=owner, object_type="deal", key="k", label="K", field_type="number"
        )
    new_deal(owner, title="Bare", owner=None)
    full = new_deal(
        owner, title="Full", amount="1234.5", company=acme, contacts=[(ann, "buyer")],
        tags=["a", "b"], custom={"k": 1}, expected_close=date(2030, 5, 1), source="web",
        utm_source="mail",
    )  # fmt: skip
    with tenant_scope(tenant, owner.user):
        from deals import services

        services.deal_lost(actor=owner, deal=full, reason=LostReason.objects.first(), note="x")
        Deal.objects.filter(pk=full.pk).update(next_activity_at=timezone.now())
        request = rf.get("/api/v1/deals/")
        request.membership = owner
        rows = (
            selectors.deals_for(owner)
            .select_related("lost_reason")
            .prefetch_related("deal_contacts__contact")
        )
        for deal in rows:
            serializer = api.DealSerializer(context={"request": request})
            generic = serializers.ModelSerializer.to_representation(serializer, deal)
            assert serializer.to_representation(deal) == dict(generic), deal.title
    assert stages
