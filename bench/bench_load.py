"""The whole system under a mixed load: `make run` as it is, driven by locust, across 100
workspaces, each with its own people logging in.

    make bench ARGS=load                              (the full run: steps up to 200 users)
    .venv/bin/python -m crm.launch bench load        (the same)
    BENCH_LOAD_ARGS="--quick" make bench ARGS=load    (about 60 s of load)
    .venv/bin/python bench/bench_load.py --max-users 300 --duration 90   (inside `make bench`'s
                                                      environment: DATABASE_URL, REDIS_URL)

The data set (seeded once, kept under var/bench/ and topped up on the next run): 100
workspaces `load-000` .. `load-099`, each with an admin, a head of department, three sales
managers and an accountant (password LOAD_PASSWORD), 300 contacts, 120 deals on the default
funnel, a PBX channel with 40 conversations of 4 messages, 2 issued invoices, a shared
report and the dashboard's rollups. Contacts, deals, conversations and messages are written
set-based (one INSERT ... SELECT per table and workspace); the rest through the services.

The system is started as `make run` starts it (`python -m crm.launch run`: gunicorn with
WEB_CONCURRENCY workers x 4 threads, a Celery worker per queue and beat) against the bench's
PostgreSQL and Redis, and stopped at the end. Locust runs in this process (as a library, no
web UI), with these users, each bound to one workspace (round robin over the 100):

- managers (weight 10): the board, a deal card, the contact search (the top bar's and the
  API's), the inbox list (the page and the API), a thread, and an internal note posted in it
  (a reply through a channel would leave the machine; the note takes the same path through
  the thread's form, its services and the event spine);
- heads (2): the sales dashboard, a saved report run, the deals API list;
- accountants (2): the invoice list (page and API) and an invoice's PDF;
- one importer: uploads a CSV of 300 new contacts through the API, starts it and polls its
  progress until the `heavy` worker has finished it;
- incoming webhooks (3): a PBX channel's call events, signed with the channel's secret.

The user count steps up (10, 20, 40, ... up to --max-users, or 5, 15, 30 in --quick), each
step held for --duration seconds. Per step it prints requests/s, p95 of the pages and of the
API lists, the error rate, and the CPU (% of one core) of the web processes, the Celery
processes, PostgreSQL, Redis and this load generator (which shares the machine). At the end:
the highest sustained requests/s at which page p95 <= 300 ms, API-list p95 <= 100 ms and no
errors held, and what saturated first.
"""

from __future__ import annotations

# Locust patches the standard library for gevent on import: first, before Django, psycopg2
# and redis are imported, so that their sockets are cooperative too.
import locust  # noqa: F401  isort: skip

import argparse
import contextlib
import csv
import hashlib
import hmac
import io
import itertools
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import psutil
from _common import ROOT, _columns, admin_connection, machine_note, pct, setup_django
from locust import HttpUser, between, events, task
from locust.env import Environment

TENANTS = 100
SLUG = "load-{:03d}"
LOAD_PASSWORD = "load-Bench-pass-42"  # noqa: S105  (the bench's own throwaway accounts)
CONTACTS, DEALS, CONVERSATIONS, MESSAGES, INVOICES = 300, 120, 40, 4, 2
IMPORT_ROWS = 300
GOAL_PAGE_MS, GOAL_API_MS = 300.0, 100.0
REPORT_NAME = "Load: won deals by owner"
REPORT_SPEC = {
    "columns": [],
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "group_by": ["owner"],
    "summaries": [{"field": "amount", "agg": "sum"}, {"field": "", "agg": "count"}],
}
ROLES = [("owner", "admin"), ("head", "head"), ("m1", "manager"), ("m2", "manager"),
         ("m3", "manager"), ("acct", "accountant")]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about 60 s: 5, 15, 30 users")
    parser.add_argument("--max-users", type=int, default=200, help="the last step's users")
    parser.add_argument("--duration", type=float, help="seconds per step (60; 15 in --quick)")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds at the start of a step left out of its figures")  # fmt: skip
    # `make bench ARGS=load` passes no arguments to the script: they come from here.
    args = parser.parse_args(sys.argv[1:] or shlex.split(os.environ.get("BENCH_LOAD_ARGS", "")))
    if args.duration is None:
        args.duration = 15.0 if args.quick else 60.0  # --quick: 3 steps x 20 s of load
    return args


