"""The raw value of each objective KPI, computed from the facts at the time of asking.

Ticket events are kept as facts (one per event id, each on its day) and nothing is derived when an
event arrives: every KPI is a function of the *set* of facts of a period, so events handled in any
order, or twice, give the same values (a ``resolved`` before its ``opened`` is just another fact).
Training scores and certificates come from the member's record at ``staff`` (``StaffRecord``).
Rates and means without a single fact behind them are *not measured* (``None``); counts are 0.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

COMPLAINT = "complaint"
#: ticket event names (the part after ``ticket.``) whose facts are kept
TICKET_EVENTS = ("opened", "assigned", "first_responded", "resolved", "reopened", "closed", "sla_at_risk",
                 "sla_breached", "satisfaction_recorded", "follow_up_due")

#: the kinds of fact the ticket KPIs are computed from (the others are kept, for later KPIs)
KPI_EVENTS = ("first_responded", "resolved", "reopened", "satisfaction_recorded")


@dataclass(frozen=True)
class TicketFact:
    """One ticket event, attributed to ``staff_id`` (who responded, resolved, was rated; else the
    assignee) on ``day``."""

    event_id: str
    kind: str  # one of TICKET_EVENTS
    ticket_id: str
    staff_id: str | None
    day: date
    occurred_at: datetime
    category: str | None = None
    within_sla: bool | None = None
    business_seconds: int | None = None
    score: int | None = None


@dataclass(frozen=True)
class Certificate:
    code: str
    issued_on: date
    expires_on: date | None


@dataclass(frozen=True)
class Training:
    module_code: str
    score: float


@dataclass(frozen=True)
class StaffRecord:
    """What ``staff`` says of a member (``get_staff``/``list_staff``): no name, no secrets."""

    staff_id: str
    status: str
    roles: tuple[str, ...] = ()
    position_code: str | None = None
    certificates: tuple[Certificate, ...] = ()
    trainings: tuple[Training, ...] = ()

    def certificates_held(self, on: date) -> tuple[Certificate, ...]:
        """Certificates issued by ``on`` and not expired before it."""
        return tuple(c for c in self.certificates
                     if c.issued_on <= on and (c.expires_on is None or c.expires_on >= on))


@dataclass(frozen=True)
class RawValue:
    """A KPI's raw value (``None``: not measured) and the number of facts it was computed from."""

    value: Fraction | None
    events: int


def _percent(part: int, whole: int) -> Fraction | None:
    return Fraction(100 * part, whole) if whole else None


@dataclass(frozen=True)
class TicketTotals:
    """What the ticket KPIs of one member over a period are computed from: counts of facts and of
    distinct tickets. ``ticket_totals`` defines them over facts; the storage computes the same totals
    in one query (``AppraisalStorage.ticket_totals``), so that a scorecard reads one row per member,
    not every fact (a test holds the two to the same numbers)."""

    responded: int = 0  # first_responded facts
    responded_within: int = 0  # ... of them within the SLA
    resolutions: int = 0  # resolved facts (a ticket resolved twice counts twice)
    resolutions_within: int = 0
    resolved_tickets: int = 0  # distinct tickets resolved
    complaint_resolutions: int = 0
    complaint_tickets: int = 0  # distinct complaints resolved
    reopenings: int = 0  # reopened facts (by anyone) of the tickets the member resolved in the period
    reopened_tickets: int = 0  # distinct tickets among them
    surveys: int = 0  # tickets with a scored satisfaction fact of the member: the latest of each counts
    survey_score_sum: int = 0


def _latest_per_ticket(facts):
    """The latest fact of each ticket (by time, then event id: the same whatever the arrival order)."""
    latest = {}
    for fact in facts:
        kept = latest.get(fact.ticket_id)
        if kept is None or (fact.occurred_at, fact.event_id) > (kept.occurred_at, kept.event_id):
            latest[fact.ticket_id] = fact
    return list(latest.values())


