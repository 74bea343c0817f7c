"""Settings → Webhooks in the browser: an admin adds an endpoint and copies its secret, a
deal's event arrives signed, a failed delivery is resent from the log."""

import pytest
from django.db import transaction
from playwright.sync_api import expect
from standardwebhooks import Webhook

from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.automation.webhook_receiver import Receiver
from tests.conftest import make_workspace
from tests.e2e.conftest import log_in


@pytest.mark.e2e
def test_admin_adds_a_webhook_and_resends_a_failed_delivery(page):
    tenant, owner = make_workspace("Acme")
    with Receiver(400, 200) as receiver:
        log_in(page, owner.user.email)
        page.goto("/settings/webhooks/")
        page.locator("nav.subnav").get_by_role("link", name="Webhooks").click()
        form = page.get_by_test_id("add-webhook")
        form.get_by_label("URL").fill(receiver.url)
        form.get_by_label("All deal events (deal.*)").check()
        form.get_by_role("button", name="Add webhook").click()
        secret = page.get_by_test_id("webhook-secret").locator("code").inner_text()
        assert secret.startswith("whsec_")
        expect(page.get_by_test_id("webhooks")).to_contain_text(receiver.url[:40])

        with tenant_scope(tenant, owner.user), transaction.atomic():
            deal_services.deal_create(actor=owner, data={"title": "Browser deal", "amount": 9})

        page.get_by_test_id("webhooks").get_by_role("link", name="Deliveries").click()
        row = page.get_by_test_id("delivery").first
        expect(row).to_contain_text("deal.created")
        expect(row).to_contain_text("400")
        row.get_by_role("button", name="Resend").click()
        expect(page.locator(".messages")).to_contain_text("Delivery queued to be sent again.")
        expect(page.get_by_test_id("delivery").first).to_contain_text("Delivered")

    first, second = receiver.received
    assert Webhook(secret).verify(second.body, second.headers)["type"] == "deal.created"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
