"""``python -m deploy.kubernetes [--check]``."""
import argparse
import sys

from deploy.kubernetes import __doc__ as DOC
from deploy.kubernetes.files import differences, write


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=DOC.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file differs")
    args = parser.parse_args(argv)
    if args.check:
        stale = differences()
        for path in stale:
            print(f"k8s/{path} differs from what deploy/kubernetes/ renders", file=sys.stderr)
        return 1 if stale else 0
    for path in write():
        print(f"wrote k8s/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
