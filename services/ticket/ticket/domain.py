"""The ticket rules (pure, no I/O): categories and priorities, the lifecycle, who may act on a ticket,
assignment, reopening, and which SLA notifications fall due. Business time is in ``ticket.sla``
and ``ticket.calendar``; the SLA report in ``ticket.report``."""
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ticket import sla

CATEGORIES = ("inquiry", "complaint", "after_sales", "repair")
PRIORITIES = ("low", "normal", "high", "urgent")
#: (first response, resolution) in business minutes, per priority, for every category
DEFAULT_BUDGETS = {"urgent": (15, 4 * 60), "high": (30, 8 * 60), "normal": (2 * 60, 24 * 60),
                   "low": (4 * 60, 72 * 60)}
DEFAULT_CALENDAR = "default"
STATES = ("open", "in_progress", "waiting_customer", "resolved", "closed")
#: the states in which a ticket is someone's work (its SLA clocks may run)
ACTIVE_STATES = ("open", "in_progress", "waiting_customer")
TRANSITIONS = frozenset({
    ("open", "in_progress"), ("in_progress", "waiting_customer"), ("waiting_customer", "in_progress"),
    ("in_progress", "resolved"), ("waiting_customer", "resolved"), ("resolved", "in_progress"),
    ("resolved", "closed"),
})
#: resolving a ticket of these categories schedules an after-sales return visit
FOLLOW_UP_CATEGORIES = ("after_sales", "complaint")
LEVELS = ("at_risk", "breached")
SUPERVISING_ROLES = ("supervisor", "admin")
DEFAULT_REOPEN_WINDOW_DAYS = 7
DEFAULT_FOLLOW_UP_DAYS = 3
SCORES = range(1, 6)


class InvalidTransition(ValueError):
    """A transition the lifecycle does not have; the message names both states."""


class NotYours(ValueError):
    """An agent acting on a ticket assigned to someone else."""


def check_transition(current, target):
    if (current, target) not in TRANSITIONS:
        raise InvalidTransition(f"cannot go from {current} to {target}")


def default_policies(calendar=DEFAULT_CALENDAR):
    return [sla.Policy(category, priority, first, resolution, calendar)
            for category in CATEGORIES for priority, (first, resolution) in DEFAULT_BUDGETS.items()]


@dataclass(frozen=True)
class Notification:
    """A flag of ``Ticket.notified``: ``(kind, level)``."""

    kind: str
    level: str


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    client_id: str
    category: str
    priority: str
    channel: str
    subject: str
    state: str
    assignee_id: str | None
    opened_at: object
    note_id: str
    opened_by: str | None = None
    pauses: tuple = ()
    clocks: dict = field(default_factory=dict)  # {kind: sla.Clock}
    first_responded_at: object = None
    first_response_seconds: int | None = None
    first_response_within_sla: bool | None = None
    resolved_at: object = None
    resolved_by: str | None = None
    resolution_seconds: int | None = None
    resolution_within_sla: bool | None = None
    closed_at: object = None
    reopen_count: int = 0
    linked_ticket_id: str | None = None
    notified: frozenset = frozenset()  # {Notification} already announced
    satisfaction_score: int | None = None

    @property
    def paused(self):
        return any(p.ended_at is None for p in self.pauses)

    def clock_running(self, kind):
        """Whether ``kind``'s clock still counts: the first response until the first response, the
        resolution until resolved; neither once the ticket left the active states."""
        if self.state not in ACTIVE_STATES:
            return False
        return self.first_responded_at is None if kind == "first_response" else True

    def is_breached(self, kind):
        within = self.first_response_within_sla if kind == "first_response" else self.resolution_within_sla
        return within is False or Notification(kind, "breached") in self.notified

    @property
    def breaches(self):
        return [kind for kind in sla.KINDS if self.is_breached(kind)]

    def at_risk(self, now):
        """Unassigned and active, or a running clock past ``AT_RISK_PERCENT`` of its budget."""
        if self.state in ACTIVE_STATES and self.assignee_id is None:
            return True
        return any(self.clock_running(kind) and self.clocks.get(kind) and self.clocks[kind].risk_at
                   and self.clocks[kind].risk_at <= now for kind in sla.KINDS)


@dataclass(frozen=True)
class FollowUp:
    """An after-sales return visit of a ticket."""

    follow_up_id: str
    ticket_id: str
    due_at: object
    notified_at: object = None
    completed_at: object = None
    note_id: str | None = None


def may_act_on(roles, staff_id, ticket):
    """Supervisors (and admins) act on every ticket; anyone else on the tickets assigned to them."""
    if any(role in SUPERVISING_ROLES for role in roles) or ticket.assignee_id == staff_id:
        return
    raise NotYours("only the assignee or a supervisor may act on this ticket")


def choose_agent(agents):
    """The least-loaded agent of ``[{staff_id, load, ...}]`` (ties by staff id), or ``None``."""
    if not agents:
        return None
    return min(agents, key=lambda agent: (agent["load"], agent["staff_id"]))["staff_id"]


def with_clocks(ticket, calendar, policy, at_risk_percent=sla.AT_RISK_PERCENT):
    """``ticket`` with its clocks computed from its stored facts. An unassigned ticket is at risk from
    the moment it opened (nobody is on it): its first-response risk instant is ``opened_at``."""
    clocks = sla.clocks(calendar, policy, ticket.opened_at, ticket.pauses, at_risk_percent)
    if ticket.assignee_id is None and ticket.state in ACTIVE_STATES:
        clocks["first_response"] = replace(clocks["first_response"], risk_at=ticket.opened_at)
    return replace(ticket, clocks=clocks)


def pending_notifications(ticket):
    """``[(Notification, instant)]`` not yet announced, on running clocks, in time order."""
    pending = []
    for kind in sla.KINDS:
        clock = ticket.clocks.get(kind)
        if clock is None or not ticket.clock_running(kind):
            continue
        for level, instant in (("at_risk", clock.risk_at), ("breached", clock.due_at)):
            notification = Notification(kind, level)
            if instant is not None and notification not in ticket.notified:
                pending.append((notification, instant))
    return sorted(pending, key=lambda item: item[1])


def due_notifications(ticket, now):
    """The pending notifications whose instant has come, in time order (at risk before breached)."""
    return [(n, instant) for n, instant in pending_notifications(ticket) if instant <= now]


def next_check_at(ticket):
    """When the escalation timer must look at ``ticket`` next (``None``: nothing left to announce)."""
    pending = pending_notifications(ticket)
    return pending[0][1] if pending else None


def reopens_in_place(ticket, now, window_days):
    """Whether a reopen puts ``ticket`` back in progress (``True``) or opens a new linked ticket
    (``False``): in place only for a resolved ticket within the window after its resolution."""
    if ticket.state in ACTIVE_STATES:
        raise InvalidTransition(f"cannot go from {ticket.state} to in_progress")
    return ticket.state == "resolved" and now - ticket.resolved_at <= timedelta(days=window_days)
