"""Reports: the designer's raw queries over 5,000,000 deals, and the streamed export.

One workspace (slug bench-reports) holds 5,000,000 deals of 20 managers over two years,
seeded once with INSERT ... SELECT over generate_series and kept under var/bench/ (minutes
the first time, nothing after). Then:

1. A summary report of won deals by month x owner (sum and count of the amount), run as the
   workspace's admin through the reports' compiler, as the run page and the API run it:
   p95 <= 1.5 s. The same report as a manager with own visibility is printed beside it.
2. The sales dashboard (every widget) from the rollups, as the page's API builds it:
   p95 <= 300 ms (printed when the dashboards are installed).
3. An export of 1,000,000 detail rows streamed as CSV, in a process of its own: its peak
   memory (resident set, the Django process included) <= 200 MB.

Every figure is printed with the machine's load beside it.
"""

from __future__ import annotations

import multiprocessing
import resource
import time

from _common import _columns, admin_connection, describe, figure, load, machine_note, setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402

from crm.accounts.models import Membership, Role, User  # noqa: E402
from crm.accounts.services import tenant_create  # noqa: E402
from crm.tenancy.context import tenant_scope  # noqa: E402
from crm.tenancy.models import Tenant  # noqa: E402
from deals.models import Deal  # noqa: E402
from pipelines.models import Pipeline  # noqa: E402
from reports import export, run  # noqa: E402

DEALS, MANAGERS, SLUG, CHUNK = 5_000_000, 20, "bench-reports", 250_000
EXPORT_ROWS = 1_000_000
GOAL_SUMMARY_S, GOAL_DASHBOARD_MS, GOAL_EXPORT_MB = 1.5, 300.0, 200.0
ROUNDS = 10

SUMMARY = {
    "columns": [],
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "group_by": ["won_at:month", "owner"],
    "summaries": [{"field": "amount", "agg": "sum"}, {"field": "", "agg": "count"}],
}
# The deals of the last 146 days of the 730 (_DEAL_VALUES' created_at): 1,000,000 rows.
EXPORT = {
    "columns": ["title", "amount", "status", "owner", "stage", "created_at"],
    "filters": [{"field": "created_at", "op": "gte", "value": "2026-07-08"}],
}

_DEAL_VALUES = {
    "tenant_id": "%(tenant)s",
    "title": "'Deal ' || g",
    "amount": "(100 + (g::bigint * 7919) %% 90000)::numeric",
    "currency": "'USD'",
    "pipeline_id": "%(pipeline)s",
    "stage_id": "(%(stages)s::bigint[])[1 + g %% %(nstages)s]",
    "position": "g",
    "status": "CASE g %% 3 WHEN 0 THEN 'won' WHEN 1 THEN 'lost' ELSE 'open' END",
    "owner_id": "(%(owners)s::bigint[])[1 + g %% %(nowners)s]",
    "tags": "'{}'::varchar[]",
    "created_at": "TIMESTAMPTZ '2026-11-30' - (g %% 730) * INTERVAL '1 day'",
    "updated_at": "TIMESTAMPTZ '2026-11-30' - (g %% 730) * INTERVAL '1 day'",
    "stage_entered_at": "TIMESTAMPTZ '2026-11-30' - (g %% 730) * INTERVAL '1 day'",
    "closed_at": "CASE WHEN g %% 3 < 2 THEN TIMESTAMPTZ '2026-11-30' - (g %% 730) * "
    "INTERVAL '1 day' + (g %% 60) * INTERVAL '1 hour' END",
}


def workspace() -> tuple[Membership, Membership]:
    """(the admin, a manager with own visibility) of the bench workspace, seeded once."""
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        owner = User.objects.create_user(email=f"{SLUG}@bench.invalid", password=None,
                                         first_name="Head")  # fmt: skip
        tenant = tenant_create(owner=owner, name="Bench reports", slug=SLUG)
    with tenant_scope(tenant):
        admin = Membership.objects.select_related("role", "tenant", "user").get(
            role__key="admin", user__email=f"{SLUG}@bench.invalid"
        )
        role = Role.objects.get(key="manager")
        managers = []
        for i in range(MANAGERS):
            email = f"{SLUG}-manager-{i}@bench.invalid"
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email, password=None, first_name=f"Manager {i}"
            )
            member = Membership.objects.filter(user=user).first() or Membership.objects.create(
                user=user, role=role
            )
            managers.append(member)
        have = Deal.objects.count()
        if have < DEALS:
            pipeline = Pipeline.objects.get(name="Sales")
            stages = list(pipeline.stages.order_by("position").values_list("id", flat=True))
            owners = [m.user_id for m in managers]
            columns, values, params = _columns(Deal, _DEAL_VALUES, "deal")
            started = time.perf_counter()
            for first in range(have + 1, DEALS + 1, CHUNK):
                last = min(first + CHUNK - 1, DEALS)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO deals_deal ({columns}) "
                        f"SELECT {values} FROM generate_series(%(first)s, %(last)s) AS g",
                        {**params, "tenant": tenant.pk, "pipeline": pipeline.pk,
                         "stages": stages, "nstages": len(stages), "owners": owners,
                         "nowners": len(owners), "first": first, "last": last},
                    )  # fmt: skip
                print(f"  seeded deals up to {last:,} ({time.perf_counter() - started:.0f} s)",
                      flush=True)  # fmt: skip
            admin_db = admin_connection()
            if admin_db is not None:
                with admin_db.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE deals_deal")
                admin_db.close()
        manager = Membership.objects.select_related("role", "tenant", "user").get(pk=managers[0].pk)
    return admin, manager


