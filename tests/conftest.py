"""Fixtures over real components: RabbitMQ (a vhost per test, nameko's fixtures), an OpenBao dev
server started for the session, and each service's own database, SQLite and — where
``ANCHANG_TEST_PG_URL`` is set — PostgreSQL."""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - before anything imports socket or threading

import os  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from anchang_common import localvault  # noqa: E402
from anchang_common.config import load_config  # noqa: E402
from anchang_common.migrations import upgrade  # noqa: E402
from anchang_common.testing import ServiceHarness, containers  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_started_containers = []
PG_URL = os.environ.get("ANCHANG_TEST_PG_URL")
if not PG_URL and containers.docker_available():
    _container, PG_URL = containers.start_postgres()
    _started_containers.append(_container)
DIALECTS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _broker_reachable(uri):
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:  # kombu raises several unrelated types for "not reachable"
        return False
    return True


def pytest_configure(config):
    """Where no broker answers and a Docker engine runs, start RabbitMQ there."""
    if _broker_reachable(config.getoption("RABBIT_AMQP_URI")) or not containers.docker_available():
        return
    container, amqp_uri, api_uri = containers.start_rabbitmq()
    _started_containers.append(container)
    config.option.RABBIT_AMQP_URI, config.option.RABBIT_API_URI = amqp_uri, api_uri


def pytest_unconfigure(config):
    for container in _started_containers:
        container.stop()


def _vault_server(tmp_dir):
    try:
        localvault.find_bao()
    except RuntimeError:
        if containers.docker_available():
            return containers.ContainerVault()
        raise
    return localvault.BaoServer(tmp_dir, localvault.free_port(), dev=True)


@pytest.fixture(scope="session")
def vault_server(tmp_path_factory):
    """A real OpenBao dev server with Anchang's keys and policies (deploy/vault)."""
    server = _vault_server(tmp_path_factory.mktemp("vault"))
    server.start()
    localvault.bootstrap(server.client(), REPO / "deploy" / "vault" / "policies")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service_tokens(vault_server):
    """A Vault token per service, carrying only that service's policy."""
    root = vault_server.client()
    return {name: localvault.issue_service_token(root, name)
            for name in ("staff", "client_vault", "ticket", "appraisal")}


@pytest.fixture(params=DIALECTS)
def dialect(request):
    return request.param


@pytest.fixture
def database_url(dialect, tmp_path):
    """``make(service)`` → URL of a fresh, migrated database of that service (dropped afterwards)."""
    created = []

    def make(service):
        if dialect == "sqlite":
            url = f"sqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:6]}.db'}"
        else:
            name = f"anchang_test_{service}_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            created.append(name)
            url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(service, url)
        return url

    yield make
    if created:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def harness(rabbit_config, container_factory, vault_server, service_tokens, database_url):
    """Starts real service containers on this test's vhost, database and the session's Vault."""
    def config_for(service):
        config = load_config(REPO / "services" / service / "config.yaml")
        config.update(AMQP_URI=rabbit_config["AMQP_URI"], DATABASE_URL=database_url(service),
                      WEB_SERVER_ADDRESS=f"127.0.0.1:{localvault.free_port()}")
        config["VAULT"].update(ADDR=vault_server.addr, TOKEN=service_tokens[service], TOKEN_FILE=None)
        config.pop("LOGGING", None)
        return config

    harness = ServiceHarness(container_factory, config_for, rabbit_config["AMQP_URI"])
    yield harness
    harness.close()
