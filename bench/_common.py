"""Shared by the bench scripts: Django set-up, the bench data set, and how figures are printed.

The data set: 101 workspaces (slugs bench-000 .. bench-100, made through the real services),
each with ROWS_PER_TENANT audit entries and the events they come from. bench-000 is the
measured workspace; the other 100 are there so the tables are the size of a busy database.
Rows are interleaved across workspaces (as they would be written in production), so one
workspace's newest page is spread over many heap pages, not packed together.

Loading is idempotent: each run tops every workspace up to ROWS_PER_TENANT and skips the
work when nothing is missing (data under var/bench/ survives between runs).
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TENANTS = 101
ROWS_PER_TENANT = 10_000
SLUG = "bench-{:03d}"
CHUNK = 1_000  # rows per workspace per INSERT statement (x101 workspaces)


def setup_django(**env: str) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "crm.settings"
    os.environ.update(env)
    # WhiteNoise warns once per process when collectstatic has not run; not our subject here
    # (also silenced in the gunicorn the API bench starts, which inherits the environment).
    os.environ["PYTHONWARNINGS"] = "ignore:No directory at"
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    # Events emitted while the bench makes its workspaces and key are dispatched in-process,
    # so nothing is left queued in the bench Redis for a worker that never comes.
    import logging

    from crm.celery import app

    app.conf.task_always_eager = True
    logging.getLogger("celery").setLevel(logging.WARNING)


# --- figures -----------------------------------------------------------------------------


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p95": pct(samples, 95),
        "min": min(samples),
        "max": max(samples),
    }


def describe(label: str, samples_ms: list[float]) -> dict[str, float]:
    s = stats(samples_ms)
    print(
        f"  {label}: n={s['n']} median={s['median']:.2f} ms p95={s['p95']:.2f} ms "
        f"min={s['min']:.2f} ms max={s['max']:.2f} ms",
        flush=True,
    )
    return s


def machine_note() -> None:
    """Latency figures are only as quiet as the machine: say how busy it was just now (the
    share of CPU time other processes used during one second in which this one slept)."""
    cpus = os.cpu_count() or 1
    try:
        before = _cpu_times()
        time.sleep(1)
        after = _cpu_times()
    except OSError:
        print(f"  machine: {cpus} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
        return
    total = after[0] - before[0]
    busy = 100 * (1 - (after[1] - before[1]) / total) if total else 0.0
    print(f"  machine: {cpus} CPUs, {busy:.0f}% busy with other work (1 s sample)", flush=True)
    if busy > 25:
        print("  NOTE: the machine is busy; p95/max figures include that noise", flush=True)


def _cpu_times() -> tuple[int, int]:
    """(total, idle + iowait) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def verdict(name, value, unit, goal, ok) -> None:
    """A figure, with the load average beside it."""
    figure(name, value, unit, goal, ok)
    print(f"  ({load()})", flush=True)


def stop(proc) -> None:
    """Stop a process the bench started (a worker, beat), killing it if it lingers."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def purge(*queues: str) -> None:
    """Empty the named Celery queues (app.control.purge empties only the default one):
    tasks left by a figure, or by an earlier run, would keep the next figure's worker busy."""
    from crm.celery import app

    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)


def figure(name: str, value: float, unit: str, goal: str, ok: bool | None) -> None:
    """One summary line per figure: value, goal and verdict."""
    verdict = "INFO" if ok is None else ("PASS" if ok else "FAIL")
    shown = f"{value}" if isinstance(value, int) else f"{value:.2f}"
    print(f"FIGURE {name} = {shown} {unit}  (goal: {goal})  {verdict}", flush=True)


# --- the data set ------------------------------------------------------------------------

