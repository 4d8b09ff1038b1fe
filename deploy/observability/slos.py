"""Anchang's service-level objectives: one definition read by the Prometheus rules, the Grafana
dashboards and docs/slo.md's tables.

Every SLI is a *bad-event ratio* over a window: the share of RPC calls that failed on the server's
side, of calls slower than a latency threshold, of tickets answered or resolved later than their
policy. The error budget over ``PERIOD`` is ``1 - objective``; a burn rate of 1 spends it exactly
in ``PERIOD``.
"""
from __future__ import annotations

from dataclasses import dataclass

PERIOD = "30d"

#: the windows the multi-window, multi-burn-rate alerts read (the SRE workbook, chapter 5)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", PERIOD)


@dataclass(frozen=True)
class BurnAlert:
    """Fires when the burn rate exceeds ``factor`` over both ``long`` and ``short`` windows."""

    severity: str
    factor: float
    long: str
    short: str


PAGE = (BurnAlert("page", 14.4, "1h", "5m"), BurnAlert("page", 6, "6h", "30m"))
TICKET = (BurnAlert("ticket", 3, "1d", "2h"), BurnAlert("ticket", 1, "3d", "6h"))

#: the latency SLI's threshold: an edge of the RPC histogram's buckets, so the share is exact
LATENCY_THRESHOLD_SECONDS = 0.5

#: the default policy targets (seeded by ticket) per priority, in seconds: each is a bucket edge
#: of the business-SLA histograms (docs/contract/metrics.md)
FIRST_RESPONSE_TARGETS = {"urgent": 900, "high": 1800, "normal": 7200, "low": 14400}
RESOLUTION_TARGETS = {"urgent": 14400, "high": 28800, "normal": 86400, "low": 259200}


def _le(seconds: float) -> str:
    """The ``le`` label prometheus_client writes for a bucket edge (``900.0``, ``0.5``)."""
    return repr(float(seconds))


@dataclass(frozen=True)
class Slo:
    key: str
    title: str
    objective: float
    #: the labels the ratio keeps (one SLO per value of them)
    by: str
    #: PromQL of the bad-event ratio over ``{w}``
    ratio: str
    #: the recorded series' name, ``level:metric:operations`` with ``{w}`` for the window
    record: str
    description: str

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 6)

    @property
    def alert_name(self) -> str:
        return "Anchang" + "".join(part.title() for part in self.key.split("-"))

    def series(self, window: str) -> str:
        return self.record.replace("{w}", window)

    def ratio_over(self, window: str) -> str:
        return self.ratio.replace("{w}", window)


def _business(metric: str, targets: dict[str, int]) -> str:
    within = " or ".join(
        f'rate({metric}_bucket{{priority="{p}", le="{_le(s)}"}}[{{w}}])' for p, s in targets.items())
    return (f"1 - (sum by (priority) ({within}) / sum by (priority) (rate({metric}_count[{{w}}])))")


RPC_COUNT = "anchang_rpc_duration_seconds_count"
SLOS = (
    Slo("rpc-availability", "RPC availability", 0.999, "service",
        # "or 0 * all": a service without a single server error has a ratio of 0, not none
        f'(sum by (service) (rate({RPC_COUNT}{{outcome="server_error"}}[{{w}}]))'
        f" or 0 * sum by (service) (rate({RPC_COUNT}[{{w}}])))"
        f" / sum by (service) (rate({RPC_COUNT}[{{w}}]))",
        "service:anchang_rpc_errors:ratio_rate{w}",
        "share of RPC calls answered without a server-side error (`outcome` is not `server_error`; "
        "client errors such as `ValidationError` or `Forbidden` are the caller's, not the service's)"),
    Slo("rpc-latency", "RPC latency", 0.99, "service",
        f'1 - (sum by (service) (rate(anchang_rpc_duration_seconds_bucket{{le="{_le(LATENCY_THRESHOLD_SECONDS)}"}}'
        f"[{{w}}])) / sum by (service) (rate({RPC_COUNT}[{{w}}])))",
        "service:anchang_rpc_slow:ratio_rate{w}",
        f"share of RPC calls handled within {LATENCY_THRESHOLD_SECONDS} s (a bucket edge), all outcomes"),
    Slo("ticket-first-response", "Tickets first answered within policy", 0.95, "priority",
        _business("anchang_ticket_first_response_business_seconds", FIRST_RESPONSE_TARGETS),
        "priority:anchang_ticket_first_response_late:ratio_rate{w}",
        "share of first responses within the priority's first-response target, in business time"),
    Slo("ticket-resolution", "Tickets resolved within policy", 0.90, "priority",
        _business("anchang_ticket_resolution_business_seconds", RESOLUTION_TARGETS),
        "priority:anchang_ticket_resolution_late:ratio_rate{w}",
        "share of resolutions within the priority's resolution target, in business time"),
)
