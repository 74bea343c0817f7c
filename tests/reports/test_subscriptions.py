"""Report subscriptions: mailed once per period (sweep run twice, or at once, or after a lost
task), run as the recipient, only when the condition holds, with the chart as a PNG and the
table in the body, to the real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from reports import delivery, services, subscriptions
from reports.models import ReportSubscription
from reports.tasks import sweep_subscriptions
from tests.conftest import add_member, make_user

from .helpers import at, make_deals

DEFINITION = {
    "columns": ["title", "amount", "owner"],
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "group_by": ["owner"],
    "summaries": [{"field": "amount", "agg": "sum"}],
    "chart": "bar",
}
DAILY = {"frequency": "daily", "time_of_day": "09:00"}


def make_team(tenant, admin):
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "Ann first"),
        (ann.user, "250.50", "won", at(2026, 2), "Ann second"),
        (bob.user, "400.00", "won", at(2026, 2), "Bob only"),
        (bob.user, "50.00", "open", None, "Bob open"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        report = services.report_create(
            actor=admin, name="Won by manager", report_type="deals", definition=DEFINITION,
            is_shared=True,
        )  # fmt: skip
    return ann, bob, report


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann, bob, report = make_team(tenant, admin)
    return tenant, admin, ann, bob, report


def subscribe(tenant, actor, report, **data) -> ReportSubscription:
    with tenant_scope(tenant, actor.user):
        return subscriptions.subscription_create(actor=actor, report=report,
                                                 data={**DAILY, **data})  # fmt: skip


def make_due(tenant, sub) -> None:
    with tenant_scope(tenant):
        ReportSubscription.objects.filter(pk=sub.pk).update(
            next_run_at=timezone.now() - dt.timedelta(minutes=1)
        )


def parts(message) -> dict:
    """content type → list of parts of a mail."""
    out: dict[str, list] = {}
    for part in message.walk():
        out.setdefault(part.get_content_type(), []).append(part)
    return out


def html_of(message) -> str:
    return parts(message)["text/html"][0].get_payload(decode=True).decode()


def test_a_due_subscription_is_mailed_once_with_the_chart_and_the_table(team, smtp):
    tenant, admin, _ann, _bob, report = team
    sub = subscribe(tenant, admin, report)
    make_due(tenant, sub)

    assert sweep_subscriptions() == 1
    assert sweep_subscriptions() == 0  # the second sweep of the period finds nothing
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == admin.user.email
    assert "Won by manager" in message["Subject"]
    found = parts(message)
    png = found["image/png"][0]
    assert png.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert png["Content-ID"] == f"<{'report-chart@crm'}>"
    html = html_of(message)
    assert 'src="cid:report-chart@crm"' in html
    # The groups, counted by hand: Ann 2 deals 350.50, Bob 1 deal 400.00.
    assert "Ann Lee" in html and "350.50" in html
    assert "Bob Ray" in html and "400.00" in html
    assert f"/reports/{report.pk}/" in html
    with tenant_scope(tenant):
        sub.refresh_from_db()
    assert sub.last_status == "sent" and sub.pending_for is None
    assert sub.next_run_at > timezone.now()


def test_a_manager_with_own_visibility_is_mailed_only_their_numbers(team, smtp):
    tenant, admin, ann, _bob, report = team
    sub = subscribe(tenant, admin, report, recipient=ann.user_id)  # a head subscribes Ann
    assert sub.recipient_id == ann.user_id
    make_due(tenant, sub)
    sweep_subscriptions()

    assert [m["To"] for m in smtp.messages] == [ann.user.email]
    html = html_of(smtp.messages[0])
    assert "Ann Lee" in html and "350.50" in html
    assert "Bob" not in html and "400.00" not in html
    # Two rows in all: Ann's two won deals, as counted by hand.
    assert "2 rows in all" in html


def test_the_condition_suppresses_the_mail(team, smtp):
    tenant, admin, _ann, _bob, report = team
    quiet = subscribe(tenant, admin, report,
                      condition={"measure": "amount__sum", "op": "gt", "value": 1000})  # fmt: skip
    loud = subscribe(tenant, admin, report,
                     condition={"measure": "count", "op": "gte", "value": 3})  # fmt: skip
    make_due(tenant, quiet)
    make_due(tenant, loud)
    sweep_subscriptions()

    assert len(smtp.messages) == 1  # 750.50 is not above 1000; 3 won deals are at least 3
    with tenant_scope(tenant):
        quiet.refresh_from_db()
        loud.refresh_from_db()
    assert (quiet.last_status, loud.last_status) == ("skipped", "sent")
    assert quiet.last_sent_at is None and quiet.pending_for is None
    assert quiet.next_run_at > timezone.now()  # the period is over for it too


def test_a_lost_mail_task_is_handed_out_again_after_the_lease(team, smtp):
    tenant, admin, _ann, _bob, report = team
    sub = subscribe(tenant, admin, report)
    make_due(tenant, sub)
    with tenant_scope(tenant):
        assert delivery.claim_due() == [sub.pk]  # claimed; its mail task never runs
        assert delivery.claim_due() == []
        later = timezone.now() + delivery.LEASE + dt.timedelta(seconds=1)
        assert delivery.claim_due(later) == [sub.pk]
        assert delivery.deliver(sub.pk) == "sent"
        assert delivery.deliver(sub.pk) is None  # a duplicate task sends nothing
    assert len(smtp.messages) == 1


def test_an_smtp_failure_keeps_the_period_pending(team, settings):
    tenant, admin, _ann, _bob, report = team
    sub = subscribe(tenant, admin, report)
    make_due(tenant, sub)
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }}  # fmt: skip
    with tenant_scope(tenant):
        delivery.claim_due()
        with pytest.raises(OSError):
            delivery.deliver(sub.pk)
        sub.refresh_from_db()
    assert sub.pending_for is not None and sub.last_sent_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_and_mail_tasks_send_once(smtp):
    from tests.conftest import make_workspace

    tenant, admin = make_workspace("Concurrent")
    _ann, _bob, report = make_team(tenant, admin)
    sub = subscribe(tenant, admin, report)
    make_due(tenant, sub)

    def race(fn) -> list:
        barrier, out = threading.Barrier(2), []

        def work():
            try:
                with tenant_scope(tenant):
                    barrier.wait()
                    out.append(fn())
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    claimed = race(delivery.claim_due)
    assert sorted(claimed, key=len) == [[], [sub.pk]]
    sent = race(lambda: delivery.deliver(sub.pk))
    assert sent.count("sent") == 1 and sent.count(None) == 1  # the other skipped the lock
    assert len(smtp.messages) == 1


def test_a_recipient_who_lost_access_is_not_mailed(team, smtp):
    tenant, admin, ann, _bob, report = team
    sub = subscribe(tenant, admin, report, recipient=ann.user_id)
    with tenant_scope(tenant, admin.user):
        services.report_update(actor=admin, report=report, data={"is_shared": False})
    make_due(tenant, sub)
    sweep_subscriptions()
    assert smtp.messages == []
    with tenant_scope(tenant):
        sub.refresh_from_db()
    assert sub.last_status == "no_access"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"frequency": "hourly"}, "frequency", "daily, weekly or monthly"),
        ({"frequency": "weekly"}, "weekday", "weekday"),
        ({"frequency": "monthly", "day_of_month": 32}, "day_of_month", "1 to 31"),
        ({"time_of_day": "25:99"}, "time_of_day", "HH:MM"),
        ({"condition": {"measure": "amount__avg", "op": "gt", "value": 1}}, "condition",
         "amount__avg"),
        ({"condition": {"measure": "count", "op": "over", "value": 1}}, "condition", "over"),
        ({"condition": {"measure": "count", "op": "gt", "value": "lots"}}, "condition",
         "number"),
    ],
)  # fmt: skip
def test_validation_names_what_is_wrong(team, data, field, words):
    from django.core.exceptions import ValidationError

    tenant, admin, _ann, _bob, report = team
    with pytest.raises(ValidationError) as caught:
        subscribe(tenant, admin, report, **data)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])


def test_a_manager_subscribes_only_themselves(team):
    from django.core.exceptions import ValidationError

    tenant, _admin, ann, bob, report = team
    with pytest.raises(ValidationError) as caught:
        subscribe(tenant, ann, report, recipient=bob.user_id)
    assert "only yourself" in " ".join(caught.value.message_dict["recipient"])
    own = subscribe(tenant, ann, report)
    assert own.recipient_id == ann.user_id


def test_the_time_is_the_recipients_time_zone(team):
    tenant, admin, ann, _bob, report = team
    ann.user.time_zone = "Asia/Kolkata"
    ann.user.save(update_fields=["time_zone"])
    sub = subscribe(tenant, admin, report, recipient=ann.user_id, time_of_day="08:30")
    local = sub.next_run_at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert (local.hour, local.minute) == (8, 30)


def test_the_sweep_runs_every_minute_and_mail_goes_through_the_mail_queue(settings):
    beat = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["reports.sweep_subscriptions"] == 60.0
    assert settings.CELERY_TASK_ROUTES["reports.send_subscription"] == {"queue": "mail"}
    assert settings.CELERY_TASK_ROUTES["reports.sweep_subscriptions"] == {"queue": "events"}


def test_a_real_worker_sweeps_and_mails(celery_worker_real, smtp):
    from tests.conftest import make_workspace, wait_for

    tenant, admin = make_workspace("Worker")
    _ann, _bob, report = make_team(tenant, admin)
    sub = subscribe(tenant, admin, report)
    make_due(tenant, sub)
    sweep_subscriptions.delay()
    wait_for(lambda: smtp.messages, timeout=30)
    assert [m["To"] for m in smtp.messages] == [admin.user.email]
    with tenant_scope(tenant):
        assert wait_for(
            lambda: ReportSubscription.objects.get(pk=sub.pk).last_status == "sent", timeout=10
        )
