"""The ticket service's storage: every query of the service, and the mapping between its rows
(``ticket.models``) and the domain objects of ``ticket.domain``, ``ticket.sla`` and ``ticket.calendar``.

``TicketStore`` injects a ``TicketStorage`` bound to the worker's session, the one the gate, the
outbox and the unit of work use: what a method writes here is committed (or rolled back) with its
events. Methods raise ``NotFound`` and ``Conflict`` in the words of the contract.

Deadlines are stored with each ticket (so a view and the escalation scan read them from one row) and
recomputed from the facts by ``refresh_clocks`` whenever a fact changes: a pause, a resume, a
response, an assignment, the ticket's policy or its calendar.
"""
from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from anchang_common.db import Storage
from anchang_common.errors import Conflict, NotFound
from anchang_common.types import utcnow
from ticket import domain, sla
from ticket.calendar import BusinessCalendar, format_clock, parse_clock
from ticket.models import Calendar, FollowUp, Message, Pause, SlaPolicy, Ticket, notified_column

#: parsed calendars by (code key, version): a calendar carries years of holidays, parsed once
_CALENDARS = {}
NOTIFICATIONS = [domain.Notification(kind, level) for kind in sla.KINDS for level in domain.LEVELS]


class TicketStorage:
    """Queries and row <-> domain mapping of the ticket service, over one session."""

    def __init__(self, session):
        self.session = session

    @property
    def dialect(self):
        return self.session.get_bind().dialect.name

    # -- calendars and policies ----------------------------------------------------------------
    def calendar(self, code):
        """The ``BusinessCalendar`` with ``code`` in any case; ``NotFound`` otherwise."""
        key = code.lower()
        version = self.session.scalar(sa.select(Calendar.version).where(Calendar.code_key == key))
        if version is None:
            raise NotFound(f"calendar {code} not found")
        cached = _CALENDARS.get((key, version))
        if cached is None:
            cached = _CALENDARS[(key, version)] = _calendar(self.session.get(Calendar, key))
        return cached

    def calendar_or_none(self, code):
        try:
            return self.calendar(code)
        except NotFound:
            return None

    def put_calendar(self, calendar):
        """Store ``calendar`` under its code (a new one, or a new version of the one of that code)."""
        row = self.session.get(Calendar, calendar.code.lower())
        values = {"code": calendar.code, "timezone": calendar.timezone, "hours": _hours_view(calendar.hours),
                  "holidays": _dates_view(calendar.holidays), "workdays": _dates_view(calendar.workdays)}
        if row is None:
            self.session.add(Calendar(code_key=calendar.code.lower(), version=1, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
            row.updated_at = utcnow()
        self.session.flush()

    def policy(self, category, priority):
        row = self.session.get(SlaPolicy, (category, priority))
        if row is None:
            raise NotFound(f"no SLA policy for {category}/{priority}")
        return self._policy(row)

    def _policy(self, row):
        code = self.session.scalar(sa.select(Calendar.code).where(Calendar.code_key == row.calendar_key))
        return sla.Policy(row.category, row.priority, row.first_response_minutes, row.resolution_minutes, code)

    def policies(self):
        return [self._policy(row) for row in self.session.scalars(
            sa.select(SlaPolicy).order_by(SlaPolicy.category, SlaPolicy.priority))]

    def put_policy(self, policy):
        """Store ``policy`` (its calendar must exist: ``NotFound`` otherwise)."""
        self.calendar(policy.calendar)
        row = self.session.get(SlaPolicy, (policy.category, policy.priority))
        if row is None:
            row = SlaPolicy(category=policy.category, priority=policy.priority)
            self.session.add(row)
        row.first_response_minutes = policy.first_response_minutes
        row.resolution_minutes = policy.resolution_minutes
        row.calendar_key = policy.calendar.lower()
        row.updated_at = utcnow()
        self.session.flush()

    def active_ticket_ids(self, category=None, priority=None, calendar=None):
        """Ids of the tickets in an active state, of one policy or of the policies of one calendar."""
        query = sa.select(Ticket.id).where(Ticket.state.in_(domain.ACTIVE_STATES))
        if category is not None:
            query = query.where(Ticket.category == category, Ticket.priority == priority)
        if calendar is not None:
            policies = sa.select(SlaPolicy.category, SlaPolicy.priority).where(
                SlaPolicy.calendar_key == calendar.lower())
            query = query.where(sa.tuple_(Ticket.category, Ticket.priority).in_(policies))
        return list(self.session.scalars(query))

    # -- tickets -------------------------------------------------------------------------------
    def add_ticket(self, ticket):
        """Store a new ``domain.Ticket`` (its id chosen here); returns it with its id and clocks."""
        row = Ticket(client_id=ticket.client_id, category=ticket.category, priority=ticket.priority,
                     channel=ticket.channel, subject=ticket.subject, state=ticket.state,
                     assignee_id=ticket.assignee_id, opened_by=ticket.opened_by, opened_at=ticket.opened_at,
                     note_id=ticket.note_id, linked_ticket_id=ticket.linked_ticket_id, reopen_count=0)
        self.session.add(row)
        self.session.flush()
        return self.refresh_clocks(row.id)

    def ticket(self, ticket_id, lock=False):
        """The ``domain.Ticket`` (clocks as stored, no pauses); with ``lock``, its row is locked until
        commit (PostgreSQL; on SQLite the first write takes the database's one write lock).
        ``NotFound`` otherwise."""
        query = sa.select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
        if lock:
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            raise NotFound("ticket not found")
        return _ticket(row)

    def update_ticket(self, ticket_id, **fields):
        self.session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(updated_at=utcnow(), **fields))

    def refresh_clocks(self, ticket_id, at_risk_percent=sla.AT_RISK_PERCENT):
        """Recompute the ticket's deadlines from its facts, store them, return the ticket with them."""
        ticket, pauses = self.ticket(ticket_id), self._pauses(ticket_id)
        policy = self.policy(ticket.category, ticket.priority)
        ticket = domain.with_clocks(replace(ticket, pauses=pauses), self.calendar(policy.calendar), policy,
                                    at_risk_percent)
        self.update_ticket(ticket_id, **_clock_columns(ticket))
        return ticket

    def clock_stopped(self, ticket_id, kind, at):
        """``(business seconds, within the SLA)`` of the ticket's ``kind`` clock stopped at ``at``."""
        ticket, pauses = self.ticket(ticket_id), self._pauses(ticket_id)
        policy = self.policy(ticket.category, ticket.priority)
        return sla.within(self.calendar(policy.calendar), policy, kind, ticket.opened_at, at, pauses)

    def _pauses(self, ticket_id):
        return tuple(sla.Pause(p.started_at, p.ended_at) for p in self.session.scalars(
            sa.select(Pause).where(Pause.ticket_id == ticket_id).order_by(Pause.started_at)))

    def add_pause(self, ticket_id, reason, at):
        self.session.add(Pause(ticket_id=ticket_id, reason=reason, started_at=at))
        self.session.flush()

    def end_pause(self, ticket_id, at):
        self.session.execute(sa.update(Pause).where(Pause.ticket_id == ticket_id, Pause.ended_at.is_(None))
                             .values(ended_at=at))

    def add_message(self, ticket_id, kind, note_id, staff_id):
        self.session.add(Message(ticket_id=ticket_id, kind=kind, note_id=note_id, staff_id=staff_id))

    def record_satisfaction(self, ticket_id, score, note_id, at):
        """Record the ticket's one satisfaction score; ``Conflict`` when it has one already."""
        done = self.session.execute(sa.update(Ticket).where(
            Ticket.id == ticket_id, Ticket.satisfaction_score.is_(None)).values(
            satisfaction_score=score, satisfaction_note_id=note_id, satisfaction_recorded_at=at))
        if done.rowcount != 1:
            raise Conflict("satisfaction was already recorded for this ticket")

    def tickets(self, state=None, category=None, priority=None, assignee_id=None, client_id=None, limit=100):
        query = sa.select(Ticket)
        for column, value in ((Ticket.state, state), (Ticket.category, category), (Ticket.priority, priority),
                              (Ticket.assignee_id, assignee_id), (Ticket.client_id, client_id)):
            if value is not None:
                query = query.where(column == value)
        return [_ticket(row) for row in self.session.scalars(
            query.order_by(Ticket.opened_at.desc(), Ticket.id).limit(limit))]

    def has_open_assignment(self, staff_id, client_id):
        return self.session.scalar(sa.select(sa.literal(True)).where(
            Ticket.client_id == client_id, Ticket.assignee_id == staff_id,
            Ticket.state.in_(domain.ACTIVE_STATES)).limit(1)) is not None

    def opened_between(self, since, until):
        return [_ticket(row) for row in self.session.scalars(sa.select(Ticket).where(
            Ticket.opened_at >= since, Ticket.opened_at < until))]

    # -- escalation ----------------------------------------------------------------------------
    def claim_due_tickets(self, now, limit):
        """Tickets with something to announce by ``now``, read through the ``next_check_at`` index.
        On PostgreSQL their rows are locked and rows another instance holds are skipped, so two
        instances share the work; the announcement itself is claimed by ``claim_notification``."""
        query = breach_query(now, limit)
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(query))
        return [self.ticket(ticket_id) for ticket_id in ids]

    def claim_notification(self, ticket_id, notification, now):
        """Mark ``notification`` announced unless it was: whether this caller claimed it. A conditional
        update, so that of two instances (or a timer and a resolve) exactly one wins."""
        column = getattr(Ticket, notified_column(notification.kind, notification.level))
        done = self.session.execute(sa.update(Ticket).where(Ticket.id == ticket_id, column.is_(None))
                                    .values({column: now}))
        return done.rowcount == 1

    # -- follow-ups ----------------------------------------------------------------------------
    def add_follow_up(self, ticket_id, due_at, scheduled_by):
        row = FollowUp(ticket_id=ticket_id, due_at=due_at, scheduled_by=scheduled_by)
        self.session.add(row)
        self.session.flush()
        return _follow_up(row)

    def follow_up(self, follow_up_id):
        row = self.session.get(FollowUp, follow_up_id, populate_existing=True)
        if row is None:
            raise NotFound("follow-up not found")
        return _follow_up(row)

    def complete_follow_up(self, follow_up_id, note_id, staff_id, at):
        """Record the outcome; ``Conflict`` when the follow-up was completed already."""
        done = self.session.execute(sa.update(FollowUp).where(
            FollowUp.id == follow_up_id, FollowUp.completed_at.is_(None)).values(
            completed_at=at, completed_by=staff_id, note_id=note_id))
        if done.rowcount != 1:
            raise Conflict("follow-up was already completed")
        return self.follow_up(follow_up_id)

    def claim_due_follow_ups(self, now, limit):
        """Follow-ups due by ``now`` and not announced: each claimed by a conditional update."""
        ids = list(self.session.scalars(sa.select(FollowUp.id).where(
            FollowUp.due_at <= now, FollowUp.notified_at.is_(None), FollowUp.completed_at.is_(None))
            .order_by(FollowUp.due_at).limit(limit)))
        claimed = []
        for follow_up_id in ids:
            done = self.session.execute(sa.update(FollowUp).where(
                FollowUp.id == follow_up_id, FollowUp.notified_at.is_(None)).values(notified_at=now))
            if done.rowcount == 1:
                claimed.append(self.follow_up(follow_up_id))
        return claimed

    # -- gauges --------------------------------------------------------------------------------
    def open_counts(self):
        """``[(category, priority, state, count)]`` of the tickets in active states."""
        return self.session.execute(sa.select(Ticket.category, Ticket.priority, Ticket.state, sa.func.count())
                                    .where(Ticket.state.in_(domain.ACTIVE_STATES))
                                    .group_by(Ticket.category, Ticket.priority, Ticket.state)).all()

    def at_risk_counts(self, now):
        """``{kind: count}`` of active tickets whose running clock is past its at-risk instant."""
        active = Ticket.state.in_(domain.ACTIVE_STATES)
        first = self.session.scalar(sa.select(sa.func.count()).where(
            active, Ticket.first_responded_at.is_(None), Ticket.first_response_risk_at <= now))
        resolution = self.session.scalar(sa.select(sa.func.count()).where(active, Ticket.resolution_risk_at <= now))
        return {"first_response": first, "resolution": resolution}


