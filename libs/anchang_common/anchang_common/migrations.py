"""Alembic migrations of each service's database.

Each service keeps its scripts in ``<service>/migrations``; its ``env.py`` calls ``run_migrations``.
``python -m anchang_common.migrations <service> [--url URL]`` upgrades to head (URL from
``DATABASE_URL`` otherwise); ``... <service> --revision "message"`` autogenerates a new script;
``... <service> --check [--wait SECONDS]`` changes nothing and exits 0 once the database is at this
code's head or past it (a newer schema: a rollback), 1 otherwise (the init container of Kubernetes
pods, docs/deploy.md#rollout-order).
"""
import argparse
import os
import sys
import time
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from anchang_common.db import make_engine
from anchang_common.types import UtcDateTime


def alembic_config(service, url):
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service, url, revision="head"):
    """Apply ``service``'s migrations to the database at ``url``."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, url), revision)


def schema_ready(service, url):
    """``(ready, why)``: whether the database at ``url`` is at ``service``'s head, or at a revision
    this code does not know (written by a newer version: expand-only migrations keep it usable)."""
    script = ScriptDirectory.from_config(alembic_config(service, url))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    heads = set(script.get_heads())
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        return True, f"at {sorted(current)}, newer than this code's head {sorted(heads)}"
    if heads <= current:
        return True, f"at head {sorted(heads)}"
    return False, f"at {sorted(current) or 'no revision'}, head is {sorted(heads)}"


def wait_for_schema(service, url, wait_seconds=0.0, interval=5.0):
    """``schema_ready``, asked again every ``interval`` seconds for up to ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            ready, why = schema_ready(service, url)
        except Exception as error:  # the database not reachable yet: say so, and ask again
            ready, why = False, f"database not reachable ({type(error).__name__})"
        if ready or time.monotonic() + interval > deadline:
            return ready, why
        time.sleep(interval)


def run_migrations(target_metadata):
    """Body of a service's ``env.py``: online migrations, batch mode on SQLite."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          render_item=_render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _render_item(type_, obj, autogen_context):
    """Scripts name plain SQLAlchemy types, so they never import application code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--revision", metavar="MESSAGE", help="autogenerate a new migration")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 0 when the schema is at head (or newer), else 1")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                        help="with --check: ask again every 5 s for up to this long")
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///.run/{args.service}.db"
    if args.check:
        ready, why = wait_for_schema(args.service, url, args.wait)
        print(f"{args.service}: schema {'ready' if ready else 'not ready'}: {why}")
        sys.exit(0 if ready else 1)
    if args.revision:
        upgrade(args.service, url)
        command.revision(alembic_config(args.service, url), message=args.revision, autogenerate=True)
    else:
        upgrade(args.service, url)
        print(f"{args.service}: migrated")


if __name__ == "__main__":
    main()
