"""A throwaway stack for benchmarks, as production runs it: each service a ``nameko run`` process of
its own (``anchang_common.testing.service_process``) on its own RabbitMQ vhost, an OpenBao dev
server, SQLite files or PostgreSQL databases; the bench process only calls."""
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

from nameko.testing.rabbit import Client as RabbitAdmin

from anchang_common.migrations import upgrade
from anchang_common.testing.databases import create_database, drop_databases
from anchang_common.testing.service_process import ServiceProcess
from deploy.local.broker import DEFAULT_AMQP_URI, DEFAULT_MANAGEMENT_URI, ensure_management_api
from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision

REPO = Path(__file__).resolve().parents[1]
#: a PostgreSQL server for the benchmarks' databases (as in the tests); SQLite files when unset
PG_URL = os.environ.get("ANCHANG_BENCH_PG_URL") or os.environ.get("ANCHANG_TEST_PG_URL")
SERVICES = ("staff", "client_vault", "ticket", "appraisal")


class BenchStack:
    def __init__(self, directory, amqp_uri, vault, dialect):
        self.directory = directory
        self.amqp_uri = amqp_uri
        self.vault = vault
        self.dialect = dialect
        self.urls = {}
        self.tokens = {}
        self.processes = []
        self._databases = []

    def database(self, service):
        """A fresh, migrated database of ``service`` (one per service, shared by its instances)."""
        if service not in self.urls:
            name = f"anchang_bench_{service}_{secrets.token_hex(4)}"
            if self.dialect == "sqlite":
                url = f"sqlite:///{self.directory}/{name}.db"
            else:
                url = create_database(PG_URL, name)
                self._databases.append(name)
            upgrade(service, url)
            self.urls[service] = url
        return self.urls[service]

    def start(self, service, name=None, **environment):
        """A process of ``service`` (``"echo"``: the bare echo service), ready and consuming."""
        if service == "echo":
            process = ServiceProcess("echo", self.directory, target="bench.echo:EchoService",
                                     config=REPO / "bench" / "echo.yaml", AMQP_URI=self.amqp_uri,
                                     PYTHONPATH=REPO, **environment)
        else:
            if service not in self.tokens:
                self.tokens[service] = issue_service_token(self.vault.client(), service)
            process = ServiceProcess(service, self.directory, name=name, AMQP_URI=self.amqp_uri,
                                     DATABASE_URL=self.database(service), VAULT_ADDR=self.vault.addr,
                                     VAULT_TOKEN=self.tokens[service], LOG_LEVEL="WARNING", **environment)
        self.processes.append(process)
        return process.start()

    def wait(self, *processes, consumers=1):
        for process in processes:
            if process.service != "echo":
                process.wait_ready()
            process.wait_consuming(consumers)

    def stop(self):
        for process in self.processes:
            try:
                process.terminate(timeout=20)
            except Exception:  # killed then
                process.kill()
        if self._databases:
            drop_databases(PG_URL, self._databases)


@contextmanager
def bench_stack(dialect="sqlite"):
    """Yields a ``BenchStack`` on a vhost of its own, removed afterwards with everything else."""
    ensure_management_api(DEFAULT_MANAGEMENT_URI)
    rabbit = RabbitAdmin(DEFAULT_MANAGEMENT_URI)
    vhost = f"anchang_bench_{secrets.token_hex(4)}"
    rabbit.create_vhost(vhost)
    rabbit.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = DEFAULT_AMQP_URI.rstrip("/") + "/" + vhost
    with tempfile.TemporaryDirectory() as tmp:
        vault = BaoServer(Path(tmp) / "vault", free_port(), dev=True).start()
        stack = BenchStack(Path(tmp), amqp_uri, vault, dialect)
        try:
            provision(vault.client())
            yield stack
        finally:
            stack.stop()
            vault.stop()
            rabbit.delete_vhost(vhost)