def summary(member: Membership) -> tuple[list[float], int]:
    """Seconds per run of the summary report as `member`, and its number of groups."""
    samples, groups = [], 0
    with tenant_scope(member.tenant_id, member.user_id):
        for _round in range(ROUNDS + 1):
            started = time.perf_counter()
            outcome = run.run("deals", SUMMARY, member, member.tenant.time_zone)
            samples.append(time.perf_counter() - started)
            if outcome.result is None:
                raise SystemExit(f"the summary report did not run: {outcome.problems}")
            groups = len(outcome.result.groups)
    return samples[1:], groups  # the first run warms the caches


def dashboard(member: Membership) -> None:
    try:
        from reports import dashboards
    except ImportError:
        print("  (the sales dashboard is not installed: no figure)")
        return
    from django.core.management import call_command

    with tenant_scope(member.tenant_id):
        started = time.perf_counter()
        call_command("rebuild_rollups", "--tenant", str(member.tenant_id), verbosity=0)
        print(f"  rollups rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
    samples = []
    with tenant_scope(member.tenant_id, member.user_id):
        tenant = member.tenant
        for _round in range(ROUNDS * 3 + 1):
            started = time.perf_counter()
            # As the API reads it: the default period, no other filter.
            dashboards.sales_dashboard(member, dashboards.parse_filters({}, tenant), tenant)
            samples.append((time.perf_counter() - started) * 1000)
    p95 = describe("sales dashboard, every widget", samples[1:])["p95"]
    figure("sales dashboard p95 (rollups)", p95, "ms", f"<= {GOAL_DASHBOARD_MS:.0f}",
           p95 <= GOAL_DASHBOARD_MS)  # fmt: skip
    print(f"  ({load()})")


def _export_in_child(member_id: int, tenant_id: int, queue) -> None:
    connection.close()  # the child's own connection
    with tenant_scope(tenant_id):
        member = Membership.objects.select_related("role", "tenant", "user").get(pk=member_id)
    with tenant_scope(tenant_id, member.user_id):
        _outcome, compiler = run.compiler_for("deals", EXPORT, member, "UTC")
        started, rows, size = time.perf_counter(), 0, 0
        response = export.response(compiler, "Bench export", "csv")
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((rows - 2, size, time.perf_counter() - started, peak_mb))


def export_memory(admin: Membership) -> None:
    context = multiprocessing.get_context("fork")
    connection.close()
    queue = context.Queue()
    child = context.Process(target=_export_in_child, args=(admin.pk, admin.tenant_id, queue))
    child.start()
    child.join()
    if child.exitcode or queue.empty():
        raise SystemExit(f"the export failed (exit code {child.exitcode})")
    rows, size, seconds, peak_mb = queue.get()
    print(f"  exported {rows:,} rows ({size / 1e6:.0f} MB of CSV) in {seconds:.1f} s",
          flush=True)  # fmt: skip
    ok = peak_mb <= GOAL_EXPORT_MB and rows >= EXPORT_ROWS
    figure(f"export of {rows:,} rows, peak memory", peak_mb, "MB", f"<= {GOAL_EXPORT_MB:.0f}",
           ok)  # fmt: skip
    print(f"  ({load()})")


def main() -> None:
    machine_note()
    admin, manager = workspace()
    samples, groups = summary(admin)
    stats = describe(f"summary by month x owner, {DEALS:,} deals, {groups} groups",
                     [s * 1000 for s in samples])  # fmt: skip
    p95 = stats["p95"] / 1000
    figure("summary report p95, month x owner", p95, "s", f"<= {GOAL_SUMMARY_S}",
           p95 <= GOAL_SUMMARY_S)  # fmt: skip
    print(f"  ({load()})")
    own, own_groups = summary(manager)
    describe(f"the same as a manager with own visibility ({own_groups} groups)",
             [s * 1000 for s in own])  # fmt: skip
    dashboard(admin)
    export_memory(admin)
    machine_note()


if __name__ == "__main__":
    main()
