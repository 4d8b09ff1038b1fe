"""What every Anchang service class inherits: the unit of work, metrics, health endpoints, and the
token-revocation listener for services other than ``staff``."""
import json

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from anchang_common.entrypoints import UnitOfWork, event_handler, transactional
from anchang_common.health import HealthChecks
from anchang_common.metrics import Metrics, exposition
from anchang_common.revocation import RESYNC_SECONDS, TokenVersions, known_staff_ids, record_versions


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
    """Keeps this service's copy of the token versions current (see ``revocation``): on
    ``staff.changed`` it asks staff for that member's version, and every ``RESYNC_SECONDS`` (and at
    start) for every member it knows. It never takes a version from an event."""

    token_versions = TokenVersions()

    @event_handler("staff", "changed")
    def on_staff_changed(self, envelope):
        staff_id = envelope["data"].get("staff_id")
        if isinstance(staff_id, str):
            record_versions(self.unit_of_work.session, self.token_versions([staff_id]), [staff_id])

    @timer(interval=RESYNC_SECONDS, eager=True)
    @transactional
    def resync_token_versions(self):
        known = known_staff_ids(self.unit_of_work.session)
        if known:
            record_versions(self.unit_of_work.session, self.token_versions(known), known)