# Values for the columns the bench cares about, as SQL over `src` (tenant_id, owner_id, g,
# ts) and, for the audit entry, over the event row just inserted (`ev`). Every other column
# gets the model field's default (see _columns), so the loader follows schema changes.
_EVENT_VALUES = {
    "tenant_id": "tenant_id",
    "type": "(ARRAY['deal.stage_changed', 'deal.updated', 'contact.updated', "
    "'company.updated', 'member.updated'])[1 + g %% 5]",
    "actor_id": "owner_id",
    "subject_type": "(ARRAY['deal', 'deal', 'contact', 'company', 'member'])[1 + g %% 5]",
    "subject_id": "g",
    "subject_repr": "'Record #' || g",
    "related": "'[]'::jsonb",
    "data": "jsonb_build_object('changes', jsonb_build_object("
    "'stage', jsonb_build_array('Qualified', 'Proposal'), "
    "'amount', jsonb_build_array(g * 10, g * 10 + 250), "
    "'owner', jsonb_build_array('Alice Example', 'Bob Example')))",
    "created_at": "ts",
    "dispatched_at": "ts",
}
_AUDIT_VALUES = {
    "tenant_id": "tenant_id",
    "event_id": "id",
    "actor_id": "actor_id",
    "action": "type",
    "object_type": "subject_type",
    "object_id": "subject_id",
    "object_repr": "subject_repr",
    "changes": "data -> 'changes'",
    "created_at": "created_at",
}
_FILL_SQL = """
WITH t AS (
    SELECT * FROM unnest(%(tenants)s::bigint[], %(owners)s::bigint[], %(need)s::int[])
        AS x(tenant_id, owner_id, need)
), src AS (
    SELECT t.tenant_id, t.owner_id, g,
           %(base)s::timestamptz - make_interval(secs => (%(rows)s - g) * 60.0) AS ts
    FROM t CROSS JOIN generate_series(%(lo)s::int, %(hi)s::int) AS g
    WHERE g <= t.need
    ORDER BY g, t.tenant_id
), ev AS (
    INSERT INTO activity_event ({event_columns})
    SELECT {event_values} FROM src
    RETURNING *
)
INSERT INTO activity_auditentry ({audit_columns})
SELECT {audit_values} FROM ev ORDER BY id
"""


def _columns(model, given: dict[str, str], prefix: str) -> tuple[str, str, dict]:
    """Column list, value list and parameters for an INSERT ... SELECT into `model`."""
    import json

    from django.db.models.fields import NOT_PROVIDED

    columns, values, params = [], [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:
            continue
        if field.column in given:
            expr = given[field.column]
        elif getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue  # the database fills it in
        else:
            value = field.get_default()
            if value is None and not field.null:
                raise RuntimeError(
                    f"bench data: no value for {model.__name__}.{field.name}; "
                    "add one to _EVENT_VALUES/_AUDIT_VALUES in bench/_common.py"
                )
            name = f"{prefix}_{field.column}"
            if isinstance(value, dict | list):
                params[name], expr = json.dumps(value), f"%({name})s::jsonb"
            else:
                params[name], expr = value, f"%({name})s"
        columns.append(f'"{field.column}"')
        values.append(expr)
    return ", ".join(columns), ", ".join(values), params


def _fill_sql() -> tuple[str, dict]:
    from crm.activity.models import AuditEntry, Event

    ev_cols, ev_vals, ev_params = _columns(Event, _EVENT_VALUES, "ev")
    au_cols, au_vals, au_params = _columns(AuditEntry, _AUDIT_VALUES, "au")
    sql = _FILL_SQL.format(
        event_columns=ev_cols, event_values=ev_vals, audit_columns=au_cols, audit_values=au_vals
    )
    return sql, {**ev_params, **au_params}


_COUNT_SQL = (
    "SELECT tenant_id, count(*) FROM activity_auditentry "
    "WHERE tenant_id = ANY(%s::bigint[]) GROUP BY tenant_id"
)


def admin_connection():
    """The superuser on the bench database (embedded server only), or None."""
    url = os.environ.get("DATABASE_ADMIN_URL")
    if not url:
        return None
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _workspaces() -> list[tuple[int, int]]:
    """(tenant id, owner id) of every bench workspace, made through the services if missing."""
    from crm.accounts import services
    from crm.accounts.models import Membership, User
    from crm.tenancy.context import tenant_scope
    from crm.tenancy.models import Tenant

    existing = dict(Tenant.objects.filter(slug__startswith="bench-").values_list("slug", "id"))
    out = []
    for i in range(TENANTS):
        slug = SLUG.format(i)
        email = f"{slug}@bench.invalid"
        owner = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=None, first_name=f"Owner {i:03d}"
        )
        if slug not in existing:
            tenant = services.tenant_create(owner=owner, name=f"Bench {i:03d}", slug=slug)
            existing[slug] = tenant.pk
        with tenant_scope(existing[slug]):
            if not Membership.objects.filter(user=owner).exists():
                raise RuntimeError(f"{slug}: its owner {email} is not a member")
        out.append((existing[slug], owner.pk))
    return out


