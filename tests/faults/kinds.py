"""The kinds of work the fault tests kill a worker in, each made in a fresh workspace of its
own. Counts are of the units the kind promises exactly once: messages, automation actions,
imported contacts, consumer deliveries."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from django.db.models import Count
from django.test import Client
from django.utils import timezone

from automation.models import Run, Step
from contacts.importer.services import import_create, import_retry, import_start
from contacts.models import Contact, ImportJob
from crm.activity import dispatch
from crm.activity.models import AuditEntry, Event, EventDelivery, Task
from crm.tenancy.context import tenant_scope
from integrations.models import Channel, Message, RawDelivery
from tests.conftest import make_workspace
from tests.contacts.import_files import csv_bytes, upload
from tests.integrations.conftest import connect_channel, connect_email
from tests.integrations.stand_in import update
from tests.integrations.test_telegram import deliver
from tests.pipelines.helpers import funnel, new_deal

from .harness import Kind, waiting

_seq = itertools.count(1)


def outbox_empty(tenant_id) -> bool:
    with tenant_scope(tenant_id):
        return not Event.objects.filter(dispatched_at__isnull=True).exists()


def leftovers(tenant_id) -> dict:
    with tenant_scope(tenant_id):
        return {
            "pending events": list(
                Event.objects.filter(dispatched_at__isnull=True).values_list(
                    "type", "attempts", "last_error"
                )
            ),
            "deliveries": list(
                RawDelivery.objects.exclude(status=RawDelivery.PROCESSED).values_list(
                    "status", "error"
                )
            ),
            "messages": Message.objects.count(),
            "queues": {q: waiting(q) for q in ("events", "ingest", "heavy", "default")},
        }


def deliveries_doubled(tenant_id) -> int:
    """Consumer deliveries made twice (the unique constraint makes this 0, or it is a bug)."""
    with tenant_scope(tenant_id):
        rows = EventDelivery.objects.values("event_id", "consumer").annotate(n=Count("id"))
        return sum(r["n"] - 1 for r in rows if r["n"] > 1)


class ImapSync(Kind):
    """An email channel's poll of a mailbox of MAILS mails (in chunks, mailpoll.CHUNK)."""

    name = "imap-sync"
    tasks = ("integrations.poll_mail",)
    sweeps = (("integrations.poll_mail", {}), ("activity.sweep_outbox", {}))
    MAILS = 8

    def __init__(self, imap):
        from tests.integrations.imap_server import mail

        self.imap = imap
        imap.append(*(mail(i, message_id=f"fault{i}@client.example",
                           sender=f"Client {i % 5} <c{i % 5}@client.example>")
                      for i in range(1, self.MAILS + 1)))  # fmt: skip

    def prepare(self):
        tenant, owner = make_workspace(f"Mail {next(_seq)}")
        return SimpleNamespace(tenant=tenant, channel=connect_email(owner, self.imap))

    def start(self, piece):
        from crm.celery import app

        app.send_task("integrations.poll_mail", queue="ingest")

    def sweeps_due(self, piece):
        # Beat polls every minute, not five times a second: once the mail is all in, a poll
        # more only keeps the one worker from the outbox sweep and the events' dispatch.
        with tenant_scope(piece.tenant):
            stored = Message.objects.filter(conversation__channel=piece.channel).count()
            waiting = RawDelivery.objects.exclude(status=RawDelivery.PROCESSED).exists()
        if stored >= self.MAILS and not waiting:
            return tuple(s for s in self.sweeps if s[0] != "integrations.poll_mail")
        return self.sweeps

    def retire(self, piece):
        # A counted piece's channel is no longer polled: the next pieces' polls (every
        # workspace's channels, one after the other) take no longer for it.
        with tenant_scope(piece.tenant):
            Channel.objects.filter(pk=piece.channel.pk).update(status=Channel.PENDING)

    def settled(self, piece):
        with tenant_scope(piece.tenant):
            stored = Message.objects.filter(conversation__channel=piece.channel).count()
            waiting = RawDelivery.objects.exclude(status=RawDelivery.PROCESSED).exists()
        return stored >= self.MAILS and not waiting and outbox_empty(piece.tenant.pk)

    def counts(self, piece):
        with tenant_scope(piece.tenant):
            ids = list(
                Message.objects.filter(conversation__channel=piece.channel).values_list(
                    "external_id", flat=True
                )
            )
        return self.MAILS, self.MAILS - len(set(ids)), len(ids) - len(set(ids))


