import pytest

from contacts import services
from contacts.models import Company, Contact
from crm.tenancy.context import tenant_scope


@pytest.fixture
def ru_workspace(workspace):
    """The workspace, reading phones typed without a country code as Russian ones."""
    tenant, owner = workspace
    tenant.country = "RU"
    tenant.save(update_fields=["country"])
    owner.tenant.country = "RU"
    return tenant, owner


def new_contact(owner, **data):
    with tenant_scope(owner.tenant_id):
        return services.record_create(
            actor=owner, model=Contact, data=data, allow_duplicate=data.pop("_dup", False)
        )


def new_company(owner, **data):
    with tenant_scope(owner.tenant_id):
        return services.record_create(actor=owner, model=Company, data=data)


@pytest.fixture
def team(workspace):
    """(admin, Mia, Carl): two sales managers whose role shows them their own records only."""
    from tests.conftest import add_member, make_user

    tenant, admin = workspace
    mia = add_member(tenant, user=make_user(email="mia@example.com", first_name="Mia"))
    carl = add_member(tenant, user=make_user(email="carl@example.com", first_name="Carl"))
    return admin, mia, carl


@pytest.fixture
def colleagues_client(team):
    """Carl's company and his contact there, neither of which Mia may see."""
    _, _, carl = team
    company = new_company(
        carl, name="Secret Industries", website="https://secret.example", emails="hq@secret.example"
    )
    contact = new_contact(
        carl, first_name="Vera", last_name="Hidden", emails="vera@secret.example",
        phones="+14155550199", position="CFO", company=company, tags="carls",
    )  # fmt: skip
    return company, contact
