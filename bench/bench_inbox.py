"""The inbox: webhooks under load, ingestion by a real worker, idempotency, the inbox list.

Over real HTTP against gunicorn on loopback, started as `make run` starts it (2 workers x
4 threads), and a real Celery worker on the `ingest` queue (as `make run` has it, one
process). The load generator is a pool of threads, each with its own keep-alive connection.

1. Webhook receive: Telegram updates posted open-loop at 200 requests/s for 15 s (each
   request is due at its slot; its latency counts from the slot, so a server that falls
   behind is not hidden by a client that waits): p95 <= 50 ms.
2. Webhook -> message visible in the API: one update at a time, each opening a new chat;
   the time until `GET /api/v1/conversations/?channel=` lists the conversation it opened,
   polled every 20 ms, with the worker running: p95 <= 1 s.
3. 10,000 updates, each posted 3 times by different connections at once (30,000
   requests), ingested by the worker: exactly 10,000 messages and 10,000 deliveries.
4. The inbox list in a workspace of 100,000 conversations (seeded by one INSERT ...
   SELECT): the API's first page and the /inbox/ page, for an admin (sees all) and a manager
   (sees their own), p95 <= 100 ms, with the same number of queries as in a workspace of
   50 conversations.
5. IMAP initial sync of 10,000 messages >= 200 messages/s: bench/bench_inbox_email.py (the
   email channel's own bench), run from here when it is present.

Each run makes fresh workspaces (their data stays in var/bench/). The API key throttle is
raised for the bench's web server (API_KEY_RATE), since figure 2 polls faster than a
client is allowed to.
"""

from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from _common import (
    ROOT,
    _columns,
    describe,
    load,
    machine_note,
    purge,
    setup_django,
    stop,
    verdict,
    web_server,
)

os.environ["API_KEY_RATE"] = "1000000/min"
# One address posts to one channel far faster than a far end would: no webhook rate here.
os.environ["WEBHOOK_RATE_PER_CHANNEL"] = os.environ["WEBHOOK_RATE_PER_IP"] = "0"
setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from contacts import services as contact_services  # noqa: E402
from contacts.models import Contact  # noqa: E402
from crm.accounts import services as account_services  # noqa: E402
from crm.accounts.models import Membership, Role, User  # noqa: E402
from crm.accounts.services import tenant_create  # noqa: E402
from crm.celery import app  # noqa: E402
from crm.tenancy.context import tenant_scope  # noqa: E402
from integrations import receiver, services  # noqa: E402
from integrations.channels.telegram import SECRET_HEADER  # noqa: E402
from integrations.models import Channel, Conversation, Message, RawDelivery  # noqa: E402

RATE, SECONDS, THREADS = 200, 15, 24
GOAL_RECEIVE_P95_MS = 50.0
VISIBLE_SAMPLES, GOAL_VISIBLE_P95_MS = 60, 1000.0
UPDATES, COPIES = 10_000, 3
LIST_ROWS, LIST_ROUNDS, GOAL_LIST_P95_MS = 100_000, 60, 100.0


def workspace(label: str) -> Membership:
    owner = User.objects.create_user(
        email=f"bench-inbox-{label}-{uuid.uuid4().hex[:8]}@example.com",
        password=uuid.uuid4().hex,
        first_name="Bench",
        last_name="Owner",
    )
    tenant = tenant_create(owner=owner, name=f"Bench inbox {label} {uuid.uuid4().hex[:6]}")
    with tenant_scope(tenant):
        return Membership.objects.select_related("role", "tenant", "user").get(user=owner)


def telegram_channel(owner: Membership):
    """A Telegram channel left unconnected (no Bot API here): its webhook works all the same."""
    with tenant_scope(owner.tenant_id, owner.user):
        channel = services.channel_create(
            actor=owner, kind="telegram", name="Bench bot",
            raw_settings={"bot_token": "123456:bench-token"}, connect=False,
        )  # fmt: skip
        return channel, channel.secrets["secret_token"]


