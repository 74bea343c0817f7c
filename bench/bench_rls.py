"""The cost of row-level security on the audit-trail list.

The same SQL the API runs (compiled by the ORM from crm.activity.selectors.audit_trail, so
it stays the SQL the app really sends) is run
  (a) as the app role `crm` with app.tenant_id set: the row policy applies;
  (b) as the `postgres` superuser, with the same app.tenant_id: row security is bypassed; the
      tenant filter the ORM adds (crm.tenancy.models.CurrentTenant) is the only filter;
on the same database, interleaved, many times. Three statements: the first page
(ORDER BY id DESC LIMIT 51), a page from the middle of the workspace (a deep cursor,
id < X), and COUNT(*) of the workspace. For each: client-side round trip (median/p95) and
server-side planning + execution time (EXPLAIN ANALYZE), and the overhead of (a) over (b).

Goal: overhead under 10% (on the median round trip). Needs DATABASE_ADMIN_URL (set by
`make bench` for the embedded server); without it the script says so and exits 0.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time

from _common import (
    admin_connection,
    describe,
    ensure_dataset,
    figure,
    machine_note,
    setup_django,
)

setup_django()

import psycopg2  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from crm.activity import selectors  # noqa: E402
from crm.activity.models import AuditEntry  # noqa: E402
from crm.tenancy.context import tenant_scope  # noqa: E402
from crm.tenancy.models import CURRENT_TENANT  # noqa: E402

GOAL_PCT = 10.0
ROUNDS = {"first page": 1500, "deep page": 1500, "count": 400}
EXPLAIN_ROUNDS = 200


def statements(tenant_id: int) -> dict[str, tuple[str, list]]:
    """The SQL the audit-trail list sends: first page, a deep cursor page, and a count."""
    with tenant_scope(tenant_id):
        first = selectors.audit_trail()[:51]
        ids = list(selectors.audit_trail().values_list("id", flat=True))
        middle = ids[len(ids) // 2]
        deep = selectors.audit_trail().filter(id__lt=middle)[:51]
        out = {
            "first page": first.query.get_compiler(connection=connection).as_sql(),
            "deep page": deep.query.get_compiler(connection=connection).as_sql(),
            "count": count_sql(),
        }
    return {name: (sql, list(params)) for name, (sql, params) in out.items()}


def count_sql() -> tuple[str, list]:
    """What AuditEntry.objects.count() sends (the audit trail's total)."""
    with CaptureQueriesContext(connection) as captured:
        AuditEntry.objects.count()
    return captured.captured_queries[-1]["sql"], []


def app_connection(tenant_id: int):
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    conn.autocommit = True
    with conn.cursor() as cur:
        # What crm.tenancy.backend sends on a scope change: a session-level setting.
        cur.execute(
            "SELECT set_config('app.tenant_id', %s, false), set_config('app.user_id', '', false)",
            [str(tenant_id)],
        )
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False, False), "the app role must not bypass row security"
    return conn


def run_once(conn, sql: str, params: list) -> tuple[float, list]:
    with conn.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute(sql, params)
        rows = cur.fetchall()
        return (time.perf_counter() - t0) * 1000, rows


def explain_times(conn, sql: str, params: list, rounds: int) -> tuple[list[float], list[float]]:
    planning, execution = [], []
    with conn.cursor() as cur:
        for _ in range(rounds):
            cur.execute("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " + sql, params)
            text = "\n".join(r[0] for r in cur.fetchall())
            planning.append(float(re.search(r"Planning Time: ([\d.]+) ms", text).group(1)))
            execution.append(float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1)))
    return planning, execution


def show_plan(conn, label: str, sql: str, params: list) -> str:
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        text = "\n".join(r[0] for r in cur.fetchall())
    print(f"  EXPLAIN ANALYZE, {label}:")
    print("\n".join("    " + line for line in text.splitlines()))
    return text


def explain_difference(rls: str, bypass: str) -> None:
    """Say in words how the two plans differ, where the difference is a known one."""
    if "One-Time Filter" in rls and "One-Time Filter" not in bypass:
        print(
            "  note: with RLS the planner merges the policy's tenant_id = current_setting(...)"
            " with the ORM's tenant_id = <id> and checks current_setting(...) = <id> once, in"
            " a Result node above the scan; the index condition is the same, but every row"
            " passes through that extra node (a cost per row, visible on COUNT(*))"
        )
    if "Memoize" in bypass and "Memoize" not in rls:
        print(
            "  note: the superuser's plan caches the accounts_user lookups (Memoize); the RLS"
            " plan probes accounts_user_pkey once per row (51 probes instead of 1)"
        )