class WebhookIngest(Kind):
    """UPDATES Telegram updates posted to a channel's webhook, ingested by the worker."""

    name = "webhook-ingest"
    tasks = ("integrations.ingest_pending",)
    sweeps = (("integrations.wake_stalled", {}), ("activity.sweep_outbox", {}))
    UPDATES = 6

    def __init__(self, telegram):
        self.telegram = telegram

    def prepare(self):
        tenant, owner = make_workspace(f"Hook {next(_seq)}")
        return SimpleNamespace(tenant=tenant, channel=connect_channel(owner, self.telegram))

    def start(self, piece):
        client = Client()
        for i in range(1, self.UPDATES + 1):
            payload = update(i, chat_id=500 + i % 3, message_id=i, text=f"Message {i}")
            assert deliver(client, piece.channel, payload).status_code == 200

    def settled(self, piece):
        with tenant_scope(piece.tenant):
            stored = Message.objects.count()
            waiting = RawDelivery.objects.exclude(status=RawDelivery.PROCESSED).exists()
        return stored >= self.UPDATES and not waiting and outbox_empty(piece.tenant.pk)

    def counts(self, piece):
        with tenant_scope(piece.tenant):
            texts = list(Message.objects.values_list("text", flat=True))
        return self.UPDATES, self.UPDATES - len(set(texts)), len(texts) - len(set(texts))


class AutomationRun(Kind):
    """DEALS deals entering a stage whose rule creates a task at once and a second one after
    a delay (the delay runs out at the harness's nudge): two actions per deal."""

    name = "automation"
    tasks = ("activity.dispatch_event", "activity.dispatch_events", "automation.run_steps",
             "automation.run_due_steps")  # fmt: skip
    sweeps = (("activity.sweep_outbox", {}), ("automation.sweep_steps", {}))
    DEALS = 2

    def prepare(self):
        from automation import services

        tenant, owner = make_workspace(f"Rules {next(_seq)}")
        _, stages = funnel(tenant)
        spec = {
            "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
            "actions": [
                {"type": "task.create", "title": "First call", "kind": "call",
                 "assignee": "owner", "due_in_minutes": 60},
                {"type": "task.create", "title": "Second call", "kind": "call",
                 "assignee": "owner", "due_in_minutes": 60, "delay": {"minutes": 5}},
            ],
        }  # fmt: skip
        with tenant_scope(tenant, owner.user):
            services.rule_create(actor=owner, name="Two calls", spec=spec)
        deals = [new_deal(owner, title=f"Deal {i}") for i in range(self.DEALS)]
        return SimpleNamespace(tenant=tenant, owner=owner, deals=deals, stage=stages["Qualified"])

    def start(self, piece):
        from deals import services

        with tenant_scope(piece.tenant, piece.owner.user):
            for deal in piece.deals:
                services.deal_move(actor=piece.owner, deal=deal, stage=piece.stage)

    def nudge(self, piece):
        # The five minutes pass at once.
        with tenant_scope(piece.tenant):
            Step.objects.filter(status=Step.PENDING, due_at__gt=timezone.now()).update(
                due_at=timezone.now()
            )

    def settled(self, piece):
        with tenant_scope(piece.tenant):
            runs = list(Run.objects.values_list("status", flat=True))
            pending = Step.objects.filter(status=Step.PENDING).exists()
        return (len(runs) >= self.DEALS and set(runs) == {Run.DONE} and not pending
                and outbox_empty(piece.tenant.pk))  # fmt: skip

    def counts(self, piece):
        expected = 2 * self.DEALS
        with tenant_scope(piece.tenant):
            made = list(Task.objects.filter(object_type="deal").values_list("object_id", "title"))
        lost = len({(d.pk, t) for d in piece.deals for t in ("First call", "Second call")}
                   - set(made))  # fmt: skip
        return expected, lost, len(made) - len(set(made))


