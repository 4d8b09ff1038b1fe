"""``python -m bench``: run every benchmark, print one JSON line per figure."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402

from bench import rpc_overhead  # noqa: E402

BENCHMARKS = {"rpc_overhead": rpc_overhead.run}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[],
                        help="benchmarks to run (default: all)")
    parser.add_argument("--calls", type=int, default=300, help="calls per caller")
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        for figure in BENCHMARKS[name](calls_per_caller=args.calls):
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
