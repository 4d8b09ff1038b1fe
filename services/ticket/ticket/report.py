"""The SLA report (pure): counts, compliance, median and p90 business minutes, breaches and mean
satisfaction of a set of tickets, grouped by agent, category or priority."""
import math
from collections import defaultdict
from statistics import median

GROUPS = {"agent": "assignee_id", "category": "category", "priority": "priority"}
UNASSIGNED = "unassigned"


def percentile(values, fraction):
    """The nearest-rank percentile of ``values`` (``None`` when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _minutes(seconds):
    return round(seconds / 60, 2) if seconds is not None else None


def _clock_figures(tickets, kind):
    """Compliance counts every ticket whose clock stopped or was breached; times those it stopped."""
    seconds = [t.first_response_seconds if kind == "first_response" else t.resolution_seconds for t in tickets]
    seconds = [s for s in seconds if s is not None]
    measured = [t for t in tickets if (t.first_response_within_sla if kind == "first_response"
                                       else t.resolution_within_sla) is not None or t.is_breached(kind)]
    met = sum(1 for t in measured if not t.is_breached(kind))
    return {"measured": len(measured),
            "compliance_percent": round(100 * met / len(measured), 2) if measured else None,
            "median_business_minutes": _minutes(median(seconds)) if seconds else None,
            "p90_business_minutes": _minutes(percentile(seconds, 0.9)),
            "breaches": sum(1 for t in tickets if t.is_breached(kind))}


def sla_report(tickets, group_by):
    """``[{group, tickets, resolved, first_response, resolution, breaches, mean_satisfaction,
    satisfaction_responses}]``, one per group, in group order."""
    attribute = GROUPS[group_by]
    groups = defaultdict(list)
    for ticket in tickets:
        groups[getattr(ticket, attribute) or UNASSIGNED].append(ticket)
    rows = []
    for group in sorted(groups):
        members = groups[group]
        scores = [t.satisfaction_score for t in members if t.satisfaction_score is not None]
        first, resolution = _clock_figures(members, "first_response"), _clock_figures(members, "resolution")
        rows.append({
            "group": group, "tickets": len(members),
            "resolved": sum(1 for t in members if t.resolved_at is not None),
            "first_response": first, "resolution": resolution,
            "breaches": first["breaches"] + resolution["breaches"],
            "mean_satisfaction": round(sum(scores) / len(scores), 2) if scores else None,
            "satisfaction_responses": len(scores),
        })
    return rows