class TicketStore(Storage):
    """Injects ``TicketStorage`` over the worker's session."""

    wrapper = TicketStorage


def breach_query(now, limit):
    """The escalation scan: tickets whose next announcement is due, through ``ix_tickets_next_check_at``."""
    return (sa.select(Ticket.id).where(Ticket.next_check_at <= now)
            .order_by(Ticket.next_check_at).limit(limit))


# -- row <-> domain ------------------------------------------------------------------------------
def _ticket(row):
    clocks = {kind: sla.Clock(getattr(row, f"{kind}_due_at"), getattr(row, f"{kind}_risk_at"))
              for kind in sla.KINDS}
    notified = frozenset(n for n in NOTIFICATIONS if getattr(row, notified_column(n.kind, n.level)) is not None)
    return domain.Ticket(
        ticket_id=row.id, client_id=row.client_id, category=row.category, priority=row.priority,
        channel=row.channel, subject=row.subject, state=row.state, assignee_id=row.assignee_id,
        opened_at=row.opened_at, note_id=row.note_id, opened_by=row.opened_by, clocks=clocks,
        first_responded_at=row.first_responded_at, first_response_seconds=row.first_response_seconds,
        first_response_within_sla=row.first_response_within_sla, resolved_at=row.resolved_at,
        resolved_by=row.resolved_by, resolution_seconds=row.resolution_seconds,
        resolution_within_sla=row.resolution_within_sla, closed_at=row.closed_at,
        reopen_count=row.reopen_count, linked_ticket_id=row.linked_ticket_id, notified=notified,
        satisfaction_score=row.satisfaction_score)


def _clock_columns(ticket):
    columns = {}
    for kind in sla.KINDS:
        clock = ticket.clocks[kind]
        columns[f"{kind}_due_at"], columns[f"{kind}_risk_at"] = clock.due_at, clock.risk_at
    columns["next_check_at"] = domain.next_check_at(ticket)
    return columns


def _calendar(row):
    hours = tuple(None if entry is None else (parse_clock(entry[0]), parse_clock(entry[1])) for entry in row.hours)
    return BusinessCalendar(code=row.code, timezone=row.timezone, hours=hours,
                            holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
                            workdays=frozenset(date.fromisoformat(d) for d in row.workdays))


def _hours_view(hours):
    return [None if entry is None else [format_clock(entry[0]), format_clock(entry[1])] for entry in hours]


def _dates_view(dates):
    return sorted(day.isoformat() for day in dates)


def _follow_up(row):
    return domain.FollowUp(follow_up_id=row.id, ticket_id=row.ticket_id, due_at=row.due_at,
                           notified_at=row.notified_at, completed_at=row.completed_at, note_id=row.note_id)
