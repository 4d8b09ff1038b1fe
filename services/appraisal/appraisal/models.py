"""The appraisal service's own tables. No PII: staff ids, codes, numbers, and reviewers' comments
(refused when they hold anything shaped like a phone or ID number)."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anchang_common.tables import add_common_tables
from anchang_common.types import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)


class Template(Base):
    """An appraisal template: weighted dimensions of weighted KPIs (``domain.templates``)."""

    __tablename__ = "templates"
    __table_args__ = (sa.UniqueConstraint("code_key", name="uq_templates_code_key"),)

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # as written
    code_key: Mapped[str] = mapped_column(sa.String(64))  # lower case: unique regardless of case
    definition: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Cycle(Base):
    """An appraisal cycle over a period; it keeps a copy of its template's definition."""

    __tablename__ = "cycles"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(64))
    code_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    template_code: Mapped[str] = mapped_column(sa.String(64))
    template: Mapped[dict] = mapped_column(sa.JSON)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open, finalized
    opened_by: Mapped[str] = mapped_column(sa.String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finalized_by: Mapped[str | None] = mapped_column(sa.String(64))
    finalized_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Appraisal(Base):
    """One member's appraisal in a cycle: their record at staff (copied when the cycle opened and
    again when it was finalised) and, once finalised, the scorecard as computed then."""

    __tablename__ = "appraisals"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "staff_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    cycle_id: Mapped[str] = mapped_column(sa.ForeignKey("cycles.id"))
    staff_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    member_status: Mapped[str] = mapped_column(sa.String(16))  # the member's status at staff; "left" is marked
    staff_record: Mapped[dict] = mapped_column(sa.JSON)
    final_score: Mapped[float | None] = mapped_column(sa.Float)
    grade: Mapped[str | None] = mapped_column(sa.String(1))
    rank: Mapped[int | None] = mapped_column(sa.Integer)
    scorecard: Mapped[dict | None] = mapped_column(sa.JSON)


class Rating(Base):
    """A reviewer's levels (``{kpi key: 1..5}``) for one appraisal: a supervisor's, or the member's own."""

    __tablename__ = "ratings"
    __table_args__ = (sa.UniqueConstraint("appraisal_id", "reviewer_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    appraisal_id: Mapped[str] = mapped_column(sa.ForeignKey("appraisals.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # supervisor, self
    levels: Mapped[dict] = mapped_column(sa.JSON)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TicketFact(Base):
    """One ticket event as a fact, attributed to a member on a day (``domain.kpis.TicketFact``)."""

    __tablename__ = "ticket_facts"
    __table_args__ = (sa.Index("ix_ticket_facts_staff_id_kind_day", "staff_id", "kind", "day"),)

    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    ticket_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    staff_id: Mapped[str | None] = mapped_column(sa.String(64))
    day: Mapped[date] = mapped_column(sa.Date)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    category: Mapped[str | None] = mapped_column(sa.String(32))
    within_sla: Mapped[bool | None] = mapped_column(sa.Boolean)
    business_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    score: Mapped[int | None] = mapped_column(sa.Integer)


class Member(Base):
    """What the staff events said of a member: the newest status (by the events' time) and position."""

    __tablename__ = "members"

    staff_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    status: Mapped[str | None] = mapped_column(sa.String(16))
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    position_code: Mapped[str | None] = mapped_column(sa.String(64))
