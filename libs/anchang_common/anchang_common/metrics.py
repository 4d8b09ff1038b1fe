"""The Prometheus metrics of docs/contract/metrics.md and the ``Metrics`` dependency that times every worker.

One name per metric across services, the service as a label; no label ever carries an id or PII.
"""
import time
import weakref

from nameko.events import EventHandler
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from anchang_common.errors import CLIENT_ERRORS, AnchangError

CLIENT_ERROR_NAMES = {error.__name__ for error in CLIENT_ERRORS}

RPC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MINUTE, HOUR = 60.0, 3600.0
# every SLA policy target is a bucket edge, so compliance can be read off the histogram exactly
BUSINESS_SLA_BUCKETS = tuple(m * MINUTE for m in (1, 5, 15, 30)) + tuple(
    h * HOUR for h in (1, 2, 4, 8, 24, 48, 72))

RPC_DURATION = Histogram(
    "anchang_rpc_duration_seconds", "RPC handling time.", ["service", "method", "outcome"],
    buckets=RPC_BUCKETS)
EVENT_HANDLER_DURATION = Histogram(
    "anchang_event_handler_duration_seconds", "Event handling time.", ["service", "event", "outcome"],
    buckets=RPC_BUCKETS)
DEPENDENCY_DURATION = Histogram(
    "anchang_dependency_duration_seconds", "Time spent calling a dependency.",
    ["service", "dependency", "outcome"], buckets=RPC_BUCKETS)
TICKET_FIRST_RESPONSE = Histogram(
    "anchang_ticket_first_response_business_seconds", "Business time to first response.",
    ["category", "priority"], buckets=BUSINESS_SLA_BUCKETS)
TICKET_RESOLUTION = Histogram(
    "anchang_ticket_resolution_business_seconds", "Business time to resolution.",
    ["category", "priority"], buckets=BUSINESS_SLA_BUCKETS)
TICKET_SLA_BREACHES = Counter(
    "anchang_ticket_sla_breaches_total", "SLA deadlines missed.", ["kind", "category", "priority"])
TICKETS_OPEN = Gauge("anchang_tickets_open", "Open tickets.", ["category", "priority", "state"])
TICKETS_AT_RISK = Gauge("anchang_tickets_at_risk", "Tickets past 80% of an SLA budget.", ["kind"])
TICKET_SATISFACTION = Histogram(
    "anchang_ticket_satisfaction_score", "Customer satisfaction (1..5).", ["category"],
    buckets=(1, 2, 3, 4, 5))
PII_REVEALS = Counter("anchang_pii_reveals_total", "PII reveal requests.", ["outcome", "role"])
PII_REVEAL_ANOMALIES = Counter(
    "anchang_pii_reveal_anomalies_total", "Staff members found over the hourly reveal limit.")
VAULT_OPERATIONS = Counter(
    "anchang_vault_operations_total", "Vault operations.", ["operation", "outcome"])


def outcome_of(exc_info):
    """``ok``, ``client_error`` or ``server_error`` for a worker's result."""
    if exc_info is None:
        return "ok"
    error = exc_info[1]
    if isinstance(error, RemoteError):  # a called service's answer: its own error type decides
        return "client_error" if error.exc_type in CLIENT_ERROR_NAMES else "server_error"
    return error.outcome if isinstance(error, AnchangError) else "server_error"


def exposition():
    """The body and content type of ``GET /metrics``."""
    return generate_latest(), CONTENT_TYPE_LATEST


class Metrics(DependencyProvider):
    """Times every RPC and event-handler worker of the service it is declared on."""

    def __init__(self):
        self.started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        entrypoint = worker_ctx.entrypoint
        service = self.container.service_name
        if isinstance(entrypoint, Rpc):
            RPC_DURATION.labels(service, entrypoint.method_name, outcome_of(exc_info)).observe(elapsed)
        elif isinstance(entrypoint, EventHandler):
            event = f"{entrypoint.source_service}.{entrypoint.event_type}"
            EVENT_HANDLER_DURATION.labels(service, event, outcome_of(exc_info)).observe(elapsed)

    def get_dependency(self, worker_ctx):
        return None


class timed_dependency:
    """Context manager observing ``anchang_dependency_duration_seconds`` for one call."""

    def __init__(self, service, dependency):
        self.service = service
        self.dependency = dependency

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        outcome = "ok" if exc is None else outcome_of((exc_type, exc, tb))
        observe_dependency(self.service, self.dependency, outcome, time.perf_counter() - self.started)
        return False


def observe_dependency(service, dependency, outcome, seconds):
    DEPENDENCY_DURATION.labels(service, dependency, outcome).observe(seconds)
