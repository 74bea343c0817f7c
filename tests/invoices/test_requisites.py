"""Requisites by their own rules, and the seller's details page that checks them."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_scope
from invoices import requisites
from invoices.models import LegalEntity
from tests.conftest import add_member, login


@pytest.mark.parametrize(
    ("check", "args", "valid"),
    [
        (requisites.inn_valid, ("7707083893",), True),  # ПАО Сбербанк
        (requisites.inn_valid, ("7707083894",), False),
        (requisites.inn_valid, ("500100732259",), True),  # a person's, 12 digits
        (requisites.inn_valid, ("500100732258",), False),
        (requisites.inn_valid, ("77070838",), False),
        (requisites.inn_valid, ("７７０７０８３８９３",), False),  # full-width digits
        (requisites.kpp_valid, ("773601001",), True),
        (requisites.kpp_valid, ("7736AB001",), True),
        (requisites.kpp_valid, ("77360100",), False),
        (requisites.bik_valid, ("044525225",), True),
        (requisites.bik_valid, ("04452522",), False),
        (requisites.corr_account_valid, ("30101810400000000225", "044525225"), True),
        (requisites.corr_account_valid, ("30101810400000000226", "044525225"), False),
        (requisites.account_valid, ("40702810200000000001", "044525225"), True),
        (requisites.account_valid, ("40702810300000000001", "044525225"), False),
        (requisites.gstin_valid, ("27AAPFU0939F1ZV",), True),
        (requisites.gstin_valid, ("27AAPFU0939F1ZW",), False),
        (requisites.gstin_valid, ("27AAPFU0939F1Z",), False),
        (requisites.mn_register_valid, ("2012345",), True),
        (requisites.mn_register_valid, ("УБ99061212",), True),
        (requisites.mn_register_valid, ("U99061212",), False),
    ],
)
def test_requisites(check, args, valid):
    assert check(*args) is valid


@pytest.mark.django_db
def test_the_seller_page_checks_and_saves_the_requisites(workspace, client):
    tenant, owner = workspace
    tenant.country = "RU"
    tenant.save(update_fields=["country"])
    login(client, owner)
    good = {
        "name": "ООО «Ромашка»", "tax_id": "7707083893", "kpp": "773601001",
        "bank_name": "ПАО Сбербанк", "bik": "044525225", "account": "40702810200000000001",
        "corr_account": "30101810400000000225",
    }  # fmt: skip
    bad = client.post("/settings/invoicing/", {**good, "tax_id": "7707083894"})
    assert bad.status_code == 200 and "ИНН is not valid" in bad.content.decode()
    with tenant_scope(tenant):
        assert not LegalEntity.objects.exists()
    assert client.post("/settings/invoicing/", good).status_code == 302
    with tenant_scope(tenant):
        assert LegalEntity.objects.get().account == "40702810200000000001"
    login(client, add_member(tenant))
    assert client.get("/settings/invoicing/").status_code == 403
