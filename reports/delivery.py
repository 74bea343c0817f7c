"""Mailing subscriptions: the beat sweep claims the due ones, a mail task sends each.

Once per period, with any number of workers and across restarts:
- `claim_due` (beat, every minute, in each workspace) takes the due subscriptions under
  FOR UPDATE SKIP LOCKED and, in the same transaction, moves the due moment into
  `pending_for` and sets `next_run_at` to the next one after now (a sweep that runs twice,
  or two at once, finds nothing left to take). A pending one whose mail task was lost (a
  worker died) is handed out again after LEASE.
- `deliver` (the "mail" queue) takes the pending subscription under a row lock (a second
  task for it skips), runs the report (or every widget of the dashboard) as the recipient,
  mails it when the condition holds and clears `pending_for` in the same transaction; an
  SMTP failure rolls it back, so the task's retry or the sweep's lease sends it later."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from crm.accounts.models import Membership
from crm.tenancy.context import require_tenant_id, tenant_scope
from crm.tenancy.models import Tenant

from . import board_run, boards, run, selectors, subscriptions
from .models import ReportSubscription

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)
BATCH = 200
ROWS_IN_MAIL = 20


def claim_due(now: dt.datetime | None = None) -> list[int]:
    """Claim this workspace's due subscriptions; their ids, to be mailed after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        found = list(
            ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(
                Q(pending_for=None, next_run_at__lte=now)
                | Q(pending_for__isnull=False, claimed_at__lt=now - LEASE),
                is_active=True,
            )
            .order_by("next_run_at", "pk")[:BATCH]
        )
        # The workspace's time zone is read only when something is due (most minutes nothing
        # is: one indexed query per workspace).
        tenant = Tenant.objects.get(pk=require_tenant_id()) if found else None
        for sub in found:
            if sub.pending_for is None:
                sub.pending_for = sub.next_run_at
                # From now, not from the missed moment: after a long outage one mail for
                # the latest period, not one per period missed.
                sub.next_run_at = subscriptions.schedule_next(sub, max(now, sub.next_run_at),
                                                              tenant)  # fmt: skip
            sub.claimed_at = now
        ReportSubscription.objects.bulk_update(found, ["pending_for", "next_run_at", "claimed_at"])
    return [sub.pk for sub in found]


def deliver(subscription_id: int) -> str | None:
    """Mail one pending subscription; its status, or None when there was nothing to do (sent
    already, or another worker holds it)."""
    from . import emails

    with transaction.atomic():
        sub = (
            ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("report", "dashboard", "recipient", "tenant")
            .filter(pk=subscription_id, pending_for__isnull=False)
            .first()
        )
        if sub is None:
            return None
        status = _send(sub, emails)
        now = timezone.now()
        sub.pending_for = sub.claimed_at = None
        sub.last_run_at, sub.last_status = now, status
        if status == ReportSubscription.SENT:
            sub.last_sent_at = now
        sub.save(update_fields=["pending_for", "claimed_at", "last_run_at", "last_status",
                                "last_sent_at"])  # fmt: skip
    return status


def _send(sub: ReportSubscription, emails) -> str:
    user, tenant, report = sub.recipient, sub.tenant, sub.report
    membership = (
        Membership.objects.select_related("role", "user", "tenant")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )
    if sub.target_kind == ReportSubscription.DASHBOARD:
        return _send_dashboard(sub, membership, emails)
    if membership is None or not selectors.reports_for(membership).filter(pk=report.pk).exists():
        return ReportSubscription.NO_ACCESS
    with tenant_scope(tenant.pk, user), translation.override(user.language or tenant.language):
        outcome = run.run(report.report_type, report.spec, membership, tenant.time_zone,
                          page=1, page_size=ROWS_IN_MAIL)  # fmt: skip
        if outcome.result is None:
            log.warning("subscription %s: report %s has problems: %s", sub.pk, report.pk,
                        outcome.problems)  # fmt: skip
            return ReportSubscription.FAILED
        if not subscriptions.condition_holds(sub.condition, outcome.result):
            return ReportSubscription.SKIPPED
        emails.send_report(sub, outcome)
    return ReportSubscription.SENT


def _send_dashboard(sub: ReportSubscription, membership, emails) -> str:
    """Every widget run as the recipient, with the dashboard's own report dates (no filters
    picked): the numbers the recipient sees opening the dashboard. A widget with problems
    is shown with them (as on the page); the mail still goes."""
    user, tenant, board = sub.recipient, sub.tenant, sub.dashboard
    if membership is None or not boards.boards_for(membership).filter(pk=board.pk).exists():
        return ReportSubscription.NO_ACCESS
    with tenant_scope(tenant.pk, user), translation.override(user.language or tenant.language):
        filters = board_run.BoardFilters(today=board_run.today_in(tenant))
        shown = board_run.run_board(board, membership, tenant, filters)
        emails.send_dashboard(sub, shown)
    return ReportSubscription.SENT
