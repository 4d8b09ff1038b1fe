"""The four services as production runs them, for fault tests and leak scans: ``nameko run``
processes (``anchang_common.testing.service_process``) on one broker, one Vault and a database each,
with the seeds ``make run`` applies, and the people and clients a scenario needs.

``ProcessStack.rpc(token)`` has the shape of ``ServiceHarness.rpc``, so the integration tests'
helpers (``tests.integration.test_staff.hire_and_activate``) work on it too.
"""
import time
import uuid
from contextlib import contextmanager

import eventlet
import sqlalchemy as sa
from nameko.exceptions import RemoteError, RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.testing.service_process import ServiceProcess
from appraisal.bootstrap import seed_default_template
from staff.bootstrap import seed_admin
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.test_staff import PASSWORD, hire_and_activate
from ticket.bootstrap import seed as seed_ticket

SERVICES = ("staff", "client_vault", "ticket", "appraisal")
#: how often a service's outbox relay runs in these tests (production: 5 s)
OUTBOX_RELAY_SECONDS = 1
#: errors after which a caller under a fault retries the same call (same idempotency key)
RETRIED_REMOTE_ERRORS = ("DependencyUnavailable", "Conflict")


class ProcessStack:
    """Service processes sharing ``amqp_uri`` and Vault; ``database_urls[service]`` each."""

    def __init__(self, log_dir, amqp_uri, vault_addr, vault_tokens, database_urls, **environment):
        self.log_dir = log_dir
        self.amqp_uri = amqp_uri
        self.vault_addr = vault_addr
        self.vault_tokens = vault_tokens
        self.database_urls = database_urls
        self.environment = {"LOG_LEVEL": "INFO", "OUTBOX_RELAY_SECONDS": OUTBOX_RELAY_SECONDS, **environment}
        self.processes = {}

    def seed(self):
        """What ``make run`` seeds: the admin, ticket's calendars and policies, appraisal's template."""
        seed_admin(self.database_urls["staff"], ADMIN_PASSWORD)
        seed_ticket(self.database_urls["ticket"])
        seed_default_template(self.database_urls["appraisal"])
        return self

    def process(self, service, name=None, **environment):
        """A (not yet started) process of ``service``; ``name`` tells two instances apart."""
        process = ServiceProcess(service, self.log_dir, name=name, AMQP_URI=self.amqp_uri,
                                 DATABASE_URL=self.database_urls[service], VAULT_ADDR=self.vault_addr,
                                 VAULT_TOKEN=self.vault_tokens[service], **{**self.environment, **environment})
        self.processes[name or service] = process
        return process

    def start(self, *services, **environment):
        """Start ``services`` (default: all four) and wait until each is ready and consuming."""
        started = [self.process(service, **environment).start() for service in services or SERVICES]
        for process in started:
            process.wait_ready()
            process.wait_consuming()
        return self

    def __getitem__(self, name):
        return self.processes[name]

    @contextmanager
    def rpc(self, token=None, timeout=30):
        context = {CONTEXT_KEY: f"Bearer {token}"} if token else None
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, context_data=context, timeout=timeout) as proxy:
            yield proxy

    def login(self, username, password=PASSWORD):
        with self.rpc() as proxy:
            return proxy.staff.login(username, password)

    def stop(self):
        for process in self.processes.values():
            try:
                process.terminate(timeout=20)
            except Exception:  # killed then; the test is over
                process.kill()

    def logs(self):
        return {name: process.log_text() for name, process in self.processes.items()}


def admin_token(stack):
    return stack.login("admin", ADMIN_PASSWORD)["token"]


def agents(stack, admin, count=2):
    """``count`` active agents of every skill; their staff ids."""
    return [hire_and_activate(stack, admin, f"agent.{n}.{uuid.uuid4().hex[:4]}", ["agent"]) for n in range(count)]


def client_profile(n):
    return {"name": f"客户{n}", "phone": f"139{n:08d}", "source": "walk_in",
            "consent": {"purpose": "service", "granted_at": "2026-01-05T09:00:00+08:00"}}


def register_clients(stack, token, count):
    with stack.rpc(token) as proxy:
        return [proxy.client_vault.register_client(client_profile(n))["client_id"] for n in range(count)]


def new_ticket(client_id, n, category="inquiry"):
    return {"client_id": client_id, "category": category, "priority": "normal", "channel": "phone",
            "subject": f"ticket {n}", "description": f"question number {n}"}


class PersistentCaller:
    """A caller that keeps at it through a fault: the same call (same idempotency key) again after a
    broken connection, a timeout, or a ``DependencyUnavailable``/``Conflict`` reply, with a new
    proxy when the old one broke, until ``deadline``. Counts what it saw."""

    def __init__(self, stack, token, timeout=10, pause=0.5):
        self.stack = stack
        self.token = token
        self.timeout = timeout
        self.pause = pause
        self.failures = {}
        self._proxy = None
        self._context = None

    def _connected(self):
        if self._proxy is None:
            self._context = self.stack.rpc(self.token, timeout=self.timeout)
            self._proxy = self._context.__enter__()
        return self._proxy

    def _drop(self):
        context, self._proxy, self._context = self._context, None, None
        if context is not None:
            try:
                context.__exit__(None, None, None)
            except Exception:  # the connection is already broken
                pass

    def call(self, method, deadline, *args, **kwargs):
        """``method(proxy)(*args, **kwargs)``'s answer; retried until ``deadline`` (monotonic)."""
        while True:
            try:
                return method(self._connected())(*args, **kwargs)
            except RemoteError as error:
                if error.exc_type not in RETRIED_REMOTE_ERRORS:
                    raise
                kind = error.exc_type
            except RpcTimeout:
                kind = "RpcTimeout"
                self._drop()  # a late reply must not be taken for the next call's
            except Exception as error:  # the broker went away under the proxy
                kind = type(error).__name__
                self._drop()
            self.failures[kind] = self.failures.get(kind, 0) + 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer before the deadline; failures: {self.failures}")
            eventlet.sleep(self.pause)

    def close(self):
        self._drop()


def scalar(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def rows(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def wait_until(condition, timeout, what, interval=0.25):
    """Poll ``condition()`` until it is truthy (its value) or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        eventlet.sleep(interval)
