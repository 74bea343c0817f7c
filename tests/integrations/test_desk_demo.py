"""The desk's demo data: unsorted requests (one declined and blocked), a snoozed
conversation, answers for the response times, the target and a round robin rule."""

import pytest

from crm.tenancy.context import tenant_scope
from integrations import demo, desk_demo
from integrations.models import AssignmentRule, BlockedSender, Conversation, InboxSettings
from tests.conftest import add_member
from tests.contacts.conftest import new_contact


@pytest.mark.django_db
def test_the_desk_demo(workspace):
    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    for name in ("Ann", "Bo", "Cy", "Di", "Ed"):
        new_contact(seller, first_name=name)
    with tenant_scope(tenant, owner.user):
        demo.seed(owner, [seller])
        desk_demo.seed(owner, [seller])
        unsorted = Conversation.objects.filter(contact=None)
        assert unsorted.count() == 3 and unsorted.filter(is_spam=True).count() == 1
        assert unsorted.exclude(sender={}).count() == 3
        assert BlockedSender.objects.count() == 1
        assert Conversation.objects.filter(status="snoozed").exclude(snoozed_until=None).exists()
        assert Conversation.objects.exclude(first_response_at=None).exists()
        assert InboxSettings.objects.get().response_target_minutes == 30
        assert AssignmentRule.objects.get().mode == "round_robin"
