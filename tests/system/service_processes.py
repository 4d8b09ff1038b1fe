"""Real service processes for the system tests: ``nameko run`` of a service with its own
``config.yaml`` (production logging, its own Prometheus registry), pointed at a test's broker,
database and Vault and listening on a free port, so tests never touch the local stack's ports."""
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.openbao import free_port
from tests.conftest import REPO

STARTUP_SECONDS = 90
STOP_SECONDS = 30
#: an RPC each service answers (with an error: no token) once it consumes its queue
PROBES = {"staff": ("login", "nobody", "x"), "client_vault": ("get_client", "none"),
          "ticket": ("get_ticket", "none"), "appraisal": ("list_templates",)}


@dataclass
class ServiceProcess:
    name: str
    address: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def get(self, path):
        return requests.get(f"http://{self.address}{path}", timeout=10)

    def samples(self):
        """``[(series name, labels)]`` of every sample its ``/metrics`` serves now."""
        response = self.get("/metrics")
        assert response.status_code == 200, response.text[:500]
        return [(sample.name, sample.labels, sample.value)
                for family in text_string_to_metric_families(response.text) for sample in family.samples]

    def stop(self):
        """SIGTERM (nameko stops gracefully), SIGKILL if it has not stopped in time."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(service, amqp_uri, database_url, vault_addr, vault_token, log_dir, **environ):
    """``service`` running and consuming its RPC queue; ``environ``: more variables of its config."""
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "WEB_SERVER_ADDRESS": address,
           "VAULT_ADDR": vault_addr, "VAULT_TOKEN": vault_token, "VAULT_TOKEN_FILE": "", **environ}
    log = Path(log_dir) / f"{service}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", f"services/{service}/config.yaml",
             f"{service}.service:Service"], cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    running = ServiceProcess(service, address, process, log)
    try:
        _wait_ready(running, amqp_uri, time.monotonic() + STARTUP_SECONDS)
    except BaseException:
        running.stop()
        raise
    return running


def _wait_ready(running, amqp_uri, deadline):
    while True:
        assert running.process.poll() is None, f"{running.name} exited:\n{running.log_tail()}"
        try:
            if running.get("/health/ready").status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{running.name} did not become ready:\n{running.log_tail()}"
        time.sleep(0.2)
    method, *args = PROBES[running.name]
    while True:  # ready over HTTP does not mean consuming RPC yet
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
            try:
                getattr(getattr(rpc, running.name), method)(*args)
                return
            except RemoteError:
                return
            except UnknownService:
                assert time.monotonic() < deadline, f"{running.name} did not consume RPC:\n{running.log_tail()}"
                time.sleep(0.2)
