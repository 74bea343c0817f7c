"""The fault harness: a real Celery worker in its own process (tests/faults/worker.py), stopped
at a random point of one kind of work and SIGKILLed there, then a new one started and the
system left to recover the way production does (beat's sweeps, played by the harness).

A kind of work (`Kind`) says how to make a fresh piece of it in a new workspace, which
Celery tasks do it, which sweeps recover it, when it is over, and how many of its units
(messages, actions, events) were lost or made twice. `Harness.calibrate` runs one piece
without a fault and counts the SQL statements its tasks ran; `Harness.attempt` runs another
with the worker armed to stop before a random one of them (or after the last), kills it,
recovers, and returns the piece's counts.

The test process and the worker share the test database (committed data: transactional
tests) and the test Redis; Celery is not eager while the harness runs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from crm.celery import app

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ["default", *settings.CELERY_QUEUES_BY_KIND]


class Kind:
    """One kind of work under fault. Subclasses fill these in."""

    name = ""
    tasks: tuple[str, ...] = ()  # the Celery tasks whose statements may be the fault point
    sweeps: tuple[tuple[str, dict], ...] = ()  # (task name, kwargs) beat sends to recover

    def prepare(self) -> object:
        """A fresh piece of work (its own workspace), not started yet."""
        raise NotImplementedError

    def start(self, piece) -> None:
        """Set the piece going: what a user, a client's server or beat does."""
        raise NotImplementedError

    def settled(self, piece) -> bool:
        """The piece is over (everything made, nothing pending)."""
        raise NotImplementedError

    def nudge(self, piece) -> None:
        """Between two rounds of sweeps: what passing time does (a delay running out)."""

    def sweeps_due(self, piece) -> tuple[tuple[str, dict], ...]:
        """The sweeps the recovery sends now (a kind may drop one whose part is done)."""
        return self.sweeps

    def retire(self, piece) -> None:
        """Once the piece is counted: keep it out of the next pieces' way."""

    def state(self, piece) -> dict:
        """What is left undone (for the report of a piece that did not recover)."""
        from .kinds import leftovers

        return leftovers(piece.tenant.pk)

    def counts(self, piece) -> tuple[int, int, int]:
        """(expected, lost, duplicated) units of the piece."""
        raise NotImplementedError


@dataclass
class Outcome:
    kind: str
    at: int  # the statement the worker was stopped before (0: after the work)
    expected: int
    lost: int
    duplicated: int
    recovered: bool
    note: str = ""
    seconds: dict = field(default_factory=dict)


@dataclass
class Tally:
    kind: str = ""
    attempts: int = 0
    lost: int = 0
    duplicated: int = 0
    unrecovered: int = 0
    failures: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.attempts += 1
        self.lost += outcome.lost
        self.duplicated += outcome.duplicated
        self.unrecovered += not outcome.recovered
        if outcome.lost or outcome.duplicated or not outcome.recovered:
            self.failures.append(outcome)


