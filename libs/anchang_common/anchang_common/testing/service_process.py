"""A service as production runs it: a ``nameko run`` process with the service's own ``config.yaml``,
configured through the environment, its log (JSON lines on stderr) in a file. For tests that stop,
kill or signal a service, and for benchmarks that must not share one interpreter between services.

    process = ServiceProcess("ticket", log_dir, AMQP_URI=..., DATABASE_URL=..., VAULT_ADDR=...,
                             VAULT_TOKEN=...).start()
    process.wait_ready(); process.wait_consuming()
    process.terminate()      # SIGTERM: nameko stops gracefully
"""
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from kombu import Connection

from anchang_common.config import amqp_ssl

STARTUP_SECONDS = 90
STOP_SECONDS = 60


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_file(service):
    """The service's ``config.yaml`` (next to its package)."""
    return Path(importlib.import_module(service).__file__).parent.parent / "config.yaml"


def rpc_consumers(amqp_uri, service, ssl=None):
    """How many consumers ``service``'s RPC queue has now (0 when the queue does not exist yet)."""
    return queue_consumers(amqp_uri, f"rpc-{service}", ssl)


def queue_consumers(amqp_uri, queue, ssl=None):
    """``queue``'s consumer count (0 when it does not exist)."""
    return queue_state(amqp_uri, queue, ssl)[1]


def queue_state(amqp_uri, queue, ssl=None):
    """``(messages ready, consumers)`` of ``queue`` now, asked with a passive declare (``(0, 0)`` when
    it does not exist); unlike the management API's figures, never behind."""
    with Connection(amqp_uri, connect_timeout=5, ssl=ssl or False) as connection:
        channel = connection.channel()
        try:
            declared = channel.queue_declare(queue, passive=True)
        except connection.channel_errors:  # 404: not declared yet
            return 0, 0
        return declared.message_count, declared.consumer_count


class ServiceProcess:
    """``nameko run <service>.service:Service``; ``environment`` overrides the process environment
    (``AMQP_URI``, ``DATABASE_URL``, ``VAULT_ADDR``, ``VAULT_TOKEN``, ...). ``WEB_SERVER_ADDRESS``
    gets a free port unless given; ``VAULT_TOKEN_FILE`` is empty unless given. ``target`` and
    ``config`` run another service class (a benchmark's echo service) with its own configuration."""

    def __init__(self, service, log_dir, name=None, target=None, config=None, **environment):
        self.service = service
        self.target = target or f"{service}.service:Service"
        self.config = config
        self.name = name or service
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.log_dir / f"{self.name}.log"
        environment.setdefault("WEB_SERVER_ADDRESS", f"127.0.0.1:{_free_port()}")
        environment.setdefault("VAULT_TOKEN_FILE", "")
        self.environment = {key: str(value) for key, value in environment.items()}
        self.process = None

    @property
    def amqp_uri(self):
        return self.environment["AMQP_URI"]

    @property
    def http_url(self):
        return f"http://{self.environment['WEB_SERVER_ADDRESS']}"

    @property
    def pid(self):
        return self.process.pid

    def start(self):
        env = {**os.environ, **self.environment}
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(self.config or config_file(self.service)),
                 self.target],
                cwd=self.log_dir, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def ready(self):
        """``/health/ready``'s ``(status code, checks)``; ``(None, {})`` when nothing answers."""
        try:
            response = requests.get(self.http_url + "/health/ready", timeout=5)
        except requests.RequestException:
            return None, {}
        return response.status_code, response.json().get("checks", {})

    def get(self, path, **kwargs):
        return requests.get(self.http_url + path, timeout=10, **kwargs)

    def wait_ready(self, timeout=STARTUP_SECONDS):
        """Until ``/health/ready`` answers 200."""
        deadline = time.monotonic() + timeout
        while self.ready()[0] != 200:
            self._still_running(deadline, "did not become ready")
            time.sleep(0.2)
        return self

    def wait_consuming(self, consumers=1, timeout=STARTUP_SECONDS):
        """Until the service's RPC queue has at least ``consumers`` consumers (this process included)."""
        ssl = amqp_ssl({"AMQP_URI": self.amqp_uri, "AMQP_SSL": {"ca_certs": self.environment.get("AMQP_SSL_CA_FILE"),
                                                                "cert_reqs": 2}})
        deadline = time.monotonic() + timeout
        while rpc_consumers(self.amqp_uri, self.service, ssl) < consumers:
            self._still_running(deadline, "did not start consuming RPC")
            time.sleep(0.2)
        return self

    def _still_running(self, deadline, problem):
        if not self.running():
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{self.name} {problem}:\n{self.log_tail()}")

    def signal(self, signum):
        self.process.send_signal(signum)

    def terminate(self, timeout=STOP_SECONDS):
        """SIGTERM and wait for the exit; killed if it does not exit in ``timeout``. The exit code."""
        if not self.running():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise

    def kill(self):
        """SIGKILL: the process dies at once, as in a crash or an OOM kill."""
        if self.running():
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])
