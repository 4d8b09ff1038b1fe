"""Readiness: each extension that owns a dependency registers its check here when it is set up
(the database, Vault); the broker check and the consumer check are registered by ``HealthChecks``
itself. ``/health/ready`` runs them all.

The web server answers before the RPC and event consumers have subscribed (nameko starts them side
by side), so "the broker answers" is not "this instance takes work": the ``consuming`` check stays
unavailable until the service's queue consumer has its consumers on the broker. A rollout that waits
for readiness then never stops an old instance before the new one consumes."""
import time

from kombu import Connection
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer

from anchang_common.config import AMQP_SSL, AMQP_URI, amqp_ssl
from anchang_common.errors import DependencyUnavailable

BROKER_CHECK_TIMEOUT_SECONDS = 2
BROKER_CHECK_CACHE_SECONDS = 5


def broker_error(uri, timeout=BROKER_CHECK_TIMEOUT_SECONDS, ssl=None):
    """``None`` when an AMQP connection to ``uri`` opens (one attempt), else the reason. The one
    broker probe: readiness here, and the local stack, the test fixtures and the benchmarks.
    ``ssl``: the TLS options (``config.amqp_ssl``), None for plain AMQP."""
    try:
        with Connection(uri, connect_timeout=timeout, ssl=ssl or False) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout + 1)
    except Exception as error:  # kombu wraps socket and AMQP errors differently per transport
        return str(error) or type(error).__name__
    return None


class HealthChecks(SharedExtension):
    """``{name: check}``; a check raises ``DependencyUnavailable`` when its dependency is down."""

    #: the container's one queue consumer, shared with its RPC and event entrypoints (nameko shares
    #: a shared extension by type), declared here so that the ``consuming`` check can see it
    queue_consumer = QueueConsumer()

    def __init__(self):
        super().__init__()
        self.checks = {}
        self._broker_checked_at = None

    def bind(self, container):
        # every Anchang service binds this extension when its container is made, before any
        # extension reads the config: nameko's consumers and publishers then get AMQP_SSL as kombu
        # takes it (None: plain AMQP; else verified, with the host name)
        container.config[AMQP_SSL] = amqp_ssl(container.config)
        return super().bind(container)

    def setup(self):
        self.checks.setdefault("broker", self.broker_check)
        self.checks.setdefault("consuming", self.consuming_check)

    def register(self, name, check):
        self.checks[name] = check

    def broker_check(self):
        now = time.monotonic()
        if self._broker_checked_at and now - self._broker_checked_at < BROKER_CHECK_CACHE_SECONDS:
            return
        config = self.container.config
        if broker_error(config[AMQP_URI], ssl=config.get(AMQP_SSL)) is not None:
            self._broker_checked_at = None
            raise DependencyUnavailable("broker unavailable")
        self._broker_checked_at = now

    def consuming_check(self):
        """Unavailable until the queue consumer's consumers are ready on the broker (nameko's own
        signal, set once by the first ``on_consume_ready``; after a broken connection the broker
        check says unavailable until the connection is back)."""
        ready = self.queue_consumer._consumers_ready  # nameko keeps no public flag for it
        if not ready.ready() or ready.has_exception():
            raise DependencyUnavailable("not consuming yet")

    def report(self):
        results = {}
        for name, check in sorted(self.checks.items()):
            try:
                check()
                results[name] = "ok"
            except DependencyUnavailable:
                results[name] = "unavailable"
        return results
