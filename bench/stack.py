"""A throwaway stack for benchmarks: its own RabbitMQ vhost, an OpenBao dev server, SQLite files."""
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

from nameko.containers import ServiceContainer
from nameko.testing.rabbit import Client as RabbitAdmin

from anchang_common import localvault
from anchang_common.config import load_config
from anchang_common.migrations import upgrade

REPO = Path(__file__).resolve().parents[1]
BROKER = "amqp://guest:guest@127.0.0.1:5672"
BROKER_API = "http://guest:guest@127.0.0.1:15672"
#: a PostgreSQL server for the benchmarks' databases (as in the tests); SQLite files when unset
PG_URL = os.environ.get("ANCHANG_BENCH_PG_URL") or os.environ.get("ANCHANG_TEST_PG_URL")


def _database(dialect, name, tmp, created):
    if dialect == "sqlite":
        return f"sqlite:///{tmp}/{name}.db"
    import sqlalchemy as sa
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    created.append(name)
    return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop(names):
    import sqlalchemy as sa
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def bench_stack(dialect="sqlite"):
    """Yields ``start(service_cls, config_name)`` → container, and the vhost's AMQP URI."""
    rabbit = RabbitAdmin(BROKER_API)
    vhost = f"anchang_bench_{secrets.token_hex(4)}"
    rabbit.create_vhost(vhost)
    rabbit.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = f"{BROKER}/{vhost}"
    containers = []
    databases = []
    with tempfile.TemporaryDirectory() as tmp:
        vault = localvault.BaoServer(Path(tmp) / "vault", localvault.free_port(), dev=True).start()
        localvault.bootstrap(vault.client(), REPO / "deploy" / "vault" / "policies")

        def start(service_cls, config_name, **overrides):
            config = load_config(REPO / "services" / config_name / "config.yaml")
            url = _database(dialect, f"{vhost}_{config_name}_{len(containers)}", tmp, databases)
            upgrade(config_name, url)
            config.update(AMQP_URI=amqp_uri, DATABASE_URL=url, max_workers=20,
                          WEB_SERVER_ADDRESS=f"127.0.0.1:{localvault.free_port()}", **overrides)
            config["VAULT"].update(ADDR=vault.addr, TOKEN_FILE=None,
                                   TOKEN=localvault.issue_service_token(vault.client(), config_name))
            config.pop("LOGGING", None)
            container = ServiceContainer(service_cls, config)
            container.start()
            containers.append(container)
            return container

        try:
            yield start, amqp_uri
        finally:
            for container in containers:
                container.stop()
            vault.stop()
            rabbit.delete_vhost(vhost)
            if databases:
                _drop(databases)
