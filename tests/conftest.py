"""Fixtures over real components: RabbitMQ (a vhost per test, nameko's fixtures), an OpenBao dev
server started for the session, and each service's own database, SQLite and PostgreSQL (the server
``ANCHANG_TEST_PG_URL`` names, else one answering at the default local address). Nothing starts at
import time: ``pytest_configure`` finds (or, with a Docker engine, starts) the servers."""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - before anything imports socket or threading

import logging  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from anchang_common.health import broker_error  # noqa: E402
from anchang_common.logs import RedactPii  # noqa: E402
from anchang_common.migrations import upgrade  # noqa: E402
from anchang_common.testing import ServiceHarness, containers, service_config  # noqa: E402
from anchang_common.testing.databases import create_database, drop_databases, find_postgres  # noqa: E402
from deploy.local.broker import ensure_management_api, mask_uri  # noqa: E402
from deploy.local.files import StackError  # noqa: E402
from deploy.local.openbao import BaoServer, find_bao, free_port  # noqa: E402
from deploy.ports import SERVICES  # noqa: E402
from deploy.vault.provision import issue_service_token, provision  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_started_containers = []
#: the PostgreSQL server of the database tests, and why it is (or is not) used; set by pytest_configure
POSTGRES = {"url": None, "why": "not looked for yet"}


def pytest_configure(config):
    """Find RabbitMQ and PostgreSQL; where one is missing and a Docker engine runs, start it there."""
    if broker_error(config.getoption("RABBIT_AMQP_URI")) is not None and containers.docker_available():
        container, amqp_uri, api_uri = containers.start_rabbitmq()
        _started_containers.append(container)
        config.option.RABBIT_AMQP_URI, config.option.RABBIT_API_URI = amqp_uri, api_uri
    url, why = find_postgres()
    if url is None and containers.docker_available():
        container, url = containers.start_postgres()
        _started_containers.append(container)
        why = "no server given or answering locally: started one in a container"
    POSTGRES.update(url=url, why=why)


def pytest_unconfigure(config):
    for container in _started_containers:
        container.stop()


def pytest_generate_tests(metafunc):
    if "dialect" in metafunc.fixturenames:
        POSTGRES["collected"] = True
        metafunc.parametrize("dialect", ["sqlite"] + (["postgresql"] if POSTGRES["url"] else []))


def pytest_collection_finish(session):
    """Tests on RabbitMQ need its management API (nameko creates a vhost per test with it): make
    sure it answers before the first test, or stop at once saying what to run."""
    if not any("rabbit_manager" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    amqp_uri = session.config.getoption("RABBIT_AMQP_URI")
    error = broker_error(amqp_uri)
    if error is not None:
        pytest.exit(f"RabbitMQ is not reachable at {mask_uri(amqp_uri)} ({error}): start it "
                    "(`rabbitmq-server -detached`) or pass --amqp-uri", returncode=3)
    try:
        ensure_management_api(session.config.getoption("RABBIT_API_URI"))
    except StackError as exc:
        pytest.exit(str(exc), returncode=3)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_sep("-", "database dialects")
    if not POSTGRES.get("collected"):
        terminalreporter.write_line("no database test was collected")
        return
    terminalreporter.write_line("sqlite: ran")
    if POSTGRES["url"]:
        terminalreporter.write_line(f"postgresql: ran on {mask_uri(POSTGRES['url'])} ({POSTGRES['why']})")
    else:
        terminalreporter.write_line(f"postgresql: SKIPPED: {POSTGRES['why']}")


def _vault_server(tmp_dir):
    try:
        find_bao()
    except RuntimeError:
        if containers.docker_available():
            return containers.ContainerVault()
        raise
    return BaoServer(tmp_dir, free_port(), dev=True)


@pytest.fixture(scope="session", autouse=True)
def production_log_redaction():
    """Every log record of the run passes the services' production redaction filter as it is made,
    so no handler (pytest's included) ever sees what production logs would not write."""
    make_record = logging.getLogRecordFactory()
    redact = RedactPii()

    def redacted_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        redact.filter(record)
        return record
    logging.setLogRecordFactory(redacted_record)
    yield
    logging.setLogRecordFactory(make_record)


@pytest.fixture(scope="session")
def vault_server(tmp_path_factory):
    """A real OpenBao dev server provisioned as deploy/vault says (keys, policies, identities)."""
    server = _vault_server(tmp_path_factory.mktemp("vault"))
    server.start()
    provision(server.client())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service_tokens(vault_server):
    """A Vault token per service: only that service's policy, bound to its identity entity."""
    root = vault_server.client()
    return {name: issue_service_token(root, name) for name in SERVICES}


@pytest.fixture
def database_url(dialect, tmp_path):
    """``make(service)`` → URL of a fresh, migrated database of that service (dropped afterwards)."""
    created = []

    def make(service):
        if dialect == "sqlite":
            url = f"sqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:6]}.db'}"
        else:
            name = f"anchang_test_{service}_{uuid.uuid4().hex[:10]}"
            url = create_database(POSTGRES["url"], name)
            created.append(name)
        upgrade(service, url)
        return url

    yield make
    drop_databases(POSTGRES["url"], created)


@pytest.fixture
def harness(rabbit_config, container_factory, vault_server, service_tokens, database_url):
    """Starts real service containers on this test's vhost, database and the session's Vault."""
    def config_for(service):
        return service_config(service, rabbit_config["AMQP_URI"], database_url(service), f"127.0.0.1:{free_port()}",
                              vault_server.addr, service_tokens[service])

    harness = ServiceHarness(container_factory, config_for, rabbit_config["AMQP_URI"])
    yield harness
    harness.close()
