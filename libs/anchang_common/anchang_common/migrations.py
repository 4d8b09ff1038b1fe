"""Alembic migrations of each service's database.

Each service keeps its scripts in ``<service>/migrations``; its ``env.py`` calls ``run_migrations``.
``python -m anchang_common.migrations <service> [--url URL]`` upgrades to head (URL from
``DATABASE_URL`` otherwise); ``... <service> --revision "message"`` autogenerates a new script.
"""
import argparse
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config

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
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///.run/{args.service}.db"
    if args.revision:
        upgrade(args.service, url)
        command.revision(alembic_config(args.service, url), message=args.revision, autogenerate=True)
    else:
        upgrade(args.service, url)
        print(f"{args.service}: migrated")


if __name__ == "__main__":
    main()
