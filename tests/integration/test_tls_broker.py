"""TLS in transit to the broker (docs/configuration.md#tls-in-transit), over a real TLS listener.

The test starts a second RabbitMQ node beside the machine's: its own node name, ports (a TLS
listener, no plain one), data directory and configuration, with a certificate for ``localhost``
signed by a CA made here with ``trustme``. The real staff service, configured for ``amqps`` with
that CA (``AMQP_SSL_CA_FILE``), serves RPC calls through it; a client with another CA, or that
reaches the node under a name the certificate does not carry, is refused and told why. Skipped
only where the RabbitMQ server binaries are not installed.
"""
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest
import requests
import trustme
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.config import amqp_ssl
from anchang_common.health import broker_error
from anchang_common.migrations import upgrade
from anchang_common.testing import service_config
from deploy.local.openbao import free_port
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService
from tests.integration.accounts import ADMIN_PASSWORD

START_TIMEOUT_SECONDS = 90
#: the server script itself; /usr/sbin/rabbitmq-server (Debian) is a wrapper that switches to the
#: rabbitmq user, which could not read this test's temporary directory
SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/local/lib/rabbitmq/bin/rabbitmq-server")


def rabbitmq_server():
    for candidate in (os.environ.get("ANCHANG_RABBITMQ_SERVER"), *SERVER_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("rabbitmq-server")
    if found and "/sbin/" not in found:
        return found
    return None


class TlsNode:
    """A RabbitMQ node of its own, TLS only, in ``directory``; stopped with its process group."""

    def __init__(self, directory, ca):
        self.directory = directory
        self.port, self.dist_port = free_port(), free_port()
        self.ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert = ca.issue_cert("localhost")
        cert.private_key_pem.write_to_path(str(directory / "server.key"))
        for number, pem in enumerate(cert.cert_chain_pems):
            pem.write_to_path(str(directory / "server.pem"), append=number > 0)
        (directory / "rabbitmq.conf").write_text("\n".join([
            "listeners.tcp = none",
            f"listeners.ssl.default = 127.0.0.1:{self.port}",
            f"ssl_options.cacertfile = {self.ca_file}",
            f"ssl_options.certfile = {directory / 'server.pem'}",
            f"ssl_options.keyfile = {directory / 'server.key'}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
        ]) + "\n")
        (directory / "enabled_plugins").write_text("[].\n")  # no management or Prometheus listener
        (directory / "advanced.config").write_text("[].\n")
        (directory / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq one
        self.log = directory / "server.log"
        self.process = None

    def environment(self):
        directory = self.directory
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),  # its own Erlang cookie
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": f"anchang-tls-{uuid.uuid4().hex[:8]}@localhost",
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(directory / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_PID_FILE": str(directory / "rabbitmq.pid"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
        }

    def uri(self, host="localhost"):
        return f"amqps://guest:guest@{host}:{self.port}/"

    def ssl(self, ca_file=None, host="localhost"):
        """The options a service gets from config.yaml with AMQP_SSL_CA_FILE set (``amqp_ssl``)."""
        return amqp_ssl({"AMQP_URI": self.uri(host), "AMQP_SSL": {"ca_certs": str(ca_file or self.ca_file),
                                                                  "cert_reqs": 2}})

    def start(self, server):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([server], env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        error = "not started"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the TLS node exited ({self.process.returncode}):\n{self.log_tail()}")
            error = broker_error(self.uri(), ssl=self.ssl())
            if error is None:
                return
            time.sleep(0.5)
        raise RuntimeError(f"the TLS node did not answer in {START_TIMEOUT_SECONDS} s ({error}):\n{self.log_tail()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines=30):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory):
    server = rabbitmq_server()
    if server is None:
        pytest.skip("the RabbitMQ server binaries are not installed (rabbitmq-server): no TLS node to start")
    node = TlsNode(tmp_path_factory.mktemp("tls-broker"), trustme.CA())
    try:
        node.start(server)
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
