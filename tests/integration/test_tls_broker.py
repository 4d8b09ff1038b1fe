"""TLS in transit to the broker (docs/configuration.md#tls-in-transit), over a real TLS listener.

The test starts a second RabbitMQ node beside the machine's: its own node name, ports (a TLS
listener, no plain one), data directory and configuration, with a certificate for ``localhost``
signed by a CA made here with ``trustme``. The real staff service, configured for ``amqps`` with
that CA (``AMQP_SSL_CA_FILE``), serves RPC calls through it; a client with another CA, or that
reaches the node under a name the certificate does not carry, is refused and told why. Skipped
only where the RabbitMQ server binaries are not installed.
"""
import pytest
import requests
import trustme
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.config import amqp_ssl
from anchang_common.health import broker_error
from anchang_common.migrations import upgrade
from anchang_common.testing import service_config
from anchang_common.testing.rabbit_node import RabbitNode, rabbitmq_server
from deploy.local.openbao import free_port
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService
from tests.integration.accounts import ADMIN_PASSWORD


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory):
    server = rabbitmq_server()
    if server is None:
        pytest.skip("the RabbitMQ server binaries are not installed (rabbitmq-server): no TLS node to start")
    node = RabbitNode(tmp_path_factory.mktemp("tls-broker"), tls_ca=trustme.CA(), server=server)
    try:
        node.start()
        yield node
    finally:
        node.stop()


def test_a_service_configured_for_amqps_serves_rpc_through_the_tls_node(
        tls_node, container_factory, vault_server, service_tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("AMQP_SSL_CA_FILE", str(tls_node.ca_file))  # as the tls component sets it
    database = f"sqlite:///{tmp_path / 'staff.db'}"
    upgrade("staff", database)
    seed_admin(database, ADMIN_PASSWORD)
    config = service_config("staff", tls_node.uri(), database, f"127.0.0.1:{free_port()}",
                            vault_server.addr, service_tokens["staff"])
    assert config["AMQP_SSL"] == {"ca_certs": str(tls_node.ca_file), "cert_reqs": 2}  # from config.yaml
    container = container_factory(StaffService, config)
    container.start()
    # the host name the certificate must carry is the broker's, from AMQP_URI
    assert config["AMQP_SSL"]["server_hostname"] == "localhost"

    with ClusterRpcProxy({"AMQP_URI": tls_node.uri(), "AMQP_SSL": tls_node.ssl()}, timeout=30) as rpc:
        assert rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
    ready = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/health/ready", timeout=10)
    assert ready.json()["checks"]["broker"] == "ok", ready.text


def test_a_client_with_another_ca_is_refused_and_told_why(tls_node, tmp_path):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    error = broker_error(tls_node.uri(), ssl=tls_node.ssl(ca_file=other))
    assert error is not None and "certificate verify failed" in error, error


def test_a_broker_reached_under_a_name_its_certificate_lacks_is_refused(tls_node):
    error = broker_error(tls_node.uri("127.0.0.1"), ssl=tls_node.ssl(host="127.0.0.1"))
    assert error is not None and "certificate verify failed" in error and "127.0.0.1" in error, error


def test_without_a_ca_file_the_link_stays_plain(tls_node):
    plain = amqp_ssl({"AMQP_URI": tls_node.uri(), "AMQP_SSL": {"ca_certs": None, "cert_reqs": 2}})
    assert plain is None
    assert broker_error(tls_node.uri().replace("amqps://", "amqp://"), ssl=plain) is not None  # TLS only there