def steps_for(args) -> list[int]:
    if args.quick:
        return [5, 15, 30]
    out, users = [], 10
    while users < args.max_users:
        out.append(users)
        users *= 2
    return [*out, args.max_users]


# --- the data set --------------------------------------------------------------------------


@dataclass
class Space:
    """One workspace, as the load needs it."""

    slug: str
    tenant_id: int
    emails: dict[str, str]  # role label -> email
    deals: dict[str, list[int]] = field(default_factory=dict)  # manager -> open deals
    conversations: dict[str, list[int]] = field(default_factory=dict)  # manager -> its own
    invoices: list[int] = field(default_factory=list)
    report: int = 0
    webhook_path: str = ""
    webhook_secret: str = ""


def seed() -> list[Space]:
    """The 100 workspaces, made or topped up; then their ids for the load."""
    from django.contrib.auth.hashers import make_password

    from crm.accounts.models import User

    started = time.perf_counter()
    made = 0
    spaces = []
    for i in range(TENANTS):
        space, fresh = _workspace(i)
        made += fresh
        spaces.append(space)
    # One hash for every bench login: hashing 600 passwords one by one would take minutes.
    hashed = make_password(LOAD_PASSWORD)
    User.objects.filter(email__startswith="load-", email__endswith="@bench.invalid").exclude(
        password=hashed
    ).update(password=hashed)
    if made:
        admin = admin_connection()
        if admin is not None:
            with admin.cursor() as cur:
                cur.execute("VACUUM (ANALYZE) contacts_contact, deals_deal, "
                            "integrations_conversation, integrations_message")  # fmt: skip
            admin.close()
    took = time.perf_counter() - started
    state = f"seeded {made}" if made else "reused all"
    print(f"  data: {TENANTS} workspaces ({state}; {took:.1f} s)", flush=True)
    return spaces


def _workspace(i: int) -> tuple[Space, bool]:
    from crm.accounts import services as account_services
    from crm.accounts.models import Membership, Role, User
    from crm.tenancy.context import tenant_scope
    from crm.tenancy.models import Tenant
    from reports.models import Report

    slug = SLUG.format(i)
    emails = {label: f"{slug}-{label}@bench.invalid" for label, _ in ROLES}
    users = {}
    for label, _ in ROLES:
        users[label] = User.objects.filter(email=emails[label]).first() or (
            User.objects.create_user(email=emails[label], password=None,
                                     first_name=label.capitalize(), last_name=slug)
        )  # fmt: skip
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = account_services.tenant_create(
            owner=users["owner"], name=f"Load {i:03d}", slug=slug
        )
    fresh = False
    with tenant_scope(tenant.pk):
        for label, role in ROLES[1:]:
            if not Membership.objects.filter(user=users[label]).exists():
                Membership.objects.create(user=users[label], role=Role.objects.get(key=role))
        members = {
            label: Membership.objects.select_related("role", "user", "tenant").get(
                user=users[label]
            )
            for label, _ in ROLES
        }
    with tenant_scope(tenant.pk, users["owner"].pk):
        if not Report.objects.filter(name=REPORT_NAME).exists():
            fresh = True
            sellers = [users[k].pk for k in ("owner", "m1", "m2", "m3")]
            _contacts(tenant.pk, sellers)
            _deals(tenant.pk, sellers)
            _inbox(members["owner"], [users[k].pk for k in ("m1", "m2", "m3")])
            _invoices(members["owner"])
            _rollups(tenant.pk)
            Report.objects.create(name=REPORT_NAME, report_type="deals", spec=REPORT_SPEC,
                                  owner=users["head"], is_shared=True)  # fmt: skip
        space = _space(slug, tenant.pk, emails, users)
    return space, fresh