class Harness:
    def __init__(self, *, recover_timeout: float = 30.0, log: str = "error"):
        self.folder = Path(tempfile.mkdtemp(prefix="crm-faults-"))
        self.recover_timeout = recover_timeout
        self.log = log
        self.zygote: subprocess.Popen | None = None
        self.pid: int | None = None
        self.start_error: BaseException | None = None
        self._serial = itertools.count(1)
        self._saved_eager = app.conf.task_always_eager

    # --- the worker process ---------------------------------------------------------------

    def __enter__(self) -> Harness:
        app.conf.task_always_eager = False
        purge()
        self.arm([], None)
        self.start_zygote()
        self.start_worker()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_worker()
        purge()
        app.conf.task_always_eager = self._saved_eager

    def start_zygote(self) -> None:
        env = dict(os.environ)
        env.update(
            FAULT_DIR=str(self.folder),
            FAULT_DB_NAME=connection.settings_dict["NAME"],
            FAULT_QUEUES=",".join(QUEUES),
            FAULT_LOG=self.log,
            DJANGO_SETTINGS_MODULE="tests.faults.worker_settings",
        )
        self.zygote = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "faults" / "worker.py")],
            env=env, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
        self._wait(self.folder / "zygote", self.zygote, "set up")

    def _wait(self, path: Path, proc: subprocess.Popen, what: str, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while not path.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"the fault worker exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the fault worker was not {what} in {timeout} s")
            time.sleep(0.02)
        return path.read_text()

    def start_worker(self) -> None:
        """A new worker, forked from the set-up process: ready in well under a second."""
        n = next(self._serial)
        (self.folder / f"spawn-{n}").write_text("")
        self.pid = int(self._wait(self.folder / f"pid-{n}", self.zygote, "forked"))
        ready = self.folder / f"ready-{self.pid}"
        deadline = time.monotonic() + 60
        while not ready.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the fault worker was not ready in 60 s")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no clean-up runs in the worker, its connections just drop."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        self.pid = None

    def stop_worker(self) -> None:
        self.kill()
        if self.zygote.poll() is None:
            os.killpg(self.zygote.pid, signal.SIGKILL)
            self.zygote.wait()

    def arm(self, tasks, at: int | None) -> int:
        serial = next(self._serial)
        for name in ("paused", "count"):
            (self.folder / name).unlink(missing_ok=True)
        tmp = self.folder / "arm.tmp"
        tmp.write_text(json.dumps({"serial": serial, "tasks": list(tasks), "at": at}))
        tmp.replace(self.folder / "arm.json")
        return serial

    def idle(self) -> str | None:
        """The worker's last finished task's number while it runs none and no queue holds
        a task for it; None while it is busy."""
        with contextlib.suppress(OSError):
            state = (self.folder / f"state-{self.pid}").read_text()
            if state.startswith("idle") and not any(waiting(q) for q in QUEUES):
                return state
        return None

    def _count(self, serial: int) -> int:
        with contextlib.suppress(OSError, ValueError):
            got, count = (self.folder / "count").read_text().split()
            if int(got) == serial:
                return int(count)
        return 0

    # --- a piece of work ------------------------------------------------------------------

    def recover(self, kind: Kind, piece, timeout: float | None = None) -> bool:
        """Play beat until the piece is over: its sweeps, twice a second."""
        deadline = time.monotonic() + (timeout or self.recover_timeout)
        while time.monotonic() < deadline:
            if kind.settled(piece):
                return True
            if os.environ.get("FAULT_DEBUG"):
                print(round(time.monotonic() - deadline, 1), kind.state(piece), file=sys.stderr)
            kind.nudge(piece)
            for task, kwargs in kind.sweeps_due(piece):
                if not waiting(route(task)):  # a sweep still queued will do: no pile-up
                    app.send_task(task, kwargs=kwargs, queue=route(task))
            time.sleep(0.2)
        return kind.settled(piece)

    def calibrate(self, kind: Kind) -> tuple[int, Outcome]:
        """One piece without a fault: how many statements its tasks ran, and its counts."""
        serial = self.arm(kind.tasks, None)
        piece = kind.prepare()
        kind.start(piece)
        recovered = self.recover(kind, piece, timeout=max(self.recover_timeout, 60))
        expected, lost, duplicated = kind.counts(piece)
        kind.retire(piece)
        return self._count(serial), Outcome(kind.name, 0, expected, lost, duplicated, recovered)

    def attempt(self, kind: Kind, statements: int, rng: random.Random) -> Outcome:
        """One piece with the worker killed before a random statement of its tasks (or,
        drawn as statements + 1, once the work is over)."""
        at = rng.randint(1, statements + 1)
        self.arm(kind.tasks, at)
        t0 = time.monotonic()
        piece = kind.prepare()
        t1 = time.monotonic()
        # Started beside the wait: a request may wait on a lock the paused worker holds.
        starting = threading.Thread(target=self._start, args=(kind, piece), daemon=True)
        starting.start()
        paused = self.folder / "paused"
        deadline = time.monotonic() + 60
        idle_since = None
        while not paused.exists() and time.monotonic() < deadline:
            # Over before the chosen statement (fewer than the calibration's), or gone as far
            # as it goes without beat's sweeps: the kill falls after the work, at once.
            if not starting.is_alive():
                if kind.settled(piece):
                    break
                idle = self.idle()
                if idle is None or idle != idle_since:
                    idle_since = idle
                    idle_at = time.monotonic()
                elif time.monotonic() - idle_at > 0.5:
                    break
            kind.nudge(piece)
            time.sleep(0.02)
        note = paused.read_text()[:200] if paused.exists() else "after the work"
        if starting.is_alive():
            note += " (the start was still running at the kill)"
        t2 = time.monotonic()
        was_paused = paused.exists()
        self.kill()
        starting.join(timeout=60)
        if self.start_error is not None:
            raise self.start_error
        self.arm([], None)
        self.start_worker()
        t3 = time.monotonic()
        recovered = self.recover(kind, piece)
        t4 = time.monotonic()
        if not recovered:
            note += f" | left: {kind.state(piece)}"
        expected, lost, duplicated = kind.counts(piece)
        kind.retire(piece)
        seconds = {"prepare": t1 - t0, "to kill": t2 - t1, "restart": t3 - t2, "recover": t4 - t3}
        return Outcome(kind.name, at if was_paused else 0, expected, lost, duplicated,
                       recovered, note, {k: round(v, 2) for k, v in seconds.items()})  # fmt: skip

    def _start(self, kind: Kind, piece) -> None:
        self.start_error = None
        try:
            kind.start(piece)
        except BaseException as exc:  # raised in the test's thread
            self.start_error = exc
        finally:
            connection.close()  # this thread's own connection


def _alive(pid: int) -> bool:
    """Whether the process still runs (the set-up process reaps its dead children)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] not in ("Z", "X")
    except OSError:
        return False


def route(task: str) -> str:
    return settings.CELERY_TASK_ROUTES.get(task, {}).get("queue", "default")


def waiting(queue: str) -> int:
    """Tasks waiting in a queue (Redis list of the queue's name)."""
    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


def purge() -> None:
    """Empty the queues: tasks an earlier test left (or a killed worker's) go nowhere."""
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)


def run(kind: Kind, kills: int, *, seed: int | None = None, harness: Harness) -> Tally:
    """Calibrate the kind, then kill the worker `kills` times in it; the tally."""
    rng = random.Random(seed)
    statements, baseline = harness.calibrate(kind)
    tally = Tally(kind.name)
    if baseline.lost or baseline.duplicated or not baseline.recovered:
        tally.failures.append(baseline)
        return tally
    for _ in range(kills):
        outcome = harness.attempt(kind, statements, rng)
        if os.environ.get("FAULT_VERBOSE"):
            print(f"  {outcome}", file=sys.stderr, flush=True)
        tally.add(outcome)
    return tally