def _counts(cur, tenant_ids: list[int]) -> dict[int, int]:
    cur.execute(_COUNT_SQL, [tenant_ids])
    return dict(cur.fetchall())


def ensure_dataset(api_key: bool = False) -> dict:
    """Make sure the data set is complete; return the measured workspace and, if asked, a
    raw API key of its owner (kept in var/bench/ so a run reuses the previous run's key)."""
    from django.db import connection

    from crm.tenancy.context import tenant_scope

    started = time.perf_counter()
    workspaces = _workspaces()
    tenant_ids = [t for t, _ in workspaces]
    measured_id, measured_owner = workspaces[0]
    raw_key = _ensure_api_key(measured_id, measured_owner) if api_key else None

    admin = admin_connection()
    if admin is not None:
        with admin.cursor() as cur:
            have = _counts(cur, tenant_ids)
    else:
        have = {}
        for tid in tenant_ids:
            with tenant_scope(tid), connection.cursor() as cur:
                have.update(_counts(cur, [tid]))
    need = [max(0, ROWS_PER_TENANT - have.get(t, 0)) for t in tenant_ids]
    missing = sum(need)
    if not missing:
        if admin is not None:
            _vacuum(admin, only_if_needed=True)
        took = time.perf_counter() - started
        print(
            f"  data: reused — {TENANTS} workspaces x >= {ROWS_PER_TENANT:,} audit rows "
            f"already loaded ({sum(have.values()):,} rows; check took {took:.1f} s)",
            flush=True,
        )
    else:
        print(f"  data: loading {missing:,} audit entries (+ as many events) ...", flush=True)
        _fill(admin, workspaces, need)
        took = time.perf_counter() - started
        print(
            f"  data: loaded {missing:,} audit rows and {missing:,} events in {took:.1f} s "
            f"({'superuser, set-based' if admin else 'app role, per workspace'})",
            flush=True,
        )
    if admin is not None:
        admin.close()
    return {
        "tenant_ids": tenant_ids,
        "tenant_id": measured_id,
        "owner_id": measured_owner,
        "api_key": raw_key,
        "rows": have.get(measured_id, 0) + need[0],
        "load_seconds": took,
    }


def _fill(admin, workspaces, need) -> None:
    from django.db import connection
    from django.utils import timezone

    from crm.tenancy.context import tenant_scope

    base = timezone.now()
    top = max(need)
    fill_sql, defaults = _fill_sql()
    if admin is not None:
        with admin.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            for lo in range(1, top + 1, CHUNK):
                t0 = time.perf_counter()
                cur.execute(
                    fill_sql,
                    {
                        **defaults,
                        "tenants": [t for t, _ in workspaces],
                        "owners": [o for _, o in workspaces],
                        "need": need,
                        "base": base,
                        "rows": ROWS_PER_TENANT,
                        "lo": lo,
                        "hi": lo + CHUNK - 1,
                    },
                )
                print(
                    f"    rows {lo:,}..{min(top, lo + CHUNK - 1):,} of each workspace: "
                    f"{cur.rowcount:,} audit rows in {time.perf_counter() - t0:.1f} s",
                    flush=True,
                )
        _vacuum(admin)
        return
    # No superuser (an external DATABASE_URL): the app role, inside each workspace's scope,
    # so the row policy's WITH CHECK accepts the rows.
    for (tid, owner), n in zip(workspaces, need, strict=True):
        if not n:
            continue
        with tenant_scope(tid), connection.cursor() as cur:
            cur.execute(
                fill_sql,
                {
                    **defaults,
                    "tenants": [tid],
                    "owners": [owner],
                    "need": [n],
                    "base": base,
                    "rows": ROWS_PER_TENANT,
                    "lo": 1,
                    "hi": n,
                },
            )
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) activity_event, activity_auditentry")


