"""SLA clocks in business time (pure, no I/O).

A ticket's two clocks (first response, resolution) run from ``opened_at`` in its calendar's business
time, except during pauses: the time the ticket waits for the customer, and the time it spends
resolved before a reopen. A deadline is the instant the budget of business time runs out; while a
pause is open there is none (``None``: paused), and on resume it follows from the budget left.
Everything is computed from stored facts (opened_at, pauses, policy, calendar), so a change of
policy or calendar recomputes the deadlines of open tickets by calling the same functions again.
"""
from dataclasses import dataclass
from datetime import timedelta

from ticket.calendar import ZERO

KINDS = ("first_response", "resolution")
AT_RISK_PERCENT = 80


@dataclass(frozen=True)
class Pause:
    started_at: object  # datetime
    ended_at: object = None  # None: still paused


@dataclass(frozen=True)
class Policy:
    category: str
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    calendar: str

    def budget(self, kind):
        minutes = self.first_response_minutes if kind == "first_response" else self.resolution_minutes
        return timedelta(minutes=minutes)


@dataclass(frozen=True)
class Clock:
    """One clock's deadline and the instant it reaches ``AT_RISK_PERCENT`` of its budget (``None`` both
    while paused)."""

    due_at: object = None
    risk_at: object = None


def running_segments(opened_at, pauses):
    """``(start, end)`` spans during which the clocks run; the last one's ``end`` is ``None`` unless
    the ticket is paused now (then there is no open-ended span)."""
    cursor = opened_at
    for pause in sorted(pauses, key=lambda p: p.started_at):
        if pause.started_at > cursor:
            yield cursor, pause.started_at
        if pause.ended_at is None:
            return
        cursor = max(cursor, pause.ended_at)
    yield cursor, None


def deadline(calendar, opened_at, budget, pauses):
    """When ``budget`` of business time counted from ``opened_at``, pauses excluded, runs out; ``None``
    while paused with budget left."""
    remaining = budget
    for start, end in running_segments(opened_at, pauses):
        if end is None:
            return calendar.add_business_time(start, remaining)
        available = calendar.business_time_between(start, end)
        if remaining <= available:
            return calendar.add_business_time(start, remaining)
        remaining -= available
    return None


def elapsed(calendar, opened_at, until, pauses):
    """Business time from ``opened_at`` to ``until``, pauses excluded."""
    total = ZERO
    for start, end in running_segments(opened_at, pauses):
        end = until if end is None else min(end, until)
        if end <= start:
            break
        total += calendar.business_time_between(start, end)
    return total


def clock(calendar, opened_at, budget, pauses, at_risk_percent=AT_RISK_PERCENT):
    return Clock(due_at=deadline(calendar, opened_at, budget, pauses),
                 risk_at=deadline(calendar, opened_at, budget * at_risk_percent / 100, pauses))


def clocks(calendar, policy, opened_at, pauses, at_risk_percent=AT_RISK_PERCENT):
    """``{kind: Clock}`` of a ticket under ``policy``."""
    return {kind: clock(calendar, opened_at, policy.budget(kind), pauses, at_risk_percent) for kind in KINDS}


def within(calendar, policy, kind, opened_at, until, pauses):
    """``(business seconds, within the SLA)`` of a clock stopped at ``until``."""
    spent = elapsed(calendar, opened_at, until, pauses)
    return int(spent.total_seconds()), spent <= policy.budget(kind)
