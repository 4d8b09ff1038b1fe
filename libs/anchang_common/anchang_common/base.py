"""What every Anchang service class inherits: the unit of work, metrics, health endpoints, and the
token-revocation listener for services other than ``staff``."""
import json

from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from anchang_common.entrypoints import UnitOfWork, event_handler
from anchang_common.events import record_token_version
from anchang_common.health import HealthChecks
from anchang_common.metrics import Metrics, exposition


class Health(DependencyProvider):
    """Injects the container's ``HealthChecks`` (each dependency registered its own check)."""

    checks = HealthChecks()

    def get_dependency(self, worker_ctx):
        return self.checks


class ServiceBase:
    """Base of the four service classes: the unit of work every entrypoint runs in, ``/metrics``,
    ``/health/live`` and ``/health/ready``. A subclass declares ``permissions`` (its table)."""

    unit_of_work = UnitOfWork()
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
        record_token_version(self.unit_of_work.session, data["staff_id"], int(data["token_version"]))
