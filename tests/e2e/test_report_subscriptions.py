"""Report subscriptions in Chromium: a head of department subscribes a manager to a shared
report from its page; the manager finds it under "My subscriptions"; the sweep mails her,
to the real SMTP server, her own numbers only."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from reports import services
from reports.models import ReportSubscription
from reports.tasks import sweep_subscriptions
from tests.conftest import add_member, make_user, make_workspace
from tests.e2e.conftest import log_in
from tests.reports.helpers import at, make_deals

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_head_subscribes_a_manager_who_is_mailed_her_numbers(page, new_page, smtp):
    tenant, admin = make_workspace("Subscriptions")
    head = add_member(tenant, "head", user=make_user(first_name="Hana", last_name="Head"))
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "250.50", "won", at(2026, 2), "Ann February"),
        (bob.user, "400.00", "won", at(2026, 2), "Bob February"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        report = services.report_create(
            actor=admin, name="Won by manager", report_type="deals", is_shared=True,
            definition={"columns": ["title", "amount"], "group_by": ["owner"],
                        "filters": [{"field": "status", "op": "eq", "value": "won"}],
                        "summaries": [{"field": "amount", "agg": "sum"}], "chart": "bar"},
        )  # fmt: skip
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, head.user.email)
    page.goto(f"/reports/{report.pk}/")
    page.get_by_test_id("subscribe-open").click()
    form = page.get_by_test_id("subscribe-form")
    form.get_by_test_id("subscription-recipient").select_option(str(ann.user_id))
    form.get_by_test_id("subscription-frequency").select_option("weekly")
    form.locator("select[name=weekday]").select_option("2")
    form.get_by_test_id("subscription-time").fill("07:45")
    form.get_by_test_id("subscription-measure").select_option("count")
    form.locator("select[name=condition_op]").select_option("gt")
    form.locator("input[name=condition_value]").fill("0")
    form.get_by_test_id("subscribe-save").click()
    row = page.get_by_test_id("subscription-row")
    row.wait_for()
    assert "Ann Lee" in row.inner_text() and "Weekly, Wednesday at 07:45" in row.inner_text()
    assert errors == []

    other = new_page()
    log_in(other, ann.user.email)
    other.goto("/reports/")
    other.get_by_test_id("my-subscriptions").click()
    mine = other.get_by_test_id("subscription-row")
    mine.wait_for()
    assert "Won by manager" in mine.inner_text()

    with tenant_scope(tenant):
        ReportSubscription.objects.update(next_run_at=timezone.now() - dt.timedelta(minutes=1))
    assert sweep_subscriptions() == 1
    (message,) = smtp.messages
    assert message["To"] == ann.user.email
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert "250.50" in body and "Bob" not in body
    assert any(p.get_content_type() == "image/png" for p in message.walk())
