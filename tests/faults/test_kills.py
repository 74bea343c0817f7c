"""SIGKILL a real Celery worker (its own process) at a random point of each kind of work,
start another, let the sweeps recover, and count: every message stored once, every
automation action done once, every import complete (a killed one cleanly failed, retried
and completed), no event left pending. One kill per kind here (FAULT_KILLS for more);
bench/bench_faults.py does a hundred."""

from __future__ import annotations

import os

import pytest

from .harness import Harness, run
from .kinds import AutomationRun, Dispatch, ImapSync, Import, WebhookIngest

pytestmark = pytest.mark.django_db(transaction=True)  # the worker reads committed data

KILLS = int(os.environ.get("FAULT_KILLS", "1"))


@pytest.fixture(scope="module")
def imap():
    from tests.integrations.imap_server import IMAPServer

    server = IMAPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def harness(django_db_setup):
    """One worker set-up (Django, the tasks) for the module; workers are forked from it."""
    with Harness() as harness:
        yield harness


def check(tally):
    if os.environ.get("FAULT_REPORT"):  # bench/bench_faults.py prints the figures
        from bench._common import figure, load

        name = tally.failures[0].kind if tally.failures else tally.kind
        print(
            f"\n  {name}: attempts={tally.attempts} lost={tally.lost} "
            f"duplicated={tally.duplicated} unrecovered={tally.unrecovered} ({load()})"
        )
        figure(f"faults {name} lost+duplicated", tally.lost + tally.duplicated, "units", "0",
               tally.lost + tally.duplicated == 0 and not tally.unrecovered)  # fmt: skip
    assert tally.failures == [], tally.failures
    assert (tally.attempts, tally.lost, tally.duplicated, tally.unrecovered) == (KILLS, 0, 0, 0)


def test_a_killed_imap_sync_stores_every_mail_once(harness, imap):
    check(run(ImapSync(imap), KILLS, seed=1, harness=harness))


def test_a_killed_webhook_ingestion_stores_every_message_once(harness):
    from tests.integrations.stand_in import TelegramStandIn

    telegram = TelegramStandIn().start()
    try:
        check(run(WebhookIngest(telegram), KILLS, seed=2, harness=harness))
    finally:
        telegram.stop()


def test_a_killed_automation_run_does_each_action_once(harness):
    check(run(AutomationRun(), KILLS, seed=3, harness=harness))


def test_a_killed_import_is_failed_cleanly_and_its_retry_completes(harness):
    check(run(Import(), KILLS, seed=4, harness=harness))


def test_a_killed_dispatch_leaves_no_event_pending_and_delivers_once(harness):
    check(run(Dispatch(), KILLS, seed=5, harness=harness))
