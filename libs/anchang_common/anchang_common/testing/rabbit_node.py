"""A RabbitMQ node of a test's own, beside the machine's shared broker: its own node name, ports,
data directory and configuration, so a test may stop, kill and restart it (a broker outage) or give
it a TLS-only listener, without touching the broker other tests and engineers use.

    node = RabbitNode(tmp_path / "rabbit").start()
    ... AMQP_URI=node.uri() ...
    node.restart()           # durable queues and persistent messages survive: same data directory
    node.stop()

Needs the RabbitMQ server binaries (``rabbitmq_server()`` says where they are, ``None`` if absent).
"""
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from anchang_common.config import amqp_ssl
from anchang_common.health import broker_error

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 60
#: the server script itself; /usr/sbin/rabbitmq-server (Debian) is a wrapper that switches to the
#: rabbitmq user, which could not read a test's temporary directory
SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/local/lib/rabbitmq/bin/rabbitmq-server")


def rabbitmq_server():
    """Path of the ``rabbitmq-server`` script (``ANCHANG_RABBITMQ_SERVER`` first), or ``None``."""
    for candidate in (os.environ.get("ANCHANG_RABBITMQ_SERVER"), *SERVER_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("rabbitmq-server")
    if found and "/sbin/" not in found:
        return found
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RabbitNode:
    """A node in ``directory``, stopped with its process group. ``tls_ca``: a ``trustme.CA``; the node
    then listens with TLS only, on a certificate for ``localhost`` that CA signed."""

    def __init__(self, directory, tls_ca=None, server=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.server = server or rabbitmq_server()
        if self.server is None:
            raise RuntimeError("the RabbitMQ server binaries (rabbitmq-server) are not installed")
        self.port, self.dist_port = free_port(), free_port()
        self.nodename = f"anchang-test-{uuid.uuid4().hex[:8]}@localhost"
        self.tls = tls_ca is not None
        self.ca_file = self.directory / "ca.pem"
        settings = [f"listeners.tcp.default = 127.0.0.1:{self.port}"]
        if self.tls:
            settings = self._tls_settings(tls_ca)
        (self.directory / "rabbitmq.conf").write_text("\n".join(settings) + "\n")
        (self.directory / "enabled_plugins").write_text("[].\n")  # no management or Prometheus listener
        (self.directory / "advanced.config").write_text("[].\n")
        (self.directory / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq one
        self.log = self.directory / "server.log"
        self.process = None

    def _tls_settings(self, ca):
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert = ca.issue_cert("localhost")
        cert.private_key_pem.write_to_path(str(self.directory / "server.key"))
        for number, pem in enumerate(cert.cert_chain_pems):
            pem.write_to_path(str(self.directory / "server.pem"), append=number > 0)
        return ["listeners.tcp = none",
                f"listeners.ssl.default = 127.0.0.1:{self.port}",
                f"ssl_options.cacertfile = {self.ca_file}",
                f"ssl_options.certfile = {self.directory / 'server.pem'}",
                f"ssl_options.keyfile = {self.directory / 'server.key'}",
                "ssl_options.verify = verify_none",
                "ssl_options.fail_if_no_peer_cert = false"]

    def environment(self):
        directory = self.directory
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),  # its own Erlang cookie
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": self.nodename,
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
        scheme = "amqps" if self.tls else "amqp"
        return f"{scheme}://guest:guest@{host}:{self.port}/"

    def ssl(self, ca_file=None, host="localhost"):
        """The TLS options a service gets from config.yaml with AMQP_SSL_CA_FILE set (``amqp_ssl``);
        ``None`` for a plain node."""
        if not self.tls:
            return None
        return amqp_ssl({"AMQP_URI": self.uri(host), "AMQP_SSL": {"ca_certs": str(ca_file or self.ca_file),
                                                                  "cert_reqs": 2}})

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self, timeout=START_TIMEOUT_SECONDS):
        """Start the node (again: same name, ports and data) and wait until it accepts AMQP."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([self.server], env=self.environment(), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        error = "not started"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the RabbitMQ node exited ({self.process.returncode}):\n{self.log_tail()}")
            error = broker_error(self.uri(), ssl=self.ssl())
            if error is None:
                return self
            time.sleep(0.5)
        raise RuntimeError(f"the RabbitMQ node did not answer in {timeout} s ({error}):\n{self.log_tail()}")

    def stop(self, kill=False):
        """Stop the node: gracefully (SIGTERM), or ``kill``ed at once as a crash would."""
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self, kill=False):
        self.stop(kill=kill)
        return self.start()

    def log_tail(self, lines=30):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""
