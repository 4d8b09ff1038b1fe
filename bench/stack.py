"""A throwaway stack for benchmarks: its own RabbitMQ vhost, an OpenBao dev server, SQLite files (or
PostgreSQL databases), built with the same helpers as the test fixtures."""
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

from nameko.containers import ServiceContainer
from nameko.testing.rabbit import Client as RabbitAdmin

from anchang_common.migrations import upgrade
from anchang_common.testing import service_config
from anchang_common.testing.databases import create_database, drop_databases
from deploy.local.broker import DEFAULT_AMQP_URI, DEFAULT_MANAGEMENT_URI, ensure_management_api
from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision

REPO = Path(__file__).resolve().parents[1]
#: a PostgreSQL server for the benchmarks' databases (as in the tests); SQLite files when unset
PG_URL = os.environ.get("ANCHANG_BENCH_PG_URL") or os.environ.get("ANCHANG_TEST_PG_URL")


@contextmanager
def bench_stack(dialect="sqlite"):
    """Yields ``start(service_cls, config_name)`` → container, and the vhost's AMQP URI."""
    ensure_management_api(DEFAULT_MANAGEMENT_URI)
    rabbit = RabbitAdmin(DEFAULT_MANAGEMENT_URI)
    vhost = f"anchang_bench_{secrets.token_hex(4)}"
    rabbit.create_vhost(vhost)
    rabbit.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = DEFAULT_AMQP_URI.rstrip("/") + "/" + vhost
    containers = []
    databases = []
    with tempfile.TemporaryDirectory() as tmp:
        vault = BaoServer(Path(tmp) / "vault", free_port(), dev=True).start()
        provision(vault.client())

        def start(service_cls, config_name, **overrides):
            name = f"{vhost}_{config_name}_{len(containers)}"
            if dialect == "sqlite":
                url = f"sqlite:///{tmp}/{name}.db"
            else:
                url = create_database(PG_URL, name)
                databases.append(name)
            upgrade(config_name, url)
            config = service_config(config_name, amqp_uri, url, f"127.0.0.1:{free_port()}", vault.addr,
                                    issue_service_token(vault.client(), config_name), max_workers=20, **overrides)
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
                drop_databases(PG_URL, databases)
