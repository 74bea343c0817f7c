"""A real Celery worker for the fault tests, in a process of its own (tests/faults/harness.py
starts it): the project's worker, solo pool, with a probe that can stop it at the N-th SQL
statement of the work under test, so that the harness SIGKILLs it exactly there.

The probe reads `arm.json` in FAULT_DIR at the start of each task: {"serial": s, "tasks":
[names], "at": N or null}. Statements of the named tasks are counted from the arming on; at
the N-th (before it reaches the server) the probe writes `paused` and sleeps until the kill.
A statement is the only place a worker's work becomes visible, so "before statement N" for
every N covers every point between two statements: before and after each commit included.
`count` always holds how many statements the armed tasks have run (the calibration).

The waits that make beat's sweeps patient (an event pending 30 s, a channel asleep 60 s, a
delivery stuck 5 min, a sweep's lease 60 s) are shortened here, as if the clock ran faster:
the harness plays beat by sending the sweeps itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path


def put(path: Path, text: str) -> None:
    """Write a file the harness polls for whole: it never sees it empty or half-written."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


class Probe:
    def __init__(self, folder: Path):
        self.folder = folder
        self.serial = None
        self.tasks: set[str] = set()
        self.at = None
        self.count = 0
        self.watching = False
        self.done = 0  # tasks finished: `state-<pid>` says "busy n" or "idle n"

    def before_task(self, task=None, **_):
        put(self.folder / f"state-{os.getpid()}", f"busy {self.done}")
        try:
            arm = json.loads((self.folder / "arm.json").read_text())
        except (OSError, ValueError):
            arm = {"serial": None, "tasks": [], "at": None}
        if arm["serial"] != self.serial:
            self.serial, self.tasks, self.at = arm["serial"], set(arm["tasks"]), arm["at"]
            self.count = 0
        self.watching = task is not None and task.name in self.tasks

    def after_task(self, **_):
        if self.watching:
            put(self.folder / "count", f"{self.serial} {self.count}")
        self.watching = False
        self.done += 1
        put(self.folder / f"state-{os.getpid()}", f"idle {self.done}")

    def __call__(self, execute, sql, params, many, context):
        if self.watching:
            self.count += 1
            if self.at is not None and self.count == self.at:
                put(self.folder / "paused", f"{self.serial} {self.count} {sql[:300]}")
                while True:  # until the harness's SIGKILL
                    time.sleep(60)
        return execute(sql, params, many, context)


def compress_time() -> None:
    from automation import tasks as automation_tasks
    from crm.activity import tasks as activity_tasks
    from integrations import mailpoll
    from integrations import tasks as integration_tasks

    activity_tasks.SWEEP_AFTER_SECONDS = 1
    integration_tasks.WAKE_TTL = 1
    mailpoll.STUCK = timedelta(seconds=1)
    mailpoll.CHUNK = int(os.environ.get("FAULT_MAIL_CHUNK", "3"))  # several commits a sync
    automation_tasks.LEASE_SECONDS = 2


def main() -> None:
    """Set Django and the tasks up once (seconds on a busy machine), then fork a worker for
    each `spawn-<n>` file the harness writes, at once: the harness kills and replaces workers
    many times a test. Nothing here has touched the database or the broker before a fork."""
    folder = Path(os.environ["FAULT_DIR"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.faults.worker_settings")
    import django

    django.setup()
    from celery.signals import task_postrun, task_prerun, worker_ready
    from django.db.backends.signals import connection_created

    from crm.celery import app

    app.loader.import_default_modules()
    probe = Probe(folder)
    task_prerun.connect(probe.before_task, weak=False)
    task_postrun.connect(probe.after_task, weak=False)

    def attach(sender, connection, **_):
        if probe not in connection.execute_wrappers:
            connection.execute_wrappers.append(probe)

    connection_created.connect(attach, weak=False)

    def ready(**_):
        put(folder / f"state-{os.getpid()}", "idle 0")
        put(folder / f"ready-{os.getpid()}", "ready")

    worker_ready.connect(ready, weak=False)
    compress_time()
    app.conf.task_always_eager = False
    put(folder / "zygote", str(os.getpid()))
    while True:
        for request in sorted(folder.glob("spawn-*")):
            request.unlink()
            pid = os.fork()
            if pid == 0:
                os.setsid()  # its own group: the harness kills it and nothing else
                # Quiet: no banner per fork (the bench's output shows its figures, not these).
                warnings.filterwarnings("ignore", message=".*superuser privileges")
                app.worker_main(
                    ["-q", "worker", "-P", "solo", "-Q", os.environ["FAULT_QUEUES"], "-n",
                     f"faults-{os.getpid()}@%h", "-l", os.environ.get("FAULT_LOG", "error"),
                     "--without-heartbeat", "--without-gossip", "--without-mingle"]
                )  # fmt: skip
                os._exit(0)
            put(folder / f"pid-{request.name.removeprefix('spawn-')}", str(pid))
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if os.getppid() == 1:  # the harness is gone
            return
        time.sleep(0.02)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main()