def webhook_path(channel) -> str:
    return reverse("telegram_webhook", args=[channel.webhook_token])


def update(update_id: int, chat_id: int, text: str) -> bytes:
    sender = {"id": chat_id, "is_bot": False, "first_name": f"Client {chat_id}"}
    return json.dumps({
        "update_id": update_id,
        "message": {"message_id": update_id, "from": sender, "date": int(time.time()),
                    "text": text, "chat": {"id": chat_id, "type": "private"}},
    }).encode()  # fmt: skip


class Poster:
    """Keep-alive connections, one per thread, posting to one webhook URL."""

    def __init__(self, port: int, path: str, secret: str):
        self.port, self.path = port, path
        self.headers = {"Content-Type": "application/json", SECRET_HEADER: secret}
        self.local = threading.local()

    def post(self, body: bytes) -> int:
        for attempt in range(2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                    timeout=30)  # fmt: skip
            try:
                conn.request("POST", self.path, body=body, headers=self.headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None  # the server closed an idle keep-alive: reconnect
                if attempt:
                    raise
        return 0


def open_loop(poster: Poster, bodies: list[bytes], rate: float) -> tuple[list[float], int]:
    """Post `bodies` at `rate` per second from THREADS threads; each request's latency is
    counted from the moment it was due. (latencies in ms, non-200 answers)."""
    slots = itertools.count()
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def work():
        while True:
            i = next(slots)
            if i >= len(bodies):
                return
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            status = poster.post(bodies[i])
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    bad[0] += 1

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, bad[0]


def start_worker(concurrency: int = 1) -> subprocess.Popen:
    """A Celery worker on the ingest queue, as `make run` starts one."""
    celery = Path(sys.executable).parent / "celery"
    name = f"bench-ingest-{os.getpid()}-{concurrency}@%h"
    command = [str(celery), "-A", "crm", "worker", "-Q", "ingest", "-n", name,
               "--concurrency", str(concurrency), "-l", "warning"]  # fmt: skip
    return subprocess.Popen(command, env=dict(os.environ), cwd=ROOT, start_new_session=True)


def wait_ready(worker: subprocess.Popen) -> None:
    """Until the worker answers a ping (a busy machine takes a while to start one)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and worker.poll() is None:
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the ingest worker did not start within 180 s")


def server_cpu_seconds(port: int) -> float:
    """CPU time used so far by the gunicorn serving `port` (master and workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if f"127.0.0.1:{port}".encode() not in cmdline or b"gunicorn" not in cmdline:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def pending(channel) -> int:
    with tenant_scope(channel.tenant_id):
        return RawDelivery.objects.filter(channel=channel, status=RawDelivery.RECEIVED).count()


# --- 1. webhook receive -------------------------------------------------------------------


def receive_figure(port: int) -> None:
    print(f"\n1. webhook receive, open loop at {RATE}/s for {SECONDS} s ({THREADS} threads)")
    owner = workspace("receive")
    channel, secret = telegram_channel(owner)
    poster = Poster(port, webhook_path(channel), secret)
    warm = [update(900_000 + i, 1, "warm") for i in range(50)]
    open_loop(poster, warm, 50)
    bodies = [update(i + 1, i % 300, f"Hello {i}") for i in range(RATE * SECONDS)]
    cpu, wall = server_cpu_seconds(port), time.perf_counter()
    latencies, bad = open_loop(poster, bodies, RATE)
    cpu, wall = server_cpu_seconds(port) - cpu, time.perf_counter() - wall
    print(f"  the server used {cpu * 1000 / len(bodies):.1f} ms of CPU per webhook "
          f"({len(bodies) / wall:.0f} served/s over {wall:.1f} s)")  # fmt: skip
    s = describe(f"POST webhook x{len(latencies)}", latencies)
    if bad:
        print(f"  {bad} answers were not 200")
    verdict("webhook_receive_p95", s["p95"], "ms", f"<= {GOAL_RECEIVE_P95_MS:.0f} ms at {RATE}/s",
            s["p95"] <= GOAL_RECEIVE_P95_MS and not bad)  # fmt: skip
    purge("ingest", "events")  # the ingestion tasks queued: nobody ingests them here


# --- 2. webhook -> visible in the API -----------------------------------------------------


def visible_figure(port: int, owner, channel, secret, path) -> None:
    print(f"\n2. webhook -> message visible in the API ({VISIBLE_SAMPLES} samples, worker on)")
    with tenant_scope(owner.tenant_id):
        _, raw_key = account_services.api_key_create(actor=owner, name="bench")
    poster = Poster(port, path, secret)
    api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"Authorization": f"Bearer {raw_key}"}
    url = f"/api/v1/conversations/?channel={channel.pk}&page_size=5"

    def first_ids() -> list[int]:
        api.request("GET", url, headers=auth)
        response = api.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {url} answered {response.status}: {body[:200]!r}")
        return [row["id"] for row in json.loads(body)["results"]]

    samples = []
    seen = set(first_ids())
    for i in range(VISIBLE_SAMPLES + 3):  # the first three warm the worker up
        started = time.perf_counter()
        assert poster.post(update(500_000 + i, 800_000 + i, f"Visible {i}")) == 200
        while True:
            ids = first_ids()
            if set(ids) - seen:
                seen.update(ids)
                break
            if time.perf_counter() - started > 120:
                raise SystemExit("a message did not become visible within 120 s")
            time.sleep(0.02)
        if i >= 3:
            samples.append((time.perf_counter() - started) * 1000)
    api.close()
    s = describe("webhook -> listed by the API", samples)
    verdict("webhook_to_api_p95", s["p95"], "ms", f"<= {GOAL_VISIBLE_P95_MS:.0f} ms",
            s["p95"] <= GOAL_VISIBLE_P95_MS)  # fmt: skip


# --- 3. idempotency under concurrent re-delivery ------------------------------------------


def _deliver(tenant_id: int, channel_id: int, payloads: list, barrier) -> None:
    """One delivering process: each payload through receiver.receive, in order."""
    app.conf.task_always_eager = False  # queued for the worker, as the webhook does
    with tenant_scope(tenant_id):
        channel = Channel.objects.get(pk=channel_id)
        barrier.wait()
        for payload in payloads:
            receiver.receive(channel, payload)
    connection.close()


def idempotency_figure(channel) -> None:
    print(f"\n3. {UPDATES:,} updates x {COPIES} concurrent deliveries, ingested by the worker")
    # The deliveries run the webhook's body after its secret check (receiver.receive) in
    # COPIES x 2 processes: each copy of update i is delivered by a different process at
    # the same moment (every process goes through its half in the same order). Over HTTP
    # this machine serves ~40 webhooks/s when busy (figure 1), 30,000 would take minutes
    # and measure the same unique constraint.
    bodies = [json.loads(update(1_000_000 + i, 10_000 + i % 500, f"Update {i}"))
              for i in range(UPDATES)]  # fmt: skip
    halves = [bodies[: UPDATES // 2], bodies[UPDATES // 2 :]]
    # Spawned, not forked: this process has used the broker (and threads), whose sockets
    # and locks a forked child would inherit half-held.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(COPIES * len(halves) + 1)
    procs = [
        context.Process(target=_deliver, args=(channel.tenant_id, channel.pk, half, barrier))
        for half in halves
        for _ in range(COPIES)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    started = time.perf_counter()
    for proc in procs:
        proc.join()
    seconds = time.perf_counter() - started
    bad = [p.exitcode for p in procs if p.exitcode]
    print(f"  delivered {UPDATES * COPIES:,} in {seconds:.1f} s "
          f"({UPDATES * COPIES / seconds:.0f}/s) from {len(procs)} processes")  # fmt: skip
    started = time.perf_counter()
    while (left := pending(channel)) and time.perf_counter() - started < 1800:
        time.sleep(2)
    took = time.perf_counter() - started
    with tenant_scope(channel.tenant_id):
        ours = Message.objects.filter(channel=channel, text__startswith="Update ").count()
        deliveries = RawDelivery.objects.filter(channel=channel).count()
        failed = RawDelivery.objects.filter(channel=channel, status=RawDelivery.FAILED).count()
    print(f"  the worker finished {took:.1f} s after the last delivery "
          f"({UPDATES / max(took, 0.001):.0f} ingested/s; {left} still queued): "
          f"{deliveries:,} deliveries stored, {failed} failed, {ours:,} messages")  # fmt: skip
    verdict("idempotent_messages", ours, "messages", f"exactly {UPDATES:,}",
            ours == UPDATES and deliveries == UPDATES and not bad and not left)  # fmt: skip


# --- 4. the inbox list over 100,000 conversations -----------------------------------------


def seed_conversations(owner, channel, managers, rows: int) -> None:
    """`rows` conversations by one INSERT ... SELECT inside the workspace's scope (the row
    policy checks them): a quarter unassigned, the rest spread over the managers and the
    owner; one in three about a client (the client's owner rotates too)."""
    with tenant_scope(owner.tenant_id, owner.user):
        clients = [
            contact_services.record_create(
                actor=m, model=Contact,
                data={"first_name": f"Client {i}", "last_name": m.user.first_name},
            ).pk
            for i in range(40) for m in [owner, *managers]
        ]  # fmt: skip
        people = [owner.user_id, *(m.user_id for m in managers)]
        given = {
            "tenant_id": "%(tenant)s",
            "channel_id": "%(channel)s",
            "external_chat_id": "'bench-' || g",
            "title": "'Sender ' || g",
            "assignee_id": "CASE WHEN g %% 4 = 0 THEN NULL "
            "ELSE (%(people)s::bigint[])[1 + g %% array_length(%(people)s::bigint[], 1)] END",
            "contact_id": "CASE WHEN g %% 3 = 0 "
            "THEN (%(clients)s::bigint[])[1 + g %% array_length(%(clients)s::bigint[], 1)] END",
            "status": "(ARRAY['open', 'open', 'snoozed', 'closed'])[1 + g %% 4]",
            "unread": "g %% 3",
            "last_message_at": "now() - make_interval(secs => g * 37)",
            "created_at": "now() - make_interval(secs => g * 37 + 60)",
        }
        columns, values, params = _columns(Conversation, given, "cv")
        sql = (f"INSERT INTO {Conversation._meta.db_table} ({columns}) "
               f"SELECT {values} FROM generate_series(1, %(rows)s) AS g")  # fmt: skip
        params.update(tenant=owner.tenant_id, channel=channel.pk, people=people,
                      clients=clients, rows=rows)  # fmt: skip
        with connection.cursor() as cur:
            cur.execute(sql, params)
            # Fresh statistics, as autovacuum keeps them: the clients were made just now.
            cur.execute(f"ANALYZE {Conversation._meta.db_table}, {Contact._meta.db_table}")


def manager(owner, n: int) -> Membership:
    user = User.objects.create_user(email=f"bench-mgr-{uuid.uuid4().hex[:8]}@example.com",
                                    password=None, first_name=f"Manager{n}")  # fmt: skip
    with tenant_scope(owner.tenant_id):
        m = Membership.objects.create(user=user, role=Role.objects.get(key="manager"))
        return Membership.objects.select_related("role", "user", "tenant").get(pk=m.pk)


def list_workspace(rows: int):
    owner = workspace(f"list{rows}")
    channel, _secret = telegram_channel(owner)
    managers = [manager(owner, n) for n in range(3)]
    seed_conversations(owner, channel, managers, rows)
    return owner, managers[0]


def measure(member, path: str, auth: dict, rounds: int) -> tuple[list[float], int]:
    client = Client()
    if not auth:
        client.force_login(member.user)
        session = client.session
        session["tenant_id"] = member.tenant_id
        session.save()
    samples, queries = [], 0
    for i in range(rounds + 5):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get(path, **auth)
            elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        queries = len(captured.captured_queries)
        if i >= 5:
            samples.append(elapsed)
    return samples, queries


def list_figure() -> None:
    print(f"\n4. the inbox list with {LIST_ROWS:,} conversations in the workspace")
    t0 = time.perf_counter()
    big_owner, big_manager = list_workspace(LIST_ROWS)
    small_owner, small_manager = list_workspace(50)
    print(f"  seeded in {time.perf_counter() - t0:.1f} s")
    keys = {}
    for m in (big_owner, big_manager, small_owner, small_manager):
        with tenant_scope(m.tenant_id):
            keys[m.pk] = {"HTTP_AUTHORIZATION": "Bearer "
                          + account_services.api_key_create(actor=m, name="bench")[1]}  # fmt: skip
    worst, constant = {"API first page": 0.0, "/inbox/ page": 0.0}, True
    for who, big, small in (("admin", big_owner, small_owner),
                            ("manager (own)", big_manager, small_manager)):  # fmt: skip
        for label, path, auth in (("API first page", "/api/v1/conversations/", True),
                                  ("/inbox/ page", "/inbox/", False)):  # fmt: skip
            samples, queries = measure(big, path, keys[big.pk] if auth else {}, LIST_ROUNDS)
            _few, small_queries = measure(small, path, keys[small.pk] if auth else {}, 3)
            s = describe(f"{label}, {who}: {queries} queries ({small_queries} with 50)", samples)
            worst[label] = max(worst[label], s["p95"])
            constant &= queries == small_queries
    for name, label in (("inbox_list_api_p95", "API first page"),
                        ("inbox_page_p95", "/inbox/ page")):  # fmt: skip
        verdict(name, worst[label], "ms", f"<= {GOAL_LIST_P95_MS:.0f} ms (admin and manager)",
                worst[label] <= GOAL_LIST_P95_MS)  # fmt: skip
    same = "the same number of queries with 100,000 conversations as with 50"
    verdict("inbox_list_queries_constant", int(constant), "(1 = yes)", same, constant)


# --- 5. IMAP initial sync (the email channel's bench) -------------------------------------


def imap_figure() -> None:
    # >>> The IMAP figure lives with the email channel, in bench/bench_inbox_email.py (a
    # script of its own, which `make bench ARGS="bench_inbox"` runs right after this one,
    # as it matches the name too). Nothing is measured here; say where it is.
    script = ROOT / "bench" / "bench_inbox_email.py"
    if script.exists():
        print("\n5. IMAP initial sync: measured by bench/bench_inbox_email.py (runs next)")
    else:
        print("\n5. IMAP initial sync: skipped (bench/bench_inbox_email.py is not here yet)")


def main() -> int:
    # BENCH_INBOX_ONLY="3,4" runs only those figures (a rerun after a fix).
    only = set(os.environ.get("BENCH_INBOX_ONLY", "1,2,3,4,5").split(","))
    machine_note()
    print(f"  {load()}")
    if only & {"1", "2"}:
        with web_server("/livez", {}) as conn:
            if conn is None:
                print("  gunicorn did not answer within 30 s: figures 1-2 skipped")
            else:
                if "1" in only:
                    receive_figure(conn.port)
                if "2" in only:
                    owner = workspace("ingest")
                    channel, secret = telegram_channel(owner)
                    purge("ingest", "events")
                    worker = start_worker()
                    try:
                        wait_ready(worker)
                        visible_figure(conn.port, owner, channel, secret, webhook_path(channel))
                    finally:
                        stop(worker)
                        purge("ingest", "events")
    if "3" in only:
        # On a fresh channel, with two worker processes (more races than one).
        owner = workspace("idempotency")
        channel, _secret = telegram_channel(owner)
        purge("ingest", "events")
        worker = start_worker(concurrency=2)
        try:
            wait_ready(worker)
            idempotency_figure(channel)
        finally:
            stop(worker)
            purge("ingest", "events")
    if "4" in only:
        list_figure()
    if "5" in only:
        imap_figure()
    return 0


if __name__ == "__main__":
    random.seed(1)
    sys.exit(main())
