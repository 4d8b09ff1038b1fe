"""``python -m bench``: run every benchmark, print one JSON line per figure.

``--quick`` (or ``BENCH_QUICK=1``; what CI runs) makes every benchmark run end to end in a few
seconds, on SQLite only: its figures mean nothing, it proves the benchmarks still work."""
import os

# Every benchmarked service runs in this one process with 20 workers each, and SQLite statements run
# on eventlet's thread pool (20 threads by default): workers waiting for SQLite's write lock inside
# the pool could hold every thread, and the lock holder's commit would wait for one until the busy
# timeout. One process per service (production) never has more workers than threads.
os.environ.setdefault("EVENTLET_THREADPOOL_SIZE", "100")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402

from bench import appraisal, client_vault, rpc_overhead, ticket  # noqa: E402

BENCHMARKS = {"rpc_overhead": rpc_overhead.run, "client_vault": client_vault.run, "ticket": ticket.run,
              "appraisal": appraisal.run}
QUICK_CALLS = 5


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[],
                        help="benchmarks to run (default: all)")
    parser.add_argument("--calls", type=int, default=300, help="calls per caller")
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help=f"{QUICK_CALLS} calls per caller, SQLite only: a smoke test (BENCH_QUICK=1)")
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        kwargs = {"calls_per_caller": QUICK_CALLS, "quick": True} if args.quick else {
            "calls_per_caller": args.calls}
        for figure in BENCHMARKS[name](**kwargs):
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