def _vacuum(admin, only_if_needed: bool = False) -> None:
    """VACUUM ANALYZE until the visibility map covers the tables (as autovacuum keeps an
    insert-only table in production); a concurrent autovacuum/analyze holding back the xmin
    horizon can leave pages not all-visible after the first pass."""
    sql = (
        "SELECT relname, relpages, relallvisible FROM pg_class "
        "WHERE relname IN ('activity_event', 'activity_auditentry')"
    )
    with admin.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '256MB'")
        for attempt in range(4):
            cur.execute(sql)
            behind = [name for name, pages, visible in cur.fetchall() if visible < 0.95 * pages]
            if not behind and (attempt or only_if_needed):
                return
            t0 = time.perf_counter()
            cur.execute("VACUUM (ANALYZE) activity_event, activity_auditentry")
            print(f"    VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s", flush=True)
            time.sleep(1)


def _ensure_api_key(tenant_id: int, owner_id: int) -> str:
    from django.db import connection

    from crm.accounts import selectors, services
    from crm.accounts.models import Membership
    from crm.tenancy.context import tenant_scope

    var = Path(os.environ.get("CRM_VAR_DIR", ROOT / "var" / "bench"))
    path = var / f"bench_api_key.{connection.settings_dict['NAME']}.txt"
    if path.exists():
        raw = path.read_text().strip()
        key = selectors.api_key_resolve(raw)
        if key is not None and key.tenant_id == tenant_id and key.user_id == owner_id:
            return raw
    with tenant_scope(tenant_id):
        actor = Membership.objects.select_related("role", "user", "tenant").get(user_id=owner_id)
        _, raw = services.api_key_create(actor=actor, name="bench")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw + "\n")
    path.chmod(0o600)
    return raw


@contextlib.contextmanager
def web_server(probe_path: str, headers: dict):
    """A gunicorn on loopback, started as `make run` starts it (2 workers x 4 threads).
    Yields a keep-alive connection that has answered `probe_path` with 200, or None if the
    server did not come up within 30 s (or there is no gunicorn). Stopped on exit."""
    import http.client
    import socket
    import subprocess

    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(gunicorn), "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--threads", "4", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, env=dict(os.environ), cwd=ROOT, start_new_session=True)
    conn = None
    try:
        deadline = time.monotonic() + 30
        while conn is None and time.monotonic() < deadline and proc.poll() is None:
            candidate = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                candidate.request("GET", probe_path, headers=headers)
                response = candidate.getresponse()
                response.read()
                if response.status == 200:
                    conn = candidate
                    continue
            except OSError:
                pass
            candidate.close()
            time.sleep(0.3)
        yield conn
    finally:
        if conn is not None:
            conn.close()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def reset_throttle(raw_key: str) -> None:
    """Forget the key's request history, so a phase is not slowed by the per-key throttle."""
    from django.core.cache import cache

    from crm.accounts.selectors import api_key_resolve
    from crm.api.throttling import ApiKeyRateThrottle

    key = api_key_resolve(raw_key)
    throttle = ApiKeyRateThrottle()
    cache.delete(throttle.cache_format % {"scope": throttle.scope, "ident": key.pk})


def timed_get(client, url: str, auth: dict) -> tuple[float, dict]:
    """One GET through the Django test client: (milliseconds, JSON body); stops on non-200."""
    t0 = time.perf_counter()
    response = client.get(url, **auth)
    elapsed = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed, response.json()