def _insert(model, given: dict, params: dict, rows: int) -> None:
    """`rows` rows of `model` by one INSERT ... SELECT over generate_series (g), inside the
    workspace's scope (the row policy checks them)."""
    from django.db import connection

    columns, values, defaults = _columns(model, given, model._meta.model_name)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) "
            f"SELECT {values} FROM generate_series(1, %(rows)s) AS g",
            {**defaults, **params, "rows": rows},
        )


def _contacts(tenant_id: int, sellers: list[int]) -> None:
    from contacts.models import Contact

    first = "(ARRAY['Anna', 'Boris', 'Chen', 'Divya', 'Erdene', 'Farid', 'Galina', 'Hugo'])"
    last = "(ARRAY['Ivanova', 'Sharma', 'Bold', 'Kumar', 'Petrov', 'Smith', 'Lee', 'Rao'])"
    _insert(Contact, {
        "tenant_id": "%(tenant)s",
        "owner_id": "(%(sellers)s::bigint[])[1 + g %% 4]",
        "first_name": f"{first}[1 + g %% 8]",
        "last_name": f"{last}[1 + (g / 8) %% 8] || ' ' || g",
        "emails": "ARRAY['client' || g || '@load.example']::varchar[]",
        "phones": "ARRAY['+1555' || lpad(g::text, 7, '0')]::varchar[]",
        "tags": "'{}'::varchar[]",
        # As contacts.services.search_text builds it: lower-cased names, emails, phone digits.
        "search": f"lower({first}[1 + g %% 8] || ' ' || {last}[1 + (g / 8) %% 8] || ' ' || g "
        "|| ' client' || g || '@load.example 1555' || lpad(g::text, 7, '0'))",
        "created_at": "now() - make_interval(days => g %% 200)",
        "updated_at": "now() - make_interval(days => g %% 30)",
    }, {"tenant": tenant_id, "sellers": sellers}, CONTACTS)  # fmt: skip


def _deals(tenant_id: int, sellers: list[int]) -> None:
    from deals.models import Deal
    from pipelines.models import Pipeline, Stage

    pipeline = Pipeline.objects.order_by("position", "id").first()
    stages = list(pipeline.stages.order_by("position", "id").values_list("id", "kind"))
    opens = [s for s, kind in stages if kind == Stage.OPEN]
    won = next(s for s, kind in stages if kind == Stage.WON)
    lost = next(s for s, kind in stages if kind == Stage.LOST)
    _insert(Deal, {
        "tenant_id": "%(tenant)s",
        "title": "(ARRAY['Forklifts', 'Racking', 'Scanners', 'Service plan'])[1 + g %% 4] "
        "|| ' #' || g",
        "amount": "(500 + (g * 7919) %% 95000)::numeric(14, 2)",
        "currency": "'USD'",
        "pipeline_id": "%(pipeline)s",
        "stage_id": "CASE WHEN g %% 5 = 0 THEN %(won)s WHEN g %% 7 = 0 THEN %(lost)s "
        "ELSE (%(opens)s::bigint[])[1 + g %% %(nopen)s] END",
        "position": "g::float",
        "status": "CASE WHEN g %% 5 = 0 THEN 'won' WHEN g %% 7 = 0 THEN 'lost' ELSE 'open' END",
        "owner_id": "(%(sellers)s::bigint[])[1 + g %% 4]",
        "tags": "'{}'::varchar[]",
        "created_at": "now() - make_interval(days => g %% 120)",
        "updated_at": "now() - make_interval(days => g %% 30)",
        "stage_entered_at": "now() - make_interval(days => g %% 40)",
        "closed_at": "CASE WHEN g %% 5 = 0 OR g %% 7 = 0 "
        "THEN now() - make_interval(days => g %% 60) END",
    }, {"tenant": tenant_id, "pipeline": pipeline.pk, "opens": opens, "nopen": len(opens),
        "won": won, "lost": lost, "sellers": sellers}, DEALS)  # fmt: skip


