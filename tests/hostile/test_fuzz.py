"""Fuzzing the API from its OpenAPI schema with two tenants and canaries (tests/hostile/
fuzzing.py): as tenant A's viewer (a manager who sees only their own records) and then as A's
admin, every operation gets generated requests, aimed at A's, B's and a colleague's records.
No answer is a 500, none shows a canary it may not, every 4xx is in the one error shape.

test_sweep.py beside this file throws hostile values at the same operations (and the pages)
for 500s alone. This run is bounded for `make test` (about a minute, derandomized: it fails the
same way every time); bench/bench_fuzz.py runs the same checks for 100,000 requests.
FUZZ_EXAMPLES=20 makes a deeper run by hand.
"""

from __future__ import annotations

import os

import pytest

from crm.api.throttling import ApiKeyRateThrottle

from . import fuzzing

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))


@pytest.fixture
def world(db, smtp, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # One key makes hundreds of calls a minute here: lift its throttle for the run.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1000000/min"})
    return fuzzing.build_world()


@pytest.mark.django_db
def test_fuzzing_the_api_finds_no_500_no_canary_and_one_error_shape(world):
    # Canaries sit in every kind of B's records and in the colleague's, and the run aims at
    # B's ids: a fuzz that found nothing would otherwise prove nothing.
    kinds = {where.split(" ")[1] for where in world.of_b.where.values()}
    assert {"contacts.contact", "deals.deal", "invoices.invoice", "reports.report"} <= kinds
    assert {"tenant", "user"} <= kinds
    assert len(world.of_colleague.where) > 20
    assert world.ids["b"]["deals.deal"] and world.ids["colleague"]["deals.deal"]

    schema = fuzzing.load_schema()
    assert len(fuzzing.operations(schema)) > 50  # the schema lists the whole API
    with fuzzing.connection_kept(), fuzzing.loopback_only():
        tally = fuzzing.run(world, schema, EXAMPLES)
    assert tally.sent > 500
    assert not tally.findings(), tally.summary()
    print(tally.summary())


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"error": {"status": 404, "code": "not_found", "message": "Not found."}}, True),
        ({"error": {"status": 404, "code": "x", "message": "m", "fields": {"a": ["b"]}}}, True),
        ({"error": {"status": 404, "code": "x", "message": "m", "details": {"a": 1}}}, True),
        ({"error": {"status": 400, "code": "x", "message": "m"}}, False),  # not the status
        ({"error": {"status": 404, "code": "x", "message": "m", "candidates": []}}, False),
        ({"error": {"status": 404, "code": "x", "message": "m", "fields": {}}}, False),
        ({"error": {"status": 404, "code": "", "message": "m"}}, False),
        ({"detail": "Not found."}, False),
        ({"error": "Not found."}, False),
    ],
)
def test_the_error_shape_helper(body, ok):
    import json

    problem = fuzzing.error_shape_problem(404, json.dumps(body).encode())
    assert (problem is None) is ok, problem
    assert fuzzing.error_shape_problem(404, b"<h1>Not Found</h1>") is not None
    assert fuzzing.error_shape_problem(200, b"anything") is None
