"""The staff service's own tables."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from anchang_common.tables import add_common_tables
from anchang_common.types import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


add_common_tables(Base.metadata)


class Position(Base):
    __tablename__ = "positions"
    __table_args__ = (sa.UniqueConstraint("code_key", name="uq_positions_code_key"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)  # as written
    #: the code in lower case: codes are unique regardless of case and looked up by this
    code_key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    requirements: Mapped[dict] = mapped_column(sa.JSON)
    scorecard: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Candidate(Base):
    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    position_id: Mapped[str] = mapped_column(sa.ForeignKey("positions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[date] = mapped_column(sa.Date)
    education: Mapped[str] = mapped_column(sa.String(20))
    major: Mapped[str | None] = mapped_column(sa.String(100))
    certificates: Mapped[list] = mapped_column(sa.JSON, default=list)
    applied_on: Mapped[date] = mapped_column(sa.Date)
    eligible: Mapped[bool] = mapped_column(sa.Boolean)
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    hired_staff_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    position: Mapped[Position] = relationship(lazy="joined")


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("candidate_id", "assessor_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(sa.ForeignKey("candidates.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(sa.String(32))
    scores: Mapped[dict] = mapped_column(sa.JSON)
    weighted_score: Mapped[float] = mapped_column(sa.Float)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    roles: Mapped[list] = mapped_column(sa.JSON)
    skills: Mapped[list] = mapped_column(sa.JSON)
    token_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    #: a one-time password (a new hire's first, a reset one) must be changed before anything else
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: when onboarding ended (or the bootstrap admin was seeded): only then may the member be active
    onboarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    security_acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: when the lapse of the current acknowledgment was announced (cleared by a new acknowledgment)
    security_lapse_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    candidate_id: Mapped[str | None] = mapped_column(sa.ForeignKey("candidates.id"), unique=True)
    position_code: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    # loaded only when a query asks (the storage joins them in where a reply needs them)
    trainings: Mapped[list["TrainingAttempt"]] = relationship(
        order_by="TrainingAttempt.attempted_at", lazy="raise")
    certificates: Mapped[list["Certificate"]] = relationship(
        order_by="Certificate.issued_on", lazy="raise")


class LoginFailure(Base):
    """Failed logins since the last successful one (cleared on success)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TrainingAttempt(Base):
    __tablename__ = "training_attempts"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    module_code: Mapped[str] = mapped_column(sa.String(40))
    score: Mapped[float] = mapped_column(sa.Float)
    pass_mark: Mapped[float] = mapped_column(sa.Float)
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (sa.UniqueConstraint("staff_id", "code"),
                      sa.UniqueConstraint("staff_id", "code_key", name="uq_certificates_staff_id_code_key"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))  # as written
    code_key: Mapped[str] = mapped_column(sa.String(64))  # lower case: unique per member regardless of case
    name: Mapped[str] = mapped_column(sa.String(200))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OpenAssignment(Base):
    """The open tickets assigned to each agent, kept from ticket events: the agent's load."""

    __tablename__ = "open_assignments"

    ticket_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(sa.String(32), index=True)
