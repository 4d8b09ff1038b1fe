"""The business metrics of the ticket service (docs/contract/metrics.md#business-sla).

Histograms and the breach counter are observed only once the worker's unit of work committed (a
rolled-back response is no response); the open and at-risk gauges are computed from the database
when ``/metrics`` is scraped, so every instance reports the same truth.
"""
import logging
import weakref

from nameko.extensions import DependencyProvider
from sqlalchemy import exc as sa_exc

from anchang_common.metrics import (
    TICKET_FIRST_RESPONSE,
    TICKET_RESOLUTION,
    TICKET_SATISFACTION,
    TICKET_SLA_BREACHES,
    TICKETS_AT_RISK,
    TICKETS_OPEN,
)
from ticket import sla

log = logging.getLogger(__name__)


class Recorder:
    """``self.business_metrics`` in a worker: observations kept until the worker succeeded."""

    def __init__(self):
        self.observations = []

    def first_response(self, ticket, seconds):
        self.observations.append((TICKET_FIRST_RESPONSE.labels(ticket.category, ticket.priority).observe, seconds))

    def resolution(self, ticket, seconds):
        self.observations.append((TICKET_RESOLUTION.labels(ticket.category, ticket.priority).observe, seconds))

    def breach(self, ticket, kind):
        self.observations.append((TICKET_SLA_BREACHES.labels(kind, ticket.category, ticket.priority).inc, 1))

    def satisfaction(self, ticket, score):
        self.observations.append((TICKET_SATISFACTION.labels(ticket.category).observe, score))


class BusinessMetrics(DependencyProvider):
    def __init__(self):
        self.recorders = weakref.WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        recorder = self.recorders[worker_ctx] = Recorder()
        return recorder

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        recorder = self.recorders.pop(worker_ctx, None)
        if recorder is not None and exc_info is None:
            for observe, value in recorder.observations:
                observe(value)


def refresh_gauges(store, now):
    """Set ``anchang_tickets_open`` and ``anchang_tickets_at_risk`` from the database (at scrape time)."""
    try:
        open_counts, at_risk = store.open_counts(), store.at_risk_counts(now)
    except sa_exc.SQLAlchemyError as error:  # the scrape still answers; the gauges keep their last values
        log.warning("ticket gauges not refreshed: %s", type(error).__name__)
        return
    TICKETS_OPEN.clear()
    for category, priority, state, count in open_counts:
        TICKETS_OPEN.labels(category, priority, state).set(count)
    for kind in sla.KINDS:
        TICKETS_AT_RISK.labels(kind).set(at_risk.get(kind, 0))
