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