def _inbox(owner, managers: list[int]) -> None:
    from django.db import connection

    from integrations import services as inbox
    from integrations.models import Channel, Conversation, Message

    secret = f"load-pbx-secret-{uuid.uuid4().hex}"
    channel = inbox.channel_create(
        actor=owner, kind="pbx", name="Office PBX", raw_settings={"signing_secret": secret},
        connect=False,
    )  # fmt: skip
    Channel.objects.filter(pk=channel.pk).update(status=Channel.ACTIVE)
    _insert(Conversation, {
        "tenant_id": "%(tenant)s",
        "channel_id": "%(channel)s",
        "external_chat_id": "'load-' || g",
        "title": "'Caller ' || g",
        "assignee_id": "CASE WHEN g %% 4 = 0 THEN NULL "
        "ELSE (%(people)s::bigint[])[1 + g %% 3] END",
        "status": "(ARRAY['open', 'open', 'snoozed', 'closed'])[1 + g %% 4]",
        "unread": "g %% 3",
        "last_message_at": "now() - make_interval(mins => g * 37)",
        "created_at": "now() - make_interval(mins => g * 37 + 60)",
    }, {"tenant": owner.tenant_id, "channel": channel.pk, "people": managers},
        CONVERSATIONS)  # fmt: skip
    columns, values, defaults = _columns(Message, {
        "tenant_id": "c.tenant_id",
        "conversation_id": "c.id",
        "channel_id": "c.channel_id",
        "direction": "CASE WHEN g %% 2 = 1 THEN 'in' ELSE 'out' END",
        "text": "'Hello, about the order ' || c.id || ', message ' || g",
        "status": "CASE WHEN g %% 2 = 0 THEN 'delivered' ELSE '' END",
        "external_id": "'load-' || c.id || '-' || g",
        "created_at": "c.last_message_at - make_interval(mins => %(n)s - g)",
    }, "msg")  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Message._meta.db_table} ({columns}) SELECT {values} "
            f"FROM {Conversation._meta.db_table} c CROSS JOIN generate_series(1, %(n)s) AS g "
            "WHERE c.channel_id = %(channel)s",
            {**defaults, "n": MESSAGES, "channel": channel.pk},
        )


def _invoices(owner) -> None:
    from decimal import Decimal

    from deals import services as deal_services
    from invoices import services as invoice_services

    for n in range(INVOICES):
        deal = deal_services.deal_create(actor=owner, data={"title": f"Invoiced order {n + 1}"})
        deal_services.line_item_add(
            actor=owner, deal=deal, name="Forklift service", quantity=Decimal(2),
            price=Decimal("450.00"), discount=Decimal(0), tax_rate=Decimal(20),
        )  # fmt: skip
        draft = invoice_services.invoice_create_from_deal(actor=owner, deal=deal)
        invoice_services.invoice_issue(actor=owner, invoice=draft.pk)


def _rollups(tenant_id: int) -> None:
    from django.core.management import call_command

    call_command("rebuild_rollups", "--tenant", str(tenant_id), stdout=io.StringIO())


def _space(slug, tenant_id, emails, users) -> Space:
    from integrations.models import Channel, Conversation
    from integrations.services import webhook_url
    from invoices.models import Invoice
    from reports.models import Report

    channel = Channel.objects.get(kind="pbx", name="Office PBX")
    conversations = {}
    for label in ("m1", "m2", "m3"):
        conversations[label] = list(
            Conversation.objects.filter(assignee=users[label]).values_list("id", flat=True)
        )
    return Space(
        slug=slug,
        tenant_id=tenant_id,
        emails=emails,
        deals=_deal_ids(users),
        conversations=conversations,
        invoices=list(Invoice.objects.exclude(number="").values_list("id", flat=True)[:10]),
        report=Report.objects.get(name=REPORT_NAME).pk,
        webhook_path="/" + webhook_url(channel).split("://", 1)[-1].split("/", 1)[1],
        webhook_secret=channel.secrets["signing_secret"],
    )


def _deal_ids(users) -> dict:
    from deals.models import Deal

    return {
        label: list(Deal.objects.filter(owner=users[label], status="open")
                    .values_list("id", flat=True)[:30])
        for label in ("m1", "m2", "m3")
    }  # fmt: skip


