"""Creating one contact over the API: POST /api/v1/contacts/ into a workspace of 200,000.

The workspace is bench_import's (`bench-import`: 200,000 contacts, 2,000 companies, made in
SQL and kept under var/bench/). Each request creates a new client with a first and last
name, an email, a phone typed the local way, a position, tags and a company of the base, so
that every part of the path runs: validation, normalisation, the duplicate check (email,
phone and the name within the company), the insert and its `contact.created` event.

Measured:
  1. over HTTP, on the gunicorn `make run` starts (2 workers x 4 threads), one client with a
     keep-alive connection and a Bearer key: median and p95 of 300 creates (after 30 to
     warm up). Goal: median <= 20 ms.
  2. in process (django.test.Client): the SQL statements one create sends, each with its
     time, so a regression says where it is.
The contacts made are deleted afterwards, so every run starts from the same base.
"""

from __future__ import annotations

import json
import sys
import time

from _common import (
    _ensure_api_key,
    describe,
    figure,
    machine_note,
    reset_throttle,
    setup_django,
    web_server,
)

setup_django()

from bench_import import ensure_base, ensure_workspace  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from crm.celery import app  # noqa: E402

GOAL_MS = 20.0
WARM_UP = 30
ROUNDS = 300
URL = "/api/v1/contacts/"


def payload(n: int, company_id: int) -> dict:
    return {
        "first_name": "Мария",
        "last_name": f"Создана{n}",
        "emails": [f"created{n}@bench-create.example"],
        "phones": [f"8 (903) {n % 1000:03d}-{n // 1000 % 100:02d}-{n % 100:02d}"],
        "position": "Закупки",
        "tags": ["bench"],
        "company": company_id,
    }


def companies(tenant_id: int) -> list[int]:
    from contacts.models import Company
    from crm.tenancy.context import tenant_scope

    with tenant_scope(tenant_id):
        return list(Company.objects.order_by("id").values_list("id", flat=True)[:500])


def cleanup(tenant_id: int) -> int:
    from contacts.models import Contact
    from crm.tenancy.context import tenant_scope

    with tenant_scope(tenant_id):  # their events stay, as a deleted client's do
        ids = list(Contact.objects.filter(tags__contains=["bench"]).values_list("id", flat=True))
        Contact.objects.filter(id__in=ids).delete()
    return len(ids)


def over_http(raw_key: str, company_ids: list[int]) -> dict | None:
    headers = {"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"}
    with web_server(URL + "?page_size=1", headers) as conn:
        if conn is None:
            print("  skipped over HTTP: the web server did not come up")
            return None
        samples = []
        for n in range(WARM_UP + ROUNDS):
            body = json.dumps(payload(n, company_ids[n % len(company_ids)]))
            t0 = time.perf_counter()
            conn.request("POST", URL, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status != 201:
                raise SystemExit(f"POST answered {response.status}: {content[:300]!r}")
            if n >= WARM_UP:
                samples.append(elapsed)
        return describe("POST /api/v1/contacts/ over HTTP", samples)


def in_process(raw_key: str, company_ids: list[int]) -> int:
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    body = json.dumps(payload(10_000, company_ids[0]))
    client.post(URL, data=json.dumps(payload(10_001, company_ids[1])),
                content_type="application/json", **auth)  # fmt: skip
    queries: list[tuple[float, str]] = []

    def timing(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - t0) * 1000, " ".join(sql.split())[:150]))

    # As in the web server: the event's dispatch is queued, not run inside the request.
    app.conf.task_always_eager = False
    with connection.execute_wrapper(timing):
        response = client.post(URL, data=body, content_type="application/json", **auth)
    app.conf.task_always_eager = True
    assert response.status_code == 201, response.content[:300]
    print(
        f"  one create sends {len(queries)} SQL statements ({sum(q[0] for q in queries):.2f} ms):"
    )
    for ms, sql in queries:
        print(f"    {ms:6.2f} ms  {sql}")
    return len(queries)


def main() -> int:
    machine_note()
    tenant_id, owner_id, _members = ensure_workspace()
    ensure_base(tenant_id, owner_id)
    raw_key = _ensure_api_key(tenant_id, owner_id)
    company_ids = companies(tenant_id)
    removed = cleanup(tenant_id)
    if removed:
        print(f"  removed {removed} contacts an interrupted run left")
    try:
        reset_throttle(raw_key)
        http = over_http(raw_key, company_ids)
        cleanup(tenant_id)
        statements = in_process(raw_key, company_ids)
    finally:
        cleanup(tenant_id)
    if http is not None:
        figure("contacts.create.http.median_ms", http["median"], "ms", f"<= {GOAL_MS:.0f} ms",
               http["median"] <= GOAL_MS)  # fmt: skip
        figure("contacts.create.http.p95_ms", http["p95"], "ms", "n/a", None)
    figure("contacts.create.statements", statements, "", "n/a", None)
    machine_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
