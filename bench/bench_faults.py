"""Faults: a real Celery worker SIGKILLed at a random point of each kind of work, then a new
one started and the sweeps left to recover (tests/faults/harness.py); per kind, the attempts
and how many units were lost or made twice. Goal: 0 lost, 0 duplicated, every piece
recovered.

FAULT_KILLS kills per kind (100 by default; a smoke run: `FAULT_KILLS=3 make bench
ARGS=faults`), FAULT_KINDS to choose kinds (comma-separated: imap-sync, webhook-ingest,
automation, import, event-dispatch). It runs the harness under pytest against the bench's
services (the test database, made by pytest-django, is its own), so that the kinds'
fixtures are the tests'.
"""

from __future__ import annotations

import os
import subprocess
import sys

from _common import ROOT, load, machine_note

KILLS = os.environ.get("FAULT_KILLS", "100")
KINDS = {
    "imap-sync": "imap_sync",
    "webhook-ingest": "webhook_ingestion",
    "automation": "automation_run",
    "import": "import_is",
    "event-dispatch": "dispatch",
}


def main() -> int:
    machine_note()
    chosen = [k for k in os.environ.get("FAULT_KINDS", ",".join(KINDS)).split(",") if k]
    env = dict(os.environ, FAULT_KILLS=KILLS, FAULT_REPORT="1",
               DJANGO_SETTINGS_MODULE="tests.settings")  # fmt: skip
    print(f"  {KILLS} kills per kind: {', '.join(chosen)}", flush=True)
    code = subprocess.call(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "faults" / "test_kills.py"),
         "-q", "-p", "no:warnings", "-s", "-k", " or ".join(KINDS[k] for k in chosen)],
        env=env, cwd=ROOT,
    )  # fmt: skip
    print(f"  ({load()})", flush=True)
    # Redis and PostgreSQL going away under requests, and a full disk: 503 / 507, then the
    # time to the first 200 once they are back.
    code |= subprocess.call(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "faults" / "test_outage.py"),
         str(ROOT / "tests" / "faults" / "test_full_disk.py"), "-q", "-p", "no:warnings", "-s"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
