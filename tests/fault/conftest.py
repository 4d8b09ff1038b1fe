"""Fixtures of the fault tests: the four services as processes (``tests.fault.stack``) on this test's
vhost, the session's Vault and fresh databases of the test's dialect; a RabbitMQ node and a
PostgreSQL cluster of the test's own, for outages that must not touch the machine's servers."""
import pytest

from anchang_common.testing.postgres_cluster import PostgresCluster, postgres_bin_dir
from anchang_common.testing.rabbit_node import RabbitNode, rabbitmq_server
from tests.fault.stack import SERVICES, ProcessStack


@pytest.fixture
def make_stack(tmp_path, vault_server, service_tokens, database_url):
    """``make_stack(amqp_uri, **environment)`` → a seeded ``ProcessStack`` (not started) on fresh
    databases of this test's dialect; every process is stopped at the end."""
    stacks = []

    def make(amqp_uri, vault_addr=None, vault_tokens=None, database_urls=None, **environment):
        urls = database_urls or {service: database_url(service) for service in SERVICES}
        stack = ProcessStack(tmp_path / f"logs-{len(stacks)}", amqp_uri, vault_addr or vault_server.addr,
                             vault_tokens or service_tokens, urls, **environment)
        stacks.append(stack)
        return stack.seed()

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def rabbit_node(tmp_path):
    """A RabbitMQ node of this test's own, free to stop and restart."""
    if rabbitmq_server() is None:
        pytest.skip("the RabbitMQ server binaries (rabbitmq-server) are not installed")
    node = RabbitNode(tmp_path / "rabbit").start()
    yield node
    node.stop(kill=True)


@pytest.fixture
def postgres_cluster():
    """A PostgreSQL cluster of this test's own, free to stop and start."""
    if postgres_bin_dir() is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PostgresCluster().start()
    yield cluster
    cluster.destroy()
