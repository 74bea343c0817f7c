"""The email channel's IMAP initial sync: 10,000 mails in a mailbox, polled into the inbox.

A real IMAP server (pymap, in its own process) on loopback holds 10,000 mails (from 2,000
senders, a fifth of them replies to an earlier mail, a few with an attachment or HTML); a
fresh workspace connects an email channel to it and one poll takes them in, as the beat task
does: fetched with BODY.PEEK[] in chunks, stored as raw deliveries, ingested (parsed,
threaded, matched to clients, stored as messages, `message.received` emitted). Events are
queued for the events worker on commit, as in production (the bench runs no events worker;
the queue is purged afterwards).

Measured end to end (from the first IMAP command to the last message stored); goal:
>= 200 messages/s. Putting the mails into the server (APPEND) is set-up, not measured.
Beside the rate, the CPU seconds per 1,000 mails of this process, of the IMAP server and of
the PostgreSQL backend serving this process: a busy machine stretches the wall clock, much
less these.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

from _common import ROOT, figure, machine_note, setup_django

setup_django()
sys.path.insert(0, str(ROOT))

from django.db import connection  # noqa: E402

from crm.accounts.models import Membership, User  # noqa: E402
from crm.accounts.services import tenant_create  # noqa: E402
from crm.celery import app  # noqa: E402
from crm.tenancy.context import tenant_scope  # noqa: E402
from integrations import mailpoll, services  # noqa: E402
from integrations.models import Conversation, Message, RawDelivery  # noqa: E402
from tests.integrations.imap_server import IMAPServer, free_port, mail  # noqa: E402

MAILS, SENDERS = 10_000, 2_000
GOAL_RATE = 200.0


def mails() -> list[bytes]:
    out = []
    for i in range(1, MAILS + 1):
        sender = f"Client {i % SENDERS} <client{i % SENDERS}@bench.example>"
        extra = {}
        if i % 5 == 0 and i > SENDERS:  # a reply to this sender's previous mail
            parent = f"<m{i - SENDERS}@bench.example>"
            extra = {"in_reply_to": parent, "references": parent}
        if i % 50 == 0:
            extra["files"] = [("order.pdf", "application/pdf", b"%PDF-1.4 " + b"x" * 4000)]
        if i % 7 == 0:
            extra["html"] = f"<p>Order <b>{i}</b></p><blockquote>earlier</blockquote>"
        out.append(
            mail(i, sender=sender, subject=f"Order {i}", message_id=f"m{i}@bench.example",
                 text=f"Hello! A question about order {i}.\n\nRegards", **extra)
        )  # fmt: skip
    return out


def workspace() -> Membership:
    owner = User.objects.create_user(
        email=f"bench-email-{uuid.uuid4().hex[:8]}@example.com", password=uuid.uuid4().hex
    )
    tenant = tenant_create(owner=owner, name=f"Bench email {uuid.uuid4().hex[:6]}")
    with tenant_scope(tenant):
        return Membership.objects.select_related("role", "tenant", "user").get(user=owner)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process on this machine (Linux /proc); 0 elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    os.environ.setdefault("CRM_VAR_DIR", str(Path(ROOT / "var" / "bench")))
    server = IMAPServer().start()
    try:
        t0 = time.perf_counter()
        server.append(*mails())
        print(f"  set-up: {MAILS:,} mails appended to pymap in {time.perf_counter() - t0:.1f} s",
              flush=True)  # fmt: skip
        owner = workspace()
        with tenant_scope(owner.tenant_id, owner.user):
            channel = services.channel_create(
                actor=owner, kind="email", name="Bench mail",
                raw_settings=server.settings(smtp_port=free_port()),
            )  # fmt: skip
            # (SMTP is not part of this: the channel is in error for it, and still polls.)
            app.conf.task_always_eager = False  # events go to the queue, as in production
            machine_note()
            load = os.getloadavg()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            pids = (os.getpid(), server.process.pid, backend)
            cpu_before = [cpu_seconds(pid) for pid in pids]
            started = time.perf_counter()
            made = mailpoll.poll_channel(channel)
            took = time.perf_counter() - started
            cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
            app.conf.task_always_eager = True
            messages = Message.objects.filter(channel=channel).count()
            conversations = Conversation.objects.filter(channel=channel).count()
            failed = RawDelivery.objects.filter(channel=channel, status="failed").count()
        app.control.purge()
        rate = messages / took
        print(
            f"  polled: {made:,} new messages ({messages:,} stored, {conversations:,} "
            f"conversations, {failed} failed deliveries) in {took:.1f} s",
            flush=True,
        )
        print(f"  load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
              f"after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)  # fmt: skip
        mine, imap, postgres = (c * 1000 / MAILS for c in cpu)
        print(f"  CPU seconds per 1,000 mails: this process {mine:.2f}, IMAP server {imap:.2f}, "
              f"PostgreSQL backend {postgres:.2f}", flush=True)  # fmt: skip
        ok = messages == MAILS and failed == 0 and rate >= GOAL_RATE
        figure("imap_initial_sync_rate", rate, "messages/s", f">= {GOAL_RATE:.0f}", ok)
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
