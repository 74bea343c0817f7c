"""API fuzzing from the OpenAPI schema, long: the checks of tests/hostile/test_fuzz.py for a
target number of generated requests (100,000 by default; `--requests N`, or
BENCH_FUZZ_REQUESTS=N through `make bench ARGS=fuzz`).

The world is made fresh on each run (tests/hostile/fuzzing.py): tenant A with an admin, a
colleague and a viewer (a manager who sees only their own records), tenant B with a record of
every kind, canaries in every text column of B's rows and of the colleague's records. Half the
requests are sent as A's viewer, then half as A's admin, each operation of the schema in turn
with a few generated requests from a seed that changes every round (so the run is
reproducible, and does not repeat itself). Requests go through the WSGI application in this
process, committed as in production (events are dispatched, eagerly); nothing leaves the
machine (fuzzing.loopback_only).

Printed: requests sent, 500s, canaries seen, bad error shapes (each finding, up to 20 of each),
the rate, and the machine's load. Goal: 0 500s, 0 canaries, 0 bad shapes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import ROOT, figure, load, machine_note, setup_django

os.environ["API_KEY_RATE"] = "1000000000/min"  # one key sends everything
# The factories make a webhook receiver on loopback over http, as the tests do.
os.environ.setdefault("WEBHOOK_ALLOW_HTTP", "1")
os.environ.setdefault("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
setup_django()

from tests.hostile import fuzzing  # noqa: E402

EXAMPLES = 5  # per operation, generation mode and round
SHOWN = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("BENCH_FUZZ_REQUESTS", "100000"))
    parser.add_argument("--requests", type=int, default=default, help="target requests")
    target = parser.parse_args().requests
    machine_note()
    print(f"  target: {target:,} generated requests ({load()})", flush=True)

    t0 = time.monotonic()
    with fuzzing.loopback_only():
        world = fuzzing.build_world()
        print(
            f"  world: tenant B with {len(world.of_b.where):,} canaries, the colleague's "
            f"records with {len(world.of_colleague.where):,}; made in "
            f"{time.monotonic() - t0:.1f} s",
            flush=True,
        )
        schema = fuzzing.load_schema()
        ops = fuzzing.operations(schema)
        tally = fuzzing.Tally()
        generator = fuzzing.Generator(world)
        started = time.monotonic()
        for role, until in (("viewer", target // 2), ("admin", target)):
            member = world.viewer if role == "viewer" else world.admin
            fuzzer = fuzzing.Fuzzer(world, schema, member, tally)
            fuzzer.other_methods(ops)
            rounds = 0
            while tally.sent < until:
                rounds += 1
                for i, op in enumerate(ops):
                    if tally.sent >= until:
                        break
                    for case in generator.draw(op, EXAMPLES, seed=rounds * 10_000 + i):
                        fuzzer.send(case)
                rate = tally.sent / (time.monotonic() - started)
                print(
                    f"  [{role}] round {rounds}: {tally.sent:,} sent, {len(tally.errors)} 500s, "
                    f"{len(tally.leaks)} canaries, {len(tally.shapes)} bad shapes, "
                    f"{rate:.0f}/s ({load()})",
                    flush=True,
                )
    elapsed = time.monotonic() - started
    report(tally, elapsed)
    machine_note()
    return 0


def report(tally: fuzzing.Tally, elapsed: float) -> None:
    for title, found in (
        ("500s", tally.errors),
        ("canaries seen", tally.leaks),
        ("bad error shapes", tally.shapes),
    ):
        for line in found[:SHOWN]:
            print(f"  {title}: {line[:400]}")
        if len(found) > SHOWN:
            print(f"  {title}: ... and {len(found) - SHOWN} more")
    statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(tally.statuses.items()))
    print(f"  statuses: {statuses}")
    figure("fuzz.requests", tally.sent, "requests", "100,000", None)
    figure("fuzz.500s", len(tally.errors), "answers", "0", not tally.errors)
    figure("fuzz.canaries_seen", len(tally.leaks), "answers", "0", not tally.leaks)
    figure("fuzz.bad_error_shapes", len(tally.shapes), "answers", "0", not tally.shapes)
    figure("fuzz.rate", tally.sent / elapsed, "requests/s", "in process, one client", None)
    print(f"  ({load()})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
