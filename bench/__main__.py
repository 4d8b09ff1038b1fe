"""``python -m bench``: every benchmark of docs/performance.md in one run, one JSON line per figure,
then a summary line naming the targets met and missed.

``--quick`` (or ``BENCH_QUICK=1``; what CI runs) makes every benchmark run end to end in seconds, on
SQLite only: its figures mean nothing, it proves the benchmarks still work. ``--only FIGURE ...``
runs just the named figures (on each dialect)."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402

from bench import figures, sla_scan  # noqa: E402
from bench.stack import PG_URL  # noqa: E402

QUICK_CALLS = 5
SLA_SCAN = "ticket_sla_scan"


def machine():
    """What the figures ran on (docs/performance.md records it with them)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"figure": "machine", "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "load_average": [round(x, 2) for x in load] if load else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300, help="calls per caller of each RPC figure")
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help=f"{QUICK_CALLS} calls per caller, small data, SQLite only: a smoke test (BENCH_QUICK=1)")
    parser.add_argument("--only", nargs="+", metavar="FIGURE", choices=(SLA_SCAN, *figures.FIGURES),
                        help="run just these figures (default: every one)")
    args = parser.parse_args()
    only = args.only or (SLA_SCAN, *figures.FIGURES)
    calls = QUICK_CALLS if args.quick else args.calls
    dialects = ("sqlite", "postgresql") if PG_URL and not args.quick else ("sqlite",)
    print(json.dumps(machine()), flush=True)
    results = []
    for dialect in dialects:
        scan = [sla_scan.sla_scan(dialect, args.quick)] if SLA_SCAN in only else []
        services = figures.run(dialect, calls, args.quick, only) if set(figures.FIGURES) & set(only) else []
        services = [figure for figure in services if figure["figure"] in only]
        for figure in [*scan, *services]:
            results.append(figure)
            print(json.dumps(figure, ensure_ascii=False), flush=True)
    summary = {"figure": "summary", "quick": args.quick, "met": [], "missed": []}
    for figure in results:
        for key, verdict in (("", figure), ("p99 ", figure.get("p99"))):
            if isinstance(verdict, dict) and "met" in verdict:
                name = f"{key}{figure['figure']} {figure.get('method', '')} {figure['database']}".strip()
                summary["met" if verdict["met"] else "missed"].append(name)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