# --- the users -----------------------------------------------------------------------------

SPACES: list[Space] = []
READY: list[int] = []  # one entry per user that has started (logged in), for the warm-up
_turn = itertools.count()
PAGE, API, OTHER = "page", "api list", "other"
_GROUP: dict[str, str] = {}  # request name -> its group


def _named(group: str, name: str) -> str:
    _GROUP[name] = group
    return name


class Browser(HttpUser):
    """A person in one workspace: logs in with a password once, then works."""

    abstract = True
    wait_time = between(1, 3)
    role = "m1"

    def on_start(self):
        n = next(_turn)
        self.space = SPACES[n % len(SPACES)]
        self.label = self.role if self.role != "manager" else f"m{1 + (n // len(SPACES)) % 3}"
        self.client.get("/accounts/login/", name=_named(OTHER, "login form"))
        with self.client.post(
            "/accounts/login/",
            {"username": self.space.emails[self.label], "password": LOAD_PASSWORD,
             "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            name=_named(OTHER, "login"), catch_response=True,
        ) as response:  # fmt: skip
            if "sessionid" not in self.client.cookies:
                response.failure("the login did not open a session")
        READY.append(1)

    def page(self, path: str, name: str, **headers):
        return self.client.get(path, name=_named(PAGE, name), headers=headers or None)

    def api(self, path: str, name: str):
        return self.client.get(path, name=_named(API, name))

    def post(self, path: str, name: str, data=None, files=None, json_body=None, **headers):
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), **headers}
        return self.client.post(path, data=data, files=files, json=json_body, headers=headers,
                                name=_named(OTHER, name))  # fmt: skip


class Manager(Browser):
    weight = 10
    role = "manager"

    @task(3)
    def board(self):
        self.page("/deals/", "board")

    @task(3)
    def deal_card(self):
        own = self.space.deals.get(self.label) or [0]
        self.page(f"/deals/{random.choice(own)}/", "deal card")

    @task(2)
    def search(self):
        q = random.choice(["anna", "sharma", "client1", "petrov", "divya bold", "+1555000"])
        self.page(f"/search/?q={q}", "search (top bar)", **{"HX-Request": "true"})
        self.api(f"/api/v1/contacts/?search={q}", "/api/v1/contacts/?search=")

    @task(3)
    def inbox(self):
        self.page("/inbox/", "inbox")
        self.api("/api/v1/conversations/", "/api/v1/conversations/")

    @task(3)
    def thread(self):
        own = self.space.conversations.get(self.label)
        if own:
            self.page(f"/inbox/{random.choice(own)}/", "inbox thread")

    @task(1)
    def note(self):
        own = self.space.conversations.get(self.label)
        if own:
            self.post(f"/inbox/{random.choice(own)}/reply/", "inbox reply (note)",
                      data={"text": "Called back, sending the offer.", "direction": "note"},
                      **{"HX-Request": "true"})  # fmt: skip


class Head(Browser):
    weight = 2
    role = "head"

    @task(2)
    def dashboard(self):
        self.page("/dashboards/", "sales dashboard")

    @task(2)
    def report(self):
        self.page(f"/reports/{self.space.report}/", "report run")

    @task(1)
    def deals_api(self):
        self.api("/api/v1/deals/", "/api/v1/deals/")


class Accountant(Browser):
    weight = 2
    role = "acct"

    @task(3)
    def invoices(self):
        self.page("/invoices/", "invoice list")
        self.api("/api/v1/invoices/", "/api/v1/invoices/")

    @task(1)
    def pdf(self):
        if self.space.invoices:
            pk = random.choice(self.space.invoices)
            self.client.get(f"/invoices/{pk}/pdf/", name=_named(OTHER, "invoice PDF"))


