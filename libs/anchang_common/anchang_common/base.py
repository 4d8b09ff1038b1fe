"""What every Anchang service class inherits: metrics, health endpoints and token revocation."""
import json
import time

from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from anchang_common.config import AMQP_URI
from anchang_common.entrypoints import event_handler, session_of
from anchang_common.errors import DependencyUnavailable
from anchang_common.events import record_token_version
from anchang_common.metrics import Metrics, exposition

BROKER_CHECK_TIMEOUT_SECONDS = 2
BROKER_CHECK_CACHE_SECONDS = 5


class Readiness:
    """Runs the ``health_check()`` of every dependency that has one, and checks the broker."""

    def __init__(self, provider):
        self.provider = provider

    def report(self):
        checks = {"broker": self.provider.broker_check}
        for dependency in self.provider.container.dependencies:
            check = getattr(dependency, "health_check", None)
            if check is not None and dependency is not self.provider:
                checks[type(dependency).__name__.lower()] = check
        results = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except DependencyUnavailable:
                results[name] = "unavailable"
        return results


class Health(DependencyProvider):
    def setup(self):
        self._broker_checked_at = None

    def broker_check(self):
        now = time.monotonic()
        if self._broker_checked_at and now - self._broker_checked_at < BROKER_CHECK_CACHE_SECONDS:
            return
        try:
            with Connection(self.container.config[AMQP_URI],
                            connect_timeout=BROKER_CHECK_TIMEOUT_SECONDS) as connection:
                connection.ensure_connection(max_retries=1)
        except Exception as error:  # kombu raises several unrelated types for "not reachable"
            self._broker_checked_at = None
            raise DependencyUnavailable("broker unavailable") from error
        self._broker_checked_at = now

    def get_dependency(self, worker_ctx):
        return Readiness(self)


class ServiceBase:
    """Base of the four service classes: ``/metrics``, ``/health/live``, ``/health/ready``."""

    metrics = Metrics()
    health = Health()

    @http("GET", "/metrics")
    def prometheus_metrics(self, request):
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @http("GET", "/health/live")
    def health_live(self, request):
        return Response(json.dumps({"status": "live"}), content_type="application/json")

    @http("GET", "/health/ready")
    def health_ready(self, request):
        checks = self.health.report()
        ready = all(result == "ok" for result in checks.values())
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": checks})
        return Response(body, status=200 if ready else 503, content_type="application/json")


class RevocationListener:
    """Keeps this service's ``token_versions`` current from ``staff.changed`` (see ``auth``)."""

    @event_handler("staff", "changed")
    def on_staff_changed(self, envelope):
        data = envelope["data"]
        record_token_version(session_of(self), data["staff_id"], int(data["token_version"]))