def ticket_totals(staff_id: str, facts: Iterable[TicketFact], start: date, end: date) -> TicketTotals:
    """The totals of ``staff_id`` over the days ``start``..``end`` (inclusive).

    ``facts`` may hold anyone's facts; those of the member (and the reopenings of the tickets the
    member resolved) are taken. Duplicates (one event id twice) count once.
    """
    period = {f.event_id: f for f in facts if start <= f.day <= end}.values()
    mine = [f for f in period if f.staff_id == staff_id]
    responded = [f for f in mine if f.kind == "first_responded"]
    resolutions = [f for f in mine if f.kind == "resolved"]
    resolved = {f.ticket_id for f in resolutions}
    complaints = [f for f in resolutions if f.category == COMPLAINT]
    reopenings = [f for f in period if f.kind == "reopened" and f.ticket_id in resolved]
    surveys = _latest_per_ticket([f for f in mine if f.kind == "satisfaction_recorded" and f.score is not None])
    return TicketTotals(
        responded=len(responded), responded_within=sum(1 for f in responded if f.within_sla),
        resolutions=len(resolutions), resolutions_within=sum(1 for f in resolutions if f.within_sla),
        resolved_tickets=len(resolved), complaint_resolutions=len(complaints),
        complaint_tickets=len({f.ticket_id for f in complaints}), reopenings=len(reopenings),
        reopened_tickets=len({f.ticket_id for f in reopenings}), surveys=len(surveys),
        survey_score_sum=sum(f.score for f in surveys))


def ticket_values(totals: TicketTotals) -> dict[str, RawValue]:
    """The ticket KPIs from a member's totals."""
    t = totals
    return {
        "first_response_compliance": RawValue(_percent(t.responded_within, t.responded), t.responded),
        "resolution_compliance": RawValue(_percent(t.resolutions_within, t.resolutions), t.resolutions),
        "mean_satisfaction": RawValue(Fraction(t.survey_score_sum, t.surveys) if t.surveys else None, t.surveys),
        "complaints_handled": RawValue(Fraction(t.complaint_tickets), t.complaint_resolutions),
        "reopen_rate": RawValue(_percent(t.reopened_tickets, t.resolved_tickets), t.resolutions + t.reopenings),
        "tickets_resolved": RawValue(Fraction(t.resolved_tickets), t.resolutions),
    }


def ticket_raw_values(staff_id: str, facts: Iterable[TicketFact], start: date, end: date) -> dict[str, RawValue]:
    """The ticket KPIs of ``staff_id`` over the days ``start``..``end`` from the facts themselves."""
    return ticket_values(ticket_totals(staff_id, facts, start, end))


def staff_raw_values(record: StaffRecord | None, end: date) -> dict[str, RawValue]:
    """``training_score``: the mean over modules of the best score of each; ``certificates_held``:
    certificates current on the last day of the period."""
    if record is None:
        return {"training_score": RawValue(None, 0), "certificates_held": RawValue(None, 0)}
    best = {}
    for training in record.trainings:
        best[training.module_code] = max(best.get(training.module_code, training.score), training.score)
    score = sum((Fraction(s) for s in best.values()), Fraction(0)) / len(best) if best else None
    return {"training_score": RawValue(score, len(record.trainings)),
            "certificates_held": RawValue(Fraction(len(record.certificates_held(end))), len(record.certificates))}


def raw_values(staff_id, facts, record, start, end) -> dict[str, RawValue]:
    """Every objective KPI of ``staff_id`` (``templates.METRICS``) from the facts themselves."""
    return ticket_raw_values(staff_id, facts, start, end) | staff_raw_values(record, end)


def values_from_totals(totals: TicketTotals, record: StaffRecord | None, end: date) -> dict[str, RawValue]:
    """Every objective KPI from a member's ticket totals and staff record (what a scorecard reads)."""
    return ticket_values(totals) | staff_raw_values(record, end)