def overhead(rls: float, bypass: float) -> float:
    return (rls - bypass) / bypass * 100 if bypass else 0.0


def main() -> int:
    print(f"  goal: row-level security adds < {GOAL_PCT:.0f}% to the audit-trail queries")
    machine_note()
    admin = admin_connection()
    if admin is None:
        print("  skipped: DATABASE_ADMIN_URL is not set (only the embedded server has it)")
        return 0
    data = ensure_dataset()
    tenant_id = data["tenant_id"]
    app = app_connection(tenant_id)
    with admin.cursor() as cur:  # the ORM's tenant filter reads the same session setting
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_id)])
    stmts = statements(tenant_id)
    print(f"  policy on activity_auditentry: USING (tenant_id = {CURRENT_TENANT})")

    # Both see the same rows: the policy filters nothing the explicit filter keeps.
    for name, (sql, params) in stmts.items():
        _, a = run_once(app, sql, params)
        _, b = run_once(admin, sql, params)
        if a != b:
            print(f"  WARNING: {name}: the app role and the superuser saw different rows")

    plans = {}
    for name, (sql, params) in stmts.items():
        print(f"\n  -- {name}: {' '.join(sql.split())[:160]}... params={params}")
        plans[name, "rls"] = show_plan(app, "app role (RLS on)", sql, params)
        plans[name, "bypass"] = show_plan(admin, "superuser (RLS bypassed)", sql, params)
        for who in ("rls", "bypass"):
            if "Seq Scan" in plans[name, who]:
                print(f"  WARNING: {name} ({who}) reads the table sequentially: missing index?")
        explain_difference(plans[name, "rls"], plans[name, "bypass"])

    print()
    verdicts = []
    for name, (sql, params) in stmts.items():
        for _ in range(50):  # warm-up both
            run_once(app, sql, params)
            run_once(admin, sql, params)
        rls, bypass = [], []
        for _ in range(ROUNDS[name]):
            pair = [(app, rls), (admin, bypass)]
            random.shuffle(pair)  # neither always goes first
            for conn, out in pair:
                out.append(run_once(conn, sql, params)[0])
        print(f"  {name}, client round trip:")
        a = describe("app role, RLS on     ", rls)
        b = describe("superuser, RLS bypass", bypass)
        p_a, e_a = explain_times(app, sql, params, EXPLAIN_ROUNDS)
        p_b, e_b = explain_times(admin, sql, params, EXPLAIN_ROUNDS)
        print(f"  {name}, server side (EXPLAIN ANALYZE x{EXPLAIN_ROUNDS}, median):")
        sa = {k: sorted(v)[len(v) // 2] for k, v in (("plan", p_a), ("exec", e_a))}
        sb = {k: sorted(v)[len(v) // 2] for k, v in (("plan", p_b), ("exec", e_b))}
        for who, m in (("app role, RLS on     ", sa), ("superuser, RLS bypass", sb)):
            print(f"    {who}: planning {m['plan']:.3f} ms, execution {m['exec']:.3f} ms")
        slug = name.replace(" ", "_")
        median_pct = overhead(a["median"], b["median"])
        figure(f"rls.{slug}.rls_on.median_ms", a["median"], "ms", "n/a", None)
        figure(f"rls.{slug}.rls_on.p95_ms", a["p95"], "ms", "n/a", None)
        figure(f"rls.{slug}.bypass.median_ms", b["median"], "ms", "n/a", None)
        figure(f"rls.{slug}.bypass.p95_ms", b["p95"], "ms", "n/a", None)
        figure(
            f"rls.{slug}.overhead_p95_pct",
            overhead(a["p95"], b["p95"]),
            "%",
            f"< {GOAL_PCT:.0f}% (informative; p95 is noisier)",
            None,
        )
        figure(
            f"rls.{slug}.overhead_server_pct",
            overhead(sa["plan"] + sa["exec"], sb["plan"] + sb["exec"]),
            "%",
            f"< {GOAL_PCT:.0f}% (planning + execution, informative)",
            None,
        )
        ok = median_pct < GOAL_PCT
        verdicts.append(ok)
        figure(f"rls.{slug}.overhead_median_pct", median_pct, "%", f"< {GOAL_PCT:.0f}%", ok)
        if name == "count":
            # The count reads every row of the workspace: the cost per row counted.
            per_row = (a["median"] - b["median"]) * 1e6 / max(1, data["rows"])
            figure("rls.count.overhead_ns_per_row", per_row, "ns", "n/a", None)
        print()
    app.close()
    admin.close()
    print(f"  {sum(verdicts)}/{len(verdicts)} statements within the goal")
    machine_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
