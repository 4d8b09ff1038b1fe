"""``python -m deploy.contract [--check]``: write (or check) ``docs/asyncapi.yaml`` and the typed
Python client's generated modules from the services' schemas."""
import argparse
import sys
from pathlib import Path

from anchang_common.permissions import SERVICES
from deploy.contract import asyncapi, python_client

REPO = Path(__file__).resolve().parents[2]
CLIENT_PACKAGE = Path("clients/python/anchang_client")


def generated():
    """``{path relative to the repository: content}`` of every generated file."""
    files = {Path("docs/asyncapi.yaml"): asyncapi.render()}
    for service in SERVICES:
        files[CLIENT_PACKAGE / f"{service}.py"] = python_client.render(service)
    return files


def stale(root=REPO):
    """The generated files whose committed content differs from what the generators produce."""
    return sorted(str(path) for path, content in generated().items()
                  if not (root / path).exists() or (root / path).read_text() != content)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        for path in stale():
            print(f"{path} differs from what `python -m deploy.contract` generates", file=sys.stderr)
        return 1 if stale() else 0
    for path, content in generated().items():
        (REPO / path).write_text(content)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
