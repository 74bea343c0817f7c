"""Importing the client base from a spreadsheet: 50,000 contacts x 20 columns (XLSX) into a
workspace that already has 200,000 contacts.

Data (kept between runs under var/bench/): the workspace `bench-import` (country RU, five
members), 2,000 companies and 200,000 contacts made set-based in SQL; and an XLSX of 50,000
rows and 20 columns with Russian headers: about 10% of the rows are clients the base already
has (same email, or the same phone typed another way), 1% repeat an earlier row of the
file, 2% are invalid (a bad email or phone), the rest are new; 3,000 company names, 2,000 of
them known.

Measured, in a fresh process (so its peak memory is the import's and Django's, nothing
else): the whole path a user's file takes — import_create (size, format and zip-bomb
checks, header, auto-mapping, the file stored) and import_start, whose task runs eagerly:
read (calamine) -> validate -> COPY -> merge in one transaction -> counts, errors file,
event. The rows it added are deleted afterwards, so every run starts from the same base.

Goals: the whole import in <= 10 s, peak memory (ru_maxrss) <= 500 MB.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, figure, machine_note, setup_django

EXISTING = 200_000
ROWS = 50_000
COMPANIES = 2_000
MEMBERS = 5
SLUG = "bench-import"
GOAL_SECONDS = 10.0
GOAL_MB = 500.0
FILE_VERSION = 1

HEADERS = [
    "Имя", "Фамилия", "Отчество", "Эл. почта", "Email 2", "Телефон", "Мобильный",
    "Компания", "Сайт", "Должность", "Telegram", "WhatsApp", "Дата рождения",
    "Ответственный", "Теги", "Источник", "utm_source", "utm_medium", "utm_campaign", "Бюджет",
]  # fmt: skip
FIRST = ["Иван", "Анна", "Пётр", "Мария", "Сергей", "Ольга", "Алексей", "Елена", "John", "Kate"]
LAST = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "Smith", "Brown"]
MIDDLE = ["Иванович", "Петровна", "Сергеевич", "", "", ""]
POSITIONS = ["Директор", "Менеджер", "Бухгалтер", "CEO", "Sales manager", "", ""]
SOURCES = ["Выставка", "Сайт", "Реклама", "Рекомендация", ""]


def var_dir() -> Path:
    path = Path(os.environ.get("CRM_VAR_DIR", ROOT / "var" / "bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the base ----------------------------------------------------------------------------


def ensure_workspace() -> tuple[int, int, list[str]]:
    from crm.accounts import services
    from crm.accounts.models import Membership, Role, User
    from crm.tenancy.context import tenant_scope
    from crm.tenancy.models import Tenant

    def user(email, name):
        return User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=None, first_name=name
        )

    owner = user(f"{SLUG}@bench.invalid", "Import owner")
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        tenant = services.tenant_create(owner=owner, name="Bench import", slug=SLUG)
    if tenant.country != "RU":
        tenant.country = "RU"
        tenant.save(update_fields=["country"])
    emails = []
    with tenant_scope(tenant):
        role = Role.objects.get(key="manager")
        for n in range(MEMBERS):
            member = user(f"manager{n}@{SLUG}.invalid", f"Manager {n}")
            Membership.objects.get_or_create(user=member, defaults={"role": role})
            emails.append(member.email)
    return tenant.pk, owner.pk, emails


def ensure_base(tenant_id: int, owner_id: int) -> None:
    """2,000 companies and 200,000 contacts, made in SQL as the app role in the scope."""
    from _common import _columns
    from django.db import connection

    from contacts.models import Company, Contact, CustomField, ImportJob
    from crm.tenancy.context import tenant_scope

    with tenant_scope(tenant_id):
        CustomField.objects.get_or_create(
            object_type="contact", key="budget",
            defaults={"label": "Бюджет", "field_type": CustomField.NUMBER},
        )  # fmt: skip
        ImportJob.objects.all().delete()
        if Contact.objects.count() == EXISTING and Company.objects.count() == COMPANIES:
            print(f"  data: reused — {EXISTING:,} contacts, {COMPANIES:,} companies", flush=True)
            return
        started = time.perf_counter()
        Contact.objects.all().delete()
        Company.objects.all().delete()
        cols, vals, params = _columns(
            Company,
            {
                "tenant_id": "%(tenant)s",
                "owner_id": "%(owner)s",
                "name": "'Компания ' || g",
                "website": "'https://company' || g || '.ru'",
                "domain": "'company' || g || '.ru'",
                "search": "'компания ' || g || ' company' || g || '.ru'",
                "emails": "'{}'::varchar(254)[]",
                "phones": "'{}'::varchar(20)[]",
                "tags": "'{}'::varchar(50)[]",
                "updated_at": "now()",
            },
            "co",
        )
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO contacts_company ({cols}) SELECT {vals} "
                f"FROM generate_series(1, {COMPANIES}) g",
                {**params, "tenant": tenant_id, "owner": owner_id},
            )
            cur.execute("SELECT min(id) FROM contacts_company WHERE tenant_id = %s", [tenant_id])
            first_company = cur.fetchone()[0]
            cols, vals, params = _columns(
                Contact,
                {
                    "tenant_id": "%(tenant)s",
                    "owner_id": "%(owner)s",
                    "first_name": "'Client'",
                    "last_name": "'Number' || g",
                    "emails": "ARRAY['client' || g || '@example.com']::varchar(254)[]",
                    "phones": "ARRAY['+7916' || lpad(g::text, 7, '0')]::varchar(20)[]",
                    "tags": "ARRAY['old']::varchar(50)[]",
                    "company_id": "%(first_company)s + g %% %(companies)s",
                    "search": "'client number' || g || ' компания ' || (1 + g %% "
                    "%(companies)s) || ' client' || g || '@example.com 7916' || "
                    "lpad(g::text, 7, '0')",
                    "updated_at": "now()",
                },
                "ct",
            )
            cur.execute(
                f"INSERT INTO contacts_contact ({cols}) SELECT {vals} "
                f"FROM generate_series(1, {EXISTING}) g",
                {
                    **params, "tenant": tenant_id, "owner": owner_id,
                    "first_company": first_company, "companies": COMPANIES,
                },
            )  # fmt: skip
            cur.execute("VACUUM (ANALYZE) contacts_contact, contacts_company")
        print(
            f"  data: made {EXISTING:,} contacts and {COMPANIES:,} companies in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )


def _max_id(table: str, tenant_id: int) -> int:
    from django.db import connection

    from crm.tenancy.context import tenant_scope

    with tenant_scope(tenant_id), connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {table} WHERE tenant_id = %s", [tenant_id])
        return cur.fetchone()[0]


# --- the file ----------------------------------------------------------------------------


def ensure_file(members: list[str]) -> Path:
    path = var_dir() / f"import-{ROWS}x{len(HEADERS)}-v{FILE_VERSION}.xlsx"
    if path.exists():
        print(f"  file: reused {path.name} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
        return path
    import xlsxwriter

    started = time.perf_counter()
    rnd = random.Random(42)
    book = xlsxwriter.Workbook(str(path) + ".tmp", {"constant_memory": True})
    sheet = book.add_worksheet("Клиенты")
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, HEADERS)
    seen_emails = []
    for i in range(ROWS):
        kind = rnd.random()
        email, email2, phone, mobile = f"new{i}@mail.ru", "", f"+7 (925) {i:07d}", ""
        if kind < 0.10:  # a client the base has
            k = rnd.randint(1, EXISTING)
            if rnd.random() < 0.5:
                email, phone = f"Client{k}@Example.com", ""
            else:
                email, phone = "", f"8 (916) {k // 10000:03d}-{k // 100 % 100:02d}-{k % 100:02d}"
        elif kind < 0.11 and seen_emails:  # a repeated row of the file
            email = rnd.choice(seen_emails)
        elif kind < 0.12:
            email = f"broken-email-{i}"
        elif kind < 0.13:
            phone = "12-34"
        if rnd.random() < 0.2:
            email2 = f"work{i}@corp.ru"
        if rnd.random() < 0.3:
            mobile = f"+7 999 {i:07d}"
        if email and kind >= 0.13 and i % 7 == 0:
            seen_emails.append(email)
        company_n = rnd.randint(1, 3_000)
        row = [
            rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(MIDDLE), email, email2, phone,
            mobile, f"Компания {company_n}",
            f"company{company_n}.ru" if rnd.random() < 0.3 else "",
            rnd.choice(POSITIONS), f"@user{i}" if rnd.random() < 0.3 else "",
            f"+7 926 {i:07d}" if rnd.random() < 0.2 else "", None,
            rnd.choice(members) if rnd.random() < 0.7 else "",
            rnd.choice(["vip", "опт", "розница, vip", ""]), rnd.choice(SOURCES),
            rnd.choice(["google", "yandex", ""]), rnd.choice(["cpc", "email", ""]),
            f"spring{rnd.randint(1, 20)}", str(rnd.randint(1, 500) * 1000),
        ]  # fmt: skip
        for c, value in enumerate(row):
            if value:
                sheet.write_string(i + 1, c, value)
        if rnd.random() < 0.5:
            born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rnd.randint(0, 15_000))
            sheet.write_datetime(i + 1, 12, born, dates)
    book.close()
    os.replace(str(path) + ".tmp", path)
    print(
        f"  file: made {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return path


# --- the measured run (a child process) --------------------------------------------------


def measure(tenant_id: int, owner_id: int, path: str, profile: bool) -> None:
    from django.core.files import File

    from contacts.importer import loader, reader, services
    from contacts.models import ImportJob
    from crm.accounts.models import Membership
    from crm.tenancy.context import tenant_scope

    phases: dict[str, list[float]] = {}
    backend = _backend_pid()

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0, c0, d0 = time.perf_counter(), time.process_time(), _process_cpu(backend)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = phases.setdefault(name, [0.0, 0.0, 0.0])
                spent[0] += time.perf_counter() - t0
                spent[1] += time.process_time() - c0
                spent[2] += _process_cpu(backend) - d0

        return wrapper

    reader.open_table = timed("open (checks, header)", reader.open_table)
    loader.stage = timed("read + validate", loader.stage)
    loader.merge = timed("merge (SQL, one transaction)", loader.merge)
    for name in ("_resolve_companies", "_match_existing", "_update", "_insert"):
        setattr(loader, name, timed(f"  merge: {name.strip('_')}", getattr(loader, name)))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db_cpu_before = _process_cpu(backend)
    cpu_before = time.process_time()
    started = time.perf_counter()
    with tenant_scope(tenant_id, owner_id), open(path, "rb") as fileobj:
        actor = Membership.objects.select_related("role", "user", "tenant").get(user_id=owner_id)
        job = services.import_create(actor=actor, upload=File(fileobj, name="clients.xlsx"))
        created = time.perf_counter()
        create_cpu = time.process_time() - cpu_before
        create_db_cpu = _process_cpu(backend) - db_cpu_before
        services.import_start(
            actor=actor, job=job, mapping=job.mapping, duplicate_policy=ImportJob.UPDATE
        )  # autocommit: the task runs (eagerly) when import_start commits
        job.refresh_from_db()
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_before
    db_cpu = _process_cpu(backend) - db_cpu_before
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    print(
        json.dumps(
            {
                "seconds": finished - started,
                "cpu_seconds": cpu,
                "db_cpu_seconds": db_cpu,
                "create_cpu_seconds": create_cpu + create_db_cpu,
                "create_seconds": created - started,
                "run_seconds": finished - created,
                "phases": phases,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mb": rss_before,
                "status": job.status,
                "error": job.error,
                "mapping": job.mapping,
                "counts": {
                    "total": job.total,
                    "created": job.created,
                    "updated": job.updated,
                    "skipped": job.skipped,
                    "failed": job.failed,
                },
            }
        )
    )


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _process_cpu(pid: int) -> float:
    """CPU seconds a process has used (the database backend, when it runs on this machine):
    unlike wall time, not inflated by other work on a busy machine."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cleanup(tenant_id: int, owner_id: int, contact_max: int, company_max: int, since) -> None:
    from django.db import connection

    from contacts.models import Company, Contact, ImportJob
    from crm.tenancy.context import tenant_scope

    if not contact_max or not company_max:
        raise RuntimeError("bench: the base looks empty; refusing to clean up")
    with tenant_scope(tenant_id):
        for job in ImportJob.objects.all():
            job.file.delete(save=False)
            if job.errors_file:
                job.errors_file.delete(save=False)
        ImportJob.objects.all().delete()
        Contact.objects.filter(id__gt=contact_max).delete()
        Company.objects.filter(id__gt=company_max).delete()
        # Updated contacts keep their new values; put the base back as it was made.
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE contacts_contact SET first_name = 'Client', last_name = 'Number' "
                "|| substring(emails[1] from 'client([0-9]+)@'), emails = emails[1:1], "
                "phones = phones[1:1], tags = ARRAY['old']::varchar(50)[], custom = '{}', "
                "position = '', middle_name = '', telegram = '', whatsapp = '', source = '', "
                "utm_source = '', utm_medium = '', utm_campaign = '', birthday = NULL, "
                "owner_id = %s, "
                "company_id = (SELECT min(id) FROM contacts_company) + "
                "substring(emails[1] from 'client([0-9]+)@')::int %% %s, "
                "search = 'client number' || substring(emails[1] from 'client([0-9]+)@') "
                "|| ' компания ' || (1 + substring(emails[1] from 'client([0-9]+)@')::int "
                "%% %s) || ' ' || emails[1] || ' ' || substring(phones[1] from 2) "
                "WHERE updated_at >= %s",
                [owner_id, COMPANIES, COMPANIES, since],
            )
            cur.execute("VACUUM (ANALYZE) contacts_contact, contacts_company")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        setup_django()
        measure(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], "--profile" in sys.argv)
        return 0
    setup_django()
    machine_note()
    tenant_id, owner_id, members = ensure_workspace()
    ensure_base(tenant_id, owner_id)
    path = ensure_file(members)
    if os.environ.get("BENCH_PREPARE_ONLY"):
        return 0
    from django.utils import timezone

    since = timezone.now()
    contact_max = _max_id("contacts_contact", tenant_id)
    company_max = _max_id("contacts_company", tenant_id)
    args = [sys.executable, __file__, "--measure", str(tenant_id), str(owner_id), str(path)]
    if os.environ.get("BENCH_PROFILE"):
        args.append("--profile")
    try:
        out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
        if out.returncode:
            print(out.stdout, out.stderr, sep="\n")
            return 1
        if out.stderr.strip():
            print(out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        cleanup(tenant_id, owner_id, contact_max, company_max, since)
    counts = result["counts"]
    print(f"  job: {result['status']} {result['error']}".rstrip())
    print(
        f"  rows: {counts['total']:,} read, {counts['created']:,} created, "
        f"{counts['updated']:,} updated, {counts['skipped']:,} skipped, "
        f"{counts['failed']:,} failed",
    )
    print(
        f"  upload checks (import_create): {result['create_seconds']:.2f} s; "
        f"the task (import_start -> done): {result['run_seconds']:.2f} s"
    )
    for name, (seconds, cpu, db_cpu) in result["phases"].items():
        print(f"    {name}: {seconds:.2f} s (CPU: {cpu:.2f} s here, {db_cpu:.2f} s database)")
    print(
        f"  CPU: {result['cpu_seconds']:.2f} s in the importing process, "
        f"{result['db_cpu_seconds']:.2f} s in its database backend; together "
        f"{result['cpu_seconds'] + result['db_cpu_seconds']:.2f} s (what the wall time would "
        "be on an idle machine, less the I/O waits)"
    )
    print(f"  memory: {result['rss_before_mb']:.0f} MB before the import (Django, libraries)")
    ok = result["status"] == "done"
    task_cpu = result["cpu_seconds"] + result["db_cpu_seconds"] - result["create_cpu_seconds"]
    figure("rows per second", counts["total"] / result["seconds"], "rows/s", "info", None)
    figure(
        "import 50,000 x 20, upload + task (wall)", result["seconds"], "s",
        f"<= {GOAL_SECONDS:.0f} s", ok and result["seconds"] <= GOAL_SECONDS,
    )  # fmt: skip
    figure(
        "the task: read -> validate -> COPY -> merge (wall)", result["run_seconds"], "s",
        f"<= {GOAL_SECONDS:.0f} s", ok and result["run_seconds"] <= GOAL_SECONDS,
    )  # fmt: skip
    figure(
        "the task, CPU of the worker + its database backend", task_cpu, "s",
        f"<= {GOAL_SECONDS:.0f} s; the idle-machine wall time, less I/O waits",
        ok and task_cpu <= GOAL_SECONDS,
    )  # fmt: skip
    figure(
        "peak memory (ru_maxrss)", result["rss_mb"], "MB", f"<= {GOAL_MB:.0f} MB",
        result["rss_mb"] <= GOAL_MB,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