class Importer(Browser):
    fixed_count = 1
    role = "owner"
    wait_time = between(2, 4)

    @task
    def import_contacts(self):
        body = io.StringIO()
        writer = csv.writer(body)
        writer.writerow(["First name", "Last name", "Email", "Phone"])
        run = uuid.uuid4().hex[:8]
        for n in range(IMPORT_ROWS):
            writer.writerow([f"Imported{n}", f"Lead {run}", f"lead{n}-{run}@import.example",
                             f"+1666{random.randrange(10**7):07d}"])  # fmt: skip
        files = {"file": (f"leads-{run}.csv", body.getvalue().encode(), "text/csv")}
        response = self.post("/api/v1/imports/", "import upload", files=files)
        if response.status_code != 201:
            return
        job = response.json()
        self.post(f"/api/v1/imports/{job['id']}/start/", "import start",
                  json_body={"mapping": job["mapping"], "duplicate_policy": "skip"})  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            gevent.sleep(1)
            found = self.client.get(f"/api/v1/imports/{job['id']}/",
                                    name=_named(OTHER, "import progress")).json()  # fmt: skip
            if found.get("status") in ("done", "failed", "cancelled"):
                IMPORTS.append((found.get("status"), time.monotonic() - deadline + 120))
                return


IMPORTS: list[tuple[str, float]] = []


class Webhook(HttpUser):
    """A PBX reporting its calls: started, answered, ended, each signed."""

    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.space = SPACES[next(_turn) % len(SPACES)]
        READY.append(1)

    @task
    def call(self):
        call_id = uuid.uuid4().hex
        for event in ("started", "answered", "ended"):
            body = json.dumps({
                "call_id": call_id, "event": event, "direction": "in",
                "from": f"+1555{random.randrange(CONTACTS):07d}", "to": "+15559870000",
                "duration": 65, "answered": True,
            }).encode()  # fmt: skip
            sign = hmac.new(self.space.webhook_secret.encode(), body, hashlib.sha256)
            self.client.post(
                self.space.webhook_path, data=body, name=_named(OTHER, "PBX webhook"),
                headers={"Content-Type": "application/json",
                         "X-Signature": "sha256=" + sign.hexdigest()},
            )  # fmt: skip


# --- the system, and its processes' CPU ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def system(port: int):
    """`python -m crm.launch run` on the bench's services; yields its process once /healthz
    answers 200 (database, Redis and a worker up). Its output goes to var/bench/load-run.log."""
    import urllib.request

    log_path = Path(os.environ.get("CRM_VAR_DIR", ROOT / "var" / "bench")) / "load-run.log"
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1"}
    env.pop("PYTHONWARNINGS", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "crm.launch", "run"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            started, deadline = time.monotonic(), time.monotonic() + 600
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise SystemExit(f"`crm.launch run` exited ({proc.returncode}); see {log_path}")
                with contextlib.suppress(OSError):
                    url = f"http://127.0.0.1:{port}/healthz"
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                time.sleep(1)
            else:
                raise SystemExit(f"the system did not come up in 600 s; see {log_path}")
            print(f"  system up (crm.launch run) in {time.monotonic() - started:.0f} s on "
                  f"port {port}; its log: {log_path.relative_to(ROOT)}", flush=True)  # fmt: skip
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)  # _supervise stops web, workers and beat
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


GROUPS = ["web", "workers", "postgres", "redis", "load generator"]


def processes(launcher: psutil.Process) -> dict[str, list[psutil.Process]]:
    """The processes of each part, found again at each step (a worker may be restarted)."""
    found = {name: [] for name in GROUPS}
    for child in launcher.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            line = " ".join(child.cmdline())
            if "gunicorn" in line:
                found["web"].append(child)
            elif "celery" in line:
                found["workers"].append(child)
    found["postgres"] = _postgres()
    found["redis"] = _redis()
    found["load generator"] = [psutil.Process()]
    return found


def _postgres() -> list[psutil.Process]:
    admin = admin_connection()
    if admin is None:
        return []  # an external server: not on this machine, or not ours to watch
    with admin.cursor() as cur:
        cur.execute("SHOW data_directory")
        data_dir = Path(cur.fetchone()[0])
    admin.close()
    with contextlib.suppress(OSError, ValueError, psutil.Error):
        main = psutil.Process(int((data_dir / "postmaster.pid").read_text().split()[0]))
        return [main, *main.children(recursive=True)]
    return []


