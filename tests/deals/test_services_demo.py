"""The demo seed: deals.demo runs after contacts.demo, through the services."""

import pytest

from contacts.demo import seed as seed_clients
from crm.accounts.models import Membership
from crm.tenancy.context import tenant_scope
from deals.demo import US, seed
from deals.models import Deal, LineItem, StageHistory
from pipelines.models import Pipeline
from tests.conftest import add_member

pytestmark = pytest.mark.django_db


def test_the_demo_seed_fills_both_funnels(workspace):
    tenant, owner = workspace
    managers = [add_member(tenant, "manager"), add_member(tenant, "head")]
    with tenant_scope(tenant, owner.user):
        seed_clients(owner, managers)
        deals = seed(owner, managers)
        board = len(US.sales_titles) + len(US.partner_titles)
        assert len(deals) == Deal.objects.count() == board + 12 * US.closed_per_month
        assert list(Pipeline.objects.values_list("name", flat=True)) == ["Sales", "Partnerships"]
        statuses = set(Deal.objects.values_list("status", flat=True))
        assert statuses == {"open", "won", "lost"}
        assert Deal.objects.filter(company__isnull=False).count() > 20
        assert LineItem.objects.exists() and StageHistory.objects.count() > 40
        owners = set(Deal.objects.values_list("owner_id", flat=True))
        assert {m.user_id for m in Membership.objects.all()} >= owners
        assert len(owners) == 3
        for deal in Deal.objects.select_related("stage"):
            assert deal.stage.pipeline_id == deal.pipeline_id
            assert deal.status == deal.stage.kind
