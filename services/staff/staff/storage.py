"""The staff service's storage: every query of the service, and the mapping between its rows
(``staff.models``) and the domain objects of ``staff.domain``.

``StaffStore`` injects a ``StaffStorage`` bound to the worker's session, the one the gate, the outbox
and the unit of work use: what a method writes here is committed (or rolled back) with its events.
Methods raise ``NotFound`` and ``Conflict`` in the words of the contract; the service never sees a row.
"""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from anchang_common.db import Storage
from anchang_common.errors import Conflict, NotFound
from anchang_common.revocation import record_version
from anchang_common.types import utcnow
from staff import domain
from staff.models import (
    Assessment,
    Candidate,
    Certificate,
    LoginFailure,
    OpenAssignment,
    Position,
    Staff,
    TrainingAttempt,
)
from staff.views import reasons_view, requirements_view, scorecard_view

# built once: the hot read path (get_staff) skips building and hashing the statement on every call
_MEMBER = sa.select(Staff).where(Staff.id == sa.bindparam("staff_id")).execution_options(populate_existing=True)
_MEMBER_WITH_DETAILS = _MEMBER.options(joinedload(Staff.certificates), joinedload(Staff.trainings))


class StaffStorage:
    """Queries and row <-> domain mapping of the staff service, over one session."""

    def __init__(self, session):
        self.session = session

    # -- positions and candidates ------------------------------------------------------------
    def add_position(self, position):
        """Store ``position``; ``Conflict`` when its code exists in any case. Returns it with its id."""
        if self._position_row(position.code) is not None:
            raise Conflict(f"position {position.code} already exists")
        row = Position(code=position.code, code_key=domain.code_key(position.code), title=position.title,
                       requirements=requirements_view(position.requirements),
                       scorecard=scorecard_view(position.scorecard))
        self.session.add(row)
        self.session.flush()
        return _position(row)

    def position(self, code):
        """The position with ``code`` in any case; ``NotFound`` otherwise."""
        row = self._position_row(code)
        if row is None:
            raise NotFound("position not found")
        return _position(row)

    def _position_row(self, code):
        return self.session.scalar(sa.select(Position).where(Position.code_key == domain.code_key(code)))

    def add_candidate(self, position, name, applicant, applied_on, reasons):
        """Store an application to ``position`` (a stored ``domain.Position``); returns the ``Candidate``."""
        row = Candidate(position_id=position.position_id, name=name, birth_date=applicant.birth_date,
                        education=applicant.education, major=applicant.major,
                        certificates=sorted(applicant.certificates), applied_on=applied_on,
                        eligible=not reasons, reasons=reasons_view(reasons))
        self.session.add(row)
        self.session.flush()
        return _candidate(row, [])

    def candidate(self, candidate_id):
        """The ``Candidate`` with its position and assessments; ``NotFound`` otherwise."""
        row = self.session.get(Candidate, candidate_id)
        if row is None:
            raise NotFound("candidate not found")
        assessments = self.session.scalars(sa.select(Assessment).where(
            Assessment.candidate_id == row.id).order_by(Assessment.created_at, Assessment.id)).all()
        return _candidate(row, assessments)

    def add_assessment(self, candidate_id, assessor_id, scores, weighted_score, comment):
        """Store one assessor's assessment; ``Conflict`` when that assessor assessed already."""
        if self.session.scalar(sa.select(Assessment.id).where(
                Assessment.candidate_id == candidate_id, Assessment.assessor_id == assessor_id)):
            raise Conflict("this assessor has already assessed this candidate")
        row = Assessment(candidate_id=candidate_id, assessor_id=assessor_id, scores=scores,
                         weighted_score=weighted_score, comment=comment)
        self.session.add(row)
        self.session.flush()
        return row.id

    # -- members -----------------------------------------------------------------------------
    def add_member(self, candidate, username, password_hash, roles, skills):
        """A new onboarding member hired from ``candidate``, who must change the first password.

        ``Conflict`` when the username is taken; two hires of one candidate collide on the unique
        ``staff.candidate_id`` and the later one fails as a ``Conflict``."""
        if self.session.scalar(sa.select(Staff.id).where(Staff.username == username)):
            raise Conflict("username already taken")
        row = Staff(username=username, name=candidate.name, password_hash=password_hash, status="onboarding",
                    roles=list(roles), skills=list(skills), candidate_id=candidate.candidate_id,
                    position_code=candidate.position.code, must_change_password=True,
                    certificates=[], trainings=[])
        self.session.add(row)
        self.session.flush()
        self.session.execute(sa.update(Candidate).where(Candidate.id == candidate.candidate_id)
                             .values(hired_staff_id=row.id))
        return _member(row)

    def member(self, staff_id, details=True):
        """The ``Member``, with certificates and trainings unless ``details`` is false, in one query;
        ``NotFound`` otherwise."""
        query = _MEMBER_WITH_DETAILS if details else _MEMBER
        row = self.session.scalars(query, {"staff_id": staff_id}).unique().one_or_none()
        if row is None:
            raise NotFound("staff member not found")
        return _member(row, details)

    def members(self, status=None):
        """Every ``Member`` (of ``status`` if given), by username, in one query."""
        query = sa.select(Staff).options(joinedload(Staff.certificates), joinedload(Staff.trainings))
        if status is not None:
            query = query.where(Staff.status == status)
        return [_member(row) for row in self.session.scalars(query.order_by(Staff.username)).unique()]

    def update_member(self, staff_id, **fields):
        """Set ``fields`` (columns of ``staff``: roles, status, password_hash, must_change_password,
        security_acknowledged_at, ...) of one member."""
        self.session.execute(sa.update(Staff).where(Staff.id == staff_id).values(updated_at=utcnow(), **fields))

    def bump_token_version(self, staff_id):
        """Make every token of the member issued so far stale; returns the ``Member`` (no details)."""
        self.session.execute(sa.update(Staff.__table__).where(Staff.__table__.c.id == staff_id).values(
            token_version=Staff.__table__.c.token_version + 1))
        member = self.member(staff_id, details=False)
        record_version(self.session, staff_id, member.token_version)
        return member

    def bump_every_token_version(self):
        """``bump_token_version`` for every member; returns their ``Member`` records (no details)."""
        table = Staff.__table__
        self.session.execute(sa.update(table).values(token_version=table.c.token_version + 1))
        members = [_member(row, details=False) for row in self.session.scalars(
            sa.select(Staff).execution_options(populate_existing=True))]
        for member in members:
            record_version(self.session, member.staff_id, member.token_version)
        return members

    def token_versions(self, staff_ids):
        """``{staff_id: token version}`` of those of ``staff_ids`` that are members, in one query."""
        table = Staff.__table__
        rows = self.session.execute(sa.select(table.c.id, table.c.token_version).where(
            table.c.id.in_(staff_ids)))
        return {staff_id: version for staff_id, version in rows}

    def active_admin_ids(self):
        """Ids of the active admins, their rows locked until commit (PostgreSQL), so that two
        concurrent demotions cannot both see another admin left."""
        rows = self.session.execute(sa.select(Staff.id, Staff.roles).where(
            Staff.status == "active").with_for_update()).all()
        return [staff_id for staff_id, roles in rows if "admin" in roles]

    # -- login -------------------------------------------------------------------------------
    def account(self, username=None, staff_id=None):
        """``(Member, password_hash, failure times)`` for a login, or ``None`` for no such member.

        The member's row is locked until the transaction ends, so concurrent logins of one member
        run one after the other and each sees the failures of the ones before: ``FOR UPDATE`` on
        PostgreSQL; on SQLite, which ignores it, a write first takes the database's one write lock."""
        where = Staff.username == username if staff_id is None else Staff.id == staff_id
        found = self.session.scalar(sa.select(Staff.id).where(where))
        if found is None:
            return None
        if self.session.get_bind().dialect.name == "sqlite":
            table = Staff.__table__
            self.session.execute(sa.update(table).where(table.c.id == found).values(id=table.c.id))
        row = self.session.scalar(sa.select(Staff).where(Staff.id == found).with_for_update()
                                  .execution_options(populate_existing=True))
        failures = self.session.scalars(sa.select(LoginFailure.failed_at).where(
            LoginFailure.staff_id == found)).all()
        return _member(row, details=False), row.password_hash, failures

    def record_login_failure(self, staff_id, at):
        """Count a failed login and commit at once: it counts although the call then fails."""
        self.session.add(LoginFailure(staff_id=staff_id, failed_at=at))
        self.session.commit()

    def clear_login_failures(self, staff_id):
        self.session.execute(sa.delete(LoginFailure).where(LoginFailure.staff_id == staff_id))

    # -- training, certificates, security acknowledgment --------------------------------------
    def add_training(self, staff_id, record):
        self.session.add(TrainingAttempt(
            staff_id=staff_id, module_code=record.module_code, score=record.score,
            pass_mark=record.pass_mark, passed=record.passed, attempted_at=record.attempted_at))
        self.session.flush()

    def add_certificate(self, staff_id, certificate):
        """Record a certificate; ``Conflict`` when the member has one of that code in any case."""
        key = domain.code_key(certificate.code)
        if self.session.scalar(sa.select(Certificate.id).where(
                Certificate.staff_id == staff_id, Certificate.code_key == key)):
            raise Conflict(f"certificate {certificate.code} already recorded for this staff member")
        self.session.add(Certificate(staff_id=staff_id, code=certificate.code, code_key=key,
                                     name=certificate.name, issued_on=certificate.issued_on,
                                     expires_on=certificate.expires_on))
        self.session.flush()

    def unannounced_certificates(self, expiring_by):
        """``[(certificate id, staff id, CertificateRecord)]`` expiring by that day, not yet announced."""
        rows = self.session.scalars(sa.select(Certificate).where(
            Certificate.expiry_notified_at.is_(None), Certificate.expires_on.is_not(None),
            Certificate.expires_on <= expiring_by)).all()
        return [(row.id, row.staff_id, _certificate(row)) for row in rows]

    def mark_certificates_announced(self, certificate_ids):
        if certificate_ids:
            self.session.execute(sa.update(Certificate).where(Certificate.id.in_(certificate_ids))
                                 .values(expiry_notified_at=utcnow()))

    def unannounced_lapses(self, acknowledged_before):
        """``[(staff id, acknowledged_at)]`` of members of the current staff (not ``left``) whose
        acknowledgment was made before that time and whose lapse was not announced yet."""
        return self.session.execute(sa.select(Staff.id, Staff.security_acknowledged_at).where(
            Staff.status != "left", Staff.security_acknowledged_at < acknowledged_before,
            Staff.security_lapse_notified_at.is_(None))).all()

    def mark_lapses_announced(self, staff_ids):
        if staff_ids:
            self.session.execute(sa.update(Staff).where(Staff.id.in_(staff_ids))
                                 .values(security_lapse_notified_at=utcnow()))

    # -- agent load, from ticket events ------------------------------------------------------
    def assign(self, ticket_id, staff_id):
        self.session.merge(OpenAssignment(ticket_id=ticket_id, staff_id=staff_id))

    def release(self, ticket_id):
        self.session.execute(sa.delete(OpenAssignment).where(OpenAssignment.ticket_id == ticket_id))

    def available_agents(self, category):
        """Active agents with the skill ``category`` and their number of open tickets, least loaded first."""
        load = sa.select(OpenAssignment.staff_id, sa.func.count().label("load")).group_by(
            OpenAssignment.staff_id).subquery()
        rows = self.session.execute(
            sa.select(Staff.id, Staff.username, Staff.roles, Staff.skills, sa.func.coalesce(load.c.load, 0))
            .outerjoin(load, load.c.staff_id == Staff.id).where(Staff.status == "active")).all()
        agents = [{"staff_id": i, "username": u, "load": int(n)}
                  for i, u, roles, skills, n in rows if "agent" in roles and category in skills]
        return sorted(agents, key=lambda a: (a["load"], a["username"]))