def _redis() -> list[psutil.Process]:
    """The Redis server, by the process id it reports (if it runs on this machine)."""
    import redis
    from django.conf import settings

    with contextlib.suppress(redis.RedisError, psutil.Error, KeyError):
        pid = redis.Redis.from_url(settings.REDIS_URL).info("server")["process_id"]
        found = psutil.Process(pid)
        if "redis" in found.name():
            return [found]
    return []


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """CPU seconds used so far by each part: its live processes' own, plus what their
    children that have exited used (PostgreSQL starts a backend per connection, and the web
    processes close theirs after DB_CONN_MAX_AGE: a backend gone during a step still counts)."""
    out = dict.fromkeys(GROUPS, 0.0)
    for name, members in procs.items():
        for proc in members:
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                out[name] += t.user + t.system + t.children_user + t.children_system
    return out


def cpu_percent(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """% of one core per part over the interval."""
    return {name: max(0.0, after[name] - before[name]) / seconds * 100 for name in GROUPS}


def machine_busy() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]


# --- the run -------------------------------------------------------------------------------


@dataclass
class Step:
    users: int
    seconds: float
    samples: dict[str, list[float]]
    requests: int
    errors: int
    error_names: dict[str, int]  # 'request: why' -> count
    cpu: dict[str, float]
    machine: float
    by_name: dict[str, list[float]] = field(default_factory=dict)  # request -> ms

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def p95(self, group: str) -> float | None:
        found = self.samples.get(group)
        return pct(found, 95) if found else None

    @property
    def holds(self) -> bool:
        page, api = self.p95(PAGE), self.p95(API)
        return (not self.errors and page is not None and page <= GOAL_PAGE_MS
                and api is not None and api <= GOAL_API_MS)  # fmt: skip


def run_steps(env: Environment, launcher: psutil.Process, args) -> list[Step]:
    runner = env.create_local_runner()
    collected: list[tuple[float, str, float, str]] = []

    @events.request.add_listener
    def _on_request(name, response_time, exception, **_):
        why = "" if exception is None else str(exception)[:80] or type(exception).__name__
        collected.append((time.monotonic(), name, response_time, why))

    cores = os.cpu_count() or 1
    done = []
    for users in steps_for(args):
        runner.start(users, spawn_rate=max(5, users / 2))
        # The step is measured once every user has logged in (a password hash each: on a
        # busy machine the logins alone can take longer than a short step), then warmed up.
        ramp, deadline = time.monotonic(), time.monotonic() + 300
        while len(READY) < users and time.monotonic() < deadline:
            gevent.sleep(0.5)
        print(f"  {len(READY)} of {users} users logged in and working after "
              f"{time.monotonic() - ramp:.0f} s", flush=True)  # fmt: skip
        gevent.sleep(args.warmup)
        collected.clear()
        before, t0, m0 = cpu_seconds(processes(launcher)), time.monotonic(), machine_busy()
        gevent.sleep(args.duration)
        # Found again: processes started during the step (a new backend) count from 0.
        after = cpu_seconds(processes(launcher))
        seconds, m1 = time.monotonic() - t0, machine_busy()
        window = [c for c in collected if c[0] >= t0]
        samples: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        by_name: dict[str, list[float]] = {}
        for _at, name, ms, failed in window:
            samples.setdefault(_GROUP.get(name, OTHER), []).append(ms)
            by_name.setdefault(name, []).append(ms)
            if failed:
                errors[f"{name}: {failed}"] = errors.get(f"{name}: {failed}", 0) + 1
        total = m1[0] - m0[0]
        busy = 100 * (1 - (m1[1] - m0[1]) / total) if total else 0.0
        step = Step(users, seconds, samples, len(window), sum(errors.values()), errors,
                    cpu_percent(before, after, seconds), busy, by_name)  # fmt: skip
        report_step(step, cores)
        done.append(step)
    runner.quit()
    return done


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def report_step(step: Step, cores: int) -> None:
    rate = 100 * step.errors / step.requests if step.requests else 0.0
    print(f"\n  step: {step.users} users, {step.seconds:.0f} s: {step.rps:.1f} requests/s, "
          f"p95 pages {_ms(step.p95(PAGE))} (goal <= {GOAL_PAGE_MS:.0f}), "
          f"p95 API lists {_ms(step.p95(API))} (goal <= {GOAL_API_MS:.0f}), "
          f"p95 other {_ms(step.p95(OTHER))}, errors {step.errors}/{step.requests} "
          f"({rate:.2f}%)  {'HOLDS' if step.holds else 'DOES NOT HOLD'}", flush=True)  # fmt: skip
    cpu = ", ".join(f"{name} {value:.0f}%" for name, value in step.cpu.items())
    print(f"    CPU (% of one core): {cpu}; machine {step.machine:.0f}% of {cores} cores",
          flush=True)  # fmt: skip
    slowest = sorted(((pct(ms, 95), name, len(ms)) for name, ms in step.by_name.items()),
                     reverse=True)[:6]  # fmt: skip
    print("    slowest p95: " + ", ".join(f"{name} {p95:.0f} ms (n={n})"
                                          for p95, name, n in slowest), flush=True)  # fmt: skip
    if step.error_names:
        print(f"    errors by request: {step.error_names}", flush=True)


