"""The ticket service's own tables. No text a customer or an agent wrote is kept here: descriptions,
responses, resolutions, reopen reasons, follow-up notes and satisfaction comments live in
``client_vault`` as notes, and these tables hold their note ids."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anchang_common.tables import add_common_tables
from anchang_common.types import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)


def notified_column(kind, level):
    """The ``tickets`` column recording when ``(kind, level)`` was announced (claimed once)."""
    return f"notified_{kind}_{level}"


class Calendar(Base):
    __tablename__ = "calendars"

    #: the code in lower case: codes are unique regardless of case and looked up by this
    code_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))  # as written
    timezone: Mapped[str] = mapped_column(sa.String(64))
    #: seven entries, Monday first: ["HH:MM", "HH:MM"] or null (closed)
    hours: Mapped[list] = mapped_column(sa.JSON)
    holidays: Mapped[list] = mapped_column(sa.JSON)  # ISO dates
    workdays: Mapped[list] = mapped_column(sa.JSON)  # ISO dates: extra working days
    #: bumped by every change: the parsed calendar is cached per (code, version)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SlaPolicy(Base):
    __tablename__ = "sla_policies"

    category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    priority: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(sa.Integer)
    resolution_minutes: Mapped[int] = mapped_column(sa.Integer)
    calendar_key: Mapped[str] = mapped_column(sa.ForeignKey("calendars.code_key"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (sa.Index("ix_tickets_client_id_assignee_id", "client_id", "assignee_id"),
                      sa.Index("ix_tickets_category_priority_state", "category", "priority", "state"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str] = mapped_column(sa.String(20))
    priority: Mapped[str] = mapped_column(sa.String(10))
    channel: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(20))
    assignee_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    opened_by: Mapped[str | None] = mapped_column(sa.String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    note_id: Mapped[str] = mapped_column(sa.String(64))  # the description, in client_vault
    linked_ticket_id: Mapped[str | None] = mapped_column(sa.String(32))  # the ticket this one reopens
    reopen_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    # deadlines and at-risk instants, computed from the facts (null while paused or stopped)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_response_risk_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution_risk_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: the earliest instant something is left to announce: the escalation timer reads this index only
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    first_responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_response_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    first_response_within_sla: Mapped[bool | None] = mapped_column(sa.Boolean)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(sa.String(64))
    resolution_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    resolution_within_sla: Mapped[bool | None] = mapped_column(sa.Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # each announced once: set by a conditional update (see TicketStorage.claim_notification)
    notified_first_response_at_risk: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notified_first_response_breached: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notified_resolution_at_risk: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notified_resolution_breached: Mapped[datetime | None] = mapped_column(UtcDateTime())
    satisfaction_score: Mapped[int | None] = mapped_column(sa.Integer)
    satisfaction_note_id: Mapped[str | None] = mapped_column(sa.String(64))
    satisfaction_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Pause(Base):
    """A span during which a ticket's SLA clocks stop: waiting for the customer, or resolved until reopened."""

    __tablename__ = "ticket_pauses"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))  # waiting_customer, resolved
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Message(Base):
    """A text written on a ticket (response, resolution, reopen reason): its note id only."""

    __tablename__ = "ticket_messages"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    note_id: Mapped[str] = mapped_column(sa.String(64))
    staff_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class FollowUp(Base):
    """An after-sales return visit."""

    __tablename__ = "follow_ups"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    scheduled_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: when ``ticket.follow_up_due`` was dispatched (claimed once, like the SLA notifications)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(sa.String(64))
    note_id: Mapped[str | None] = mapped_column(sa.String(64))  # the outcome, in client_vault
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
