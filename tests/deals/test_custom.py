"""A deal's custom values: only the workspace's deal fields, each value checked and small."""

import pytest

from contacts import services as contact_services
from crm.tenancy.context import tenant_scope
from deals.models import Deal
from tests.conftest import api_client
from tests.pipelines.helpers import new_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal_fields(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        for key, kind, options in (("budget", "number", []), ("region", "select", ["EU", "US"]),
                                   ("notes", "text", [])):  # fmt: skip
            contact_services.custom_field_save(
                actor=owner, object_type="deal", key=key, label=key.title(), field_type=kind,
                options=options,
            )  # fmt: skip
    return workspace


def custom_of(deal):
    with tenant_scope(deal.tenant_id):
        return Deal.objects.get(pk=deal.pk).custom


def test_defined_fields_are_validated_and_kept(deal_fields):
    _tenant, owner = deal_fields
    client = api_client(owner)
    created = client.post(
        "/api/v1/deals/",
        {"title": "Fleet", "custom": {"budget": "12 500", "region": "EU"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["custom"] == {"budget": 12500, "region": "EU"}
    url = f"/api/v1/deals/{created.json()['id']}/"
    patched = client.patch(url, {"custom": {"notes": "call in May"}}, format="json")
    assert patched.json()["custom"] == {"budget": 12500, "region": "EU", "notes": "call in May"}


@pytest.mark.parametrize(
    ("custom", "field"),
    [
        ({"unknown": 1}, "custom"),
        ({"notes": "x" * 1_000_000}, "custom.notes"),
        ({"notes": {"nested": "object"}}, "custom.notes"),
        ({"notes": ["a", "b"]}, "custom.notes"),
        ({"budget": "1e400"}, "custom.budget"),
        ({"budget": "99999999999999999999"}, "custom.budget"),
        ({"region": "Mars"}, "custom.region"),
        (["not", "an", "object"], "custom"),
    ],
)
def test_unknown_keys_and_oversized_values_are_a_400(deal_fields, custom, field):
    _tenant, owner = deal_fields
    deal = new_deal(owner, title="Fleet")
    response = api_client(owner).patch(
        f"/api/v1/deals/{deal.pk}/", {"custom": custom}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert custom_of(deal) == {}