def verdict(steps: list[Step], cores: int) -> None:
    holding = [s for s in steps if s.holds]
    best = max(holding, key=lambda s: s.rps) if holding else None
    if best:
        print(f"\nFIGURE sustained load = {best.rps:.1f} requests/s at {best.users} users "
              f"(p95 pages <= {GOAL_PAGE_MS:.0f} ms, API lists <= {GOAL_API_MS:.0f} ms, "
              "0 errors)", flush=True)  # fmt: skip
    else:
        print("\nFIGURE sustained load = none of the steps held the goals", flush=True)
    total = sum(s.requests for s in steps)
    errors = sum(s.errors for s in steps)
    print(f"FIGURE error rate = {100 * errors / max(total, 1):.2f} % ({errors} of {total}; "
          "goal 0)", flush=True)  # fmt: skip
    first_bad = next((s for s in steps if not s.holds), steps[-1])
    # Each part's CPU against what it can use: gunicorn's and Celery's processes one core
    # each at most (and no more than the machine has), PostgreSQL the machine, Redis one core.
    capacity = {
        "web": 100 * min(cores, max(1, int(os.environ.get("WEB_CONCURRENCY", "2")))),
        "workers": 100 * min(cores, 5),
        "postgres": 100 * cores,
        "redis": 100.0,
    }
    shares = {name: first_bad.cpu[name] / capacity[name] for name in capacity}
    top = max(shares, key=shares.get)
    detail = ", ".join(
        f"{n} {100 * v:.0f}%" for n, v in sorted(shares.items(), key=lambda kv: -kv[1])
    )
    where = (
        f"the machine's CPU ({first_bad.machine:.0f}% of {cores} cores busy; the load "
        "generator shares it)"
        if first_bad.machine >= 90
        else top
    )
    print(f"FIGURE saturates first = {where} (at {first_bad.users} users; share of each "
          f"part's capacity: {detail})", flush=True)  # fmt: skip
    if IMPORTS:
        kinds = {s: sum(1 for k, _t in IMPORTS if k == s) for s, _t in IMPORTS}
        print(f"  imports finished during the run: {len(IMPORTS)} ({kinds}; the slowest in "
              f"{max(t for _s, t in IMPORTS):.0f} s)", flush=True)  # fmt: skip


def main() -> int:
    args = parse_args()
    setup_django()
    machine_note()
    SPACES.extend(seed())
    from django.db import connections

    connections.close_all()  # the system's processes have their own; this one is done
    port = free_port()
    with system(port) as proc:
        env = Environment(user_classes=[Manager, Head, Accountant, Importer, Webhook],
                          host=f"http://127.0.0.1:{port}", events=events)  # fmt: skip
        steps = run_steps(env, psutil.Process(proc.pid), args)
    verdict(steps, os.cpu_count() or 1)
    machine_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