class StaffStore(Storage):
    """Injects ``StaffStorage`` over the worker's session."""

    wrapper = StaffStorage


# -- row <-> domain ------------------------------------------------------------------------------
def _member(row, details=True):
    return domain.Member(
        staff_id=row.id, username=row.username, name=row.name, status=row.status, roles=tuple(row.roles),
        skills=tuple(row.skills), position_code=row.position_code, token_version=row.token_version,
        must_change_password=row.must_change_password, security_acknowledged_at=row.security_acknowledged_at,
        onboarded_at=row.onboarded_at,
        certificates=tuple(_certificate(c) for c in row.certificates) if details else (),
        trainings=tuple(_training(t) for t in row.trainings) if details else ())


def _certificate(row):
    return domain.CertificateRecord(code=row.code, name=row.name, issued_on=row.issued_on,
                                    expires_on=row.expires_on)


def _training(row):
    return domain.TrainingRecord(module_code=row.module_code, score=row.score, pass_mark=row.pass_mark,
                                 passed=row.passed, attempted_at=row.attempted_at)


def _position(row):
    data = row.requirements
    requirements = domain.Requirements(
        min_age=data["min_age"], max_age=data["max_age"], min_education=data["min_education"],
        majors=frozenset(data.get("majors") or ()), certificates=frozenset(data.get("certificates") or ()))
    card = row.scorecard
    scorecard = domain.Scorecard(criteria=tuple(domain.Criterion(**c) for c in card["criteria"]),
                                 pass_score=card["pass_score"], min_assessors=card["min_assessors"])
    return domain.Position(code=row.code, title=row.title, requirements=requirements, scorecard=scorecard,
                           position_id=row.id)


def _candidate(row, assessments):
    return domain.Candidate(
        candidate_id=row.id, name=row.name, position=_position(row.position), eligible=row.eligible,
        reasons=tuple(domain.Reason(r["code"], r["message"]) for r in row.reasons),
        hired_staff_id=row.hired_staff_id,
        assessments=tuple(domain.AssessmentRecord(a.assessor_id, a.scores, a.weighted_score)
                          for a in assessments))