class Import(Kind):
    """A CSV of ROWS contacts imported; a job the kill stopped is failed by the recovery
    sweep and then retried by its member, and must end complete."""

    name = "import"
    tasks = ("contacts.import_contacts",)
    sweeps = (("contacts.recover_imports", {"stalled_after_minutes": 0}),
              ("activity.sweep_outbox", {}))  # fmt: skip
    ROWS = 100

    def prepare(self):
        tenant, owner = make_workspace(f"Import {next(_seq)}")
        rows = [["Name", "Email", "Company"]]
        rows += [[f"Client {i}", f"client{i}@import.example", f"Firm {i % 20}"]
                 for i in range(self.ROWS)]  # fmt: skip
        with tenant_scope(tenant, owner.user):
            job = import_create(actor=owner, upload=upload(csv_bytes(rows), "clients.csv"))
        return SimpleNamespace(tenant=tenant, owner=owner, job=job, retried=0, failed_clean=True)

    def start(self, piece):
        with tenant_scope(piece.tenant, piece.owner.user):
            import_start(actor=piece.owner, job=piece.job, mapping=piece.job.mapping,
                         duplicate_policy=ImportJob.SKIP)  # fmt: skip

    def _job(self, piece):
        with tenant_scope(piece.tenant):
            return ImportJob.objects.get(pk=piece.job.pk)

    def nudge(self, piece):
        # A failed job is cleanly failed (nothing of it saved) and its member retries it.
        job = self._job(piece)
        if job.status == ImportJob.FAILED:
            with tenant_scope(piece.tenant, piece.owner.user):
                piece.failed_clean &= not Contact.objects.exists()
                import_retry(actor=piece.owner, job=job)
            piece.retried += 1

    def settled(self, piece):
        return self._job(piece).status == ImportJob.DONE and outbox_empty(piece.tenant.pk)

    def counts(self, piece):
        with tenant_scope(piece.tenant):
            emails = [e for es in Contact.objects.values_list("emails", flat=True) for e in es]
        lost = self.ROWS - len(set(emails)) + (0 if piece.failed_clean else 1)
        return self.ROWS, lost, len(emails) - len(set(emails))


class Dispatch(Kind):
    """EVENTS events of a workspace (one per note on a contact) dispatched to every consumer:
    each consumer's delivery exactly once, nothing left pending."""

    name = "event-dispatch"
    tasks = ("activity.dispatch_event", "activity.dispatch_events")
    sweeps = (("activity.sweep_outbox", {}),)
    EVENTS = 4

    def prepare(self):
        from tests.contacts.conftest import new_contact

        tenant, owner = make_workspace(f"Events {next(_seq)}")
        contact = new_contact(owner, first_name="Ann")
        return SimpleNamespace(tenant=tenant, owner=owner, contact=contact, since=None)

    def start(self, piece):
        from contacts import services

        with tenant_scope(piece.tenant, piece.owner.user):
            piece.since = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
            for i in range(self.EVENTS):
                services.record_update(actor=piece.owner, record=piece.contact,
                                       data={"position": f"Buyer {i}"})  # fmt: skip

    def settled(self, piece):
        return outbox_empty(piece.tenant.pk)

    def counts(self, piece):
        with tenant_scope(piece.tenant):
            events = list(Event.objects.filter(pk__gt=piece.since))
            expected = sum(len(dispatch.consumers_of(e.type)) for e in events)
            delivered = EventDelivery.objects.filter(event__in=events).count()
            audits = AuditEntry.objects.filter(event__in=events).count()
        doubled = deliveries_doubled(piece.tenant.pk) + max(0, audits - len(events))
        return expected, max(0, expected - delivered), doubled
