"""The staff service: recruitment, assessment, hiring, onboarding training, certificates, accounts."""
from datetime import date, timedelta

import sqlalchemy as sa
from nameko.dependency_providers import Config
from nameko.timer import timer

from anchang_common.auth import Principal
from anchang_common.base import ServiceBase
from anchang_common.db import Database
from anchang_common.entrypoints import event_handler, rpc, transactional
from anchang_common.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError
from anchang_common.events import Events, record_token_version
from anchang_common.types import utcnow
from anchang_common.gate import Auth

from staff import domain, schemas
from staff.permissions import PERMISSIONS
from staff.models import (
    Assessment, Candidate, Certificate, LoginFailure, OpenAssignment, Position, Staff, TrainingAttempt)
from staff.passwords import hash_password, verify_password
from staff.views import position_view, reasons_view, staff_view

CERTIFICATE_SCAN_SECONDS = 24 * 3600
BAD_LOGIN = "wrong username or password"


class Service(ServiceBase):
    name = "staff"

    permissions = PERMISSIONS
    #: staff's own ``token_versions`` table is the source every other service asks
    token_versions_authoritative = True

    db = Database()
    auth = Auth()
    events = Events()
    config = Config()

    def _config(self, key, default):
        return (self.config.get("STAFF") or {}).get(key) or default

    # -- accounts ---------------------------------------------------------------------------
    @rpc(sensitive_arguments=("password",))
    def login(self, username, password):
        if not isinstance(username, str) or not isinstance(password, str):
            raise ValidationError({name: "must be a string" for name, value in
                                   (("username", username), ("password", password)) if not isinstance(value, str)})
        staff = self.db.scalar(sa.select(Staff).where(Staff.username == username.strip().lower()))
        now = utcnow()
        if staff is not None:
            failures = self.db.scalars(sa.select(LoginFailure.failed_at).where(
                LoginFailure.staff_id == staff.id)).all()
            locked_until = self._lockout().locked_until(failures, now)
            if locked_until is not None:
                raise Unauthenticated(
                    "account locked after repeated failed logins; try again after "
                    f"{locked_until.isoformat(timespec='minutes')}")
        if not verify_password(staff.password_hash if staff else None, password):
            if staff is not None:
                self.db.add(LoginFailure(staff_id=staff.id, failed_at=now))
                self.db.commit()  # the failure counts even though the call fails
            raise Unauthenticated(BAD_LOGIN)
        if staff.status not in ("onboarding", "active"):
            raise Unauthenticated(f"account is {staff.status}")
        self.db.execute(sa.delete(LoginFailure).where(LoginFailure.staff_id == staff.id))
        principal = Principal(staff_id=staff.id, username=staff.username, roles=tuple(staff.roles),
                              status=staff.status, version=staff.token_version)
        token, expires_at = self.auth.issue(principal)
        return {"token": token, "expires_at": expires_at.isoformat(), "staff_id": staff.id,
                "roles": list(staff.roles)}

    def _lockout(self):
        return domain.LoginLockout(
            max_failures=int(self._config("LOGIN_MAX_FAILURES", 5)),
            window=timedelta(minutes=int(self._config("LOGIN_FAILURE_WINDOW_MINUTES", 15))),
            lock_for=timedelta(minutes=int(self._config("LOGIN_LOCKOUT_MINUTES", 15))))

    @rpc
    def get_staff(self, staff_id):
        return staff_view(self._staff(staff_id))

    @rpc
    def list_staff(self, status=None, role=None, skill=None):
        query = sa.select(Staff).order_by(Staff.username)
        if status is not None:
            query = query.where(Staff.status == schemas.parse_status(status))
        rows = self.db.scalars(query).all()
        if role is not None:
            role = schemas.parse_roles([role])[0]
            rows = [s for s in rows if role in s.roles]
        if skill is not None:
            skill = schemas.parse_category(skill)
            rows = [s for s in rows if skill in s.skills]
        return [staff_view(s) for s in rows]

    @rpc
    def set_roles(self, staff_id, roles):
        roles = schemas.parse_roles(roles)
        staff = self._staff(staff_id)
        self._check_admin_remains(staff, roles, staff.status)
        staff.roles = list(roles)
        self._revoke_tokens(staff)
        return staff_view(staff)

    @rpc
    def set_status(self, staff_id, status):
        status = schemas.parse_status(status)
        staff = self._staff(staff_id)
        if staff.id == self.auth.principal.staff_id and status != "active":
            raise Conflict("an administrator cannot suspend or remove their own account")
        self._check_admin_remains(staff, staff.roles, status)
        staff.status = status
        self._revoke_tokens(staff)
        return staff_view(staff)

    def _check_admin_remains(self, staff, roles, status):
        active_admins = [s.id for s in self.db.scalars(sa.select(Staff).where(
            Staff.status == "active").with_for_update()) if "admin" in s.roles]
        try:
            domain.check_admin_remains(active_admins, staff.id, roles, status)
        except ValueError as error:
            raise Conflict(str(error)) from None

    def _revoke_tokens(self, staff):
        """Every token issued before now stops working, here and (through the event) everywhere."""
        staff.token_version += 1
        record_token_version(self.db, staff.id, staff.token_version)
        self.events.dispatch("staff.changed", {
            "staff_id": staff.id, "token_version": staff.token_version, "status": staff.status,
            "roles": list(staff.roles)})

    @rpc
    def token_versions(self, staff_ids):
        """``{staff_id: current token version}`` of the members staff knows (for the other services)."""
        staff_ids = schemas.parse_id_list("staff_ids", staff_ids)
        rows = self.db.execute(sa.select(Staff.id, Staff.token_version).where(Staff.id.in_(staff_ids)))
        return {staff_id: version for staff_id, version in rows}

    @rpc
    def available_agents(self, category):
        category = schemas.parse_category(category)
        load = sa.select(OpenAssignment.staff_id, sa.func.count().label("load")).group_by(
            OpenAssignment.staff_id).subquery()
        rows = self.db.execute(
            sa.select(Staff, sa.func.coalesce(load.c.load, 0))
            .outerjoin(load, load.c.staff_id == Staff.id)
            .where(Staff.status == "active")
        ).all()
        agents = [{"staff_id": s.id, "username": s.username, "load": int(n)}
                  for s, n in rows if "agent" in s.roles and category in s.skills]
        return sorted(agents, key=lambda a: (a["load"], a["username"]))

    # -- recruitment ------------------------------------------------------------------------
    @rpc
    def create_position(self, position, idempotency_key=None):
        code, title, requirements, scorecard = schemas.parse_position(position)

        def create():
            if self.db.scalar(sa.select(Position.id).where(Position.code == code)):
                raise Conflict(f"position {code} already exists")
            row = Position(code=code, title=title, requirements=_requirements_json(requirements),
                           scorecard=_scorecard_json(scorecard))
            self.db.add(row)
            self.db.flush()
            return position_view(row)
        return create()

    @rpc
    def get_position(self, code):
        return position_view(self._position(code))

    @rpc
    def apply(self, position_code, candidate, idempotency_key=None):
        position = self._position(position_code)
        today = date.today()
        name, applicant = schemas.parse_candidate(candidate, today)

        def create():
            reasons = domain.screen(_requirements(position.requirements), applicant, today)
            row = Candidate(position_id=position.id, name=name, birth_date=applicant.birth_date,
                            education=applicant.education, major=applicant.major,
                            certificates=sorted(applicant.certificates), applied_on=today,
                            eligible=not reasons, reasons=reasons_view(reasons))
            self.db.add(row)
            self.db.flush()
            return {"candidate_id": row.id, "eligible": row.eligible, "reasons": row.reasons}
        return create()

    @rpc
    def record_assessment(self, candidate_id, scores, comment=None):
        candidate = self._eligible_candidate(candidate_id)
        scorecard = _scorecard(candidate.position.scorecard)
        scores = schemas.parse_scores(scorecard, scores)
        if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
            raise ValidationError({"comment": "must be a string of at most 2000 characters"})
        assessor_id = self.auth.principal.staff_id
        if self.db.scalar(sa.select(Assessment.id).where(
                Assessment.candidate_id == candidate.id, Assessment.assessor_id == assessor_id)):
            raise Conflict("this assessor has already assessed this candidate")
        assessment = Assessment(candidate_id=candidate.id, assessor_id=assessor_id, scores=scores,
                                weighted_score=domain.weighted_percent(scorecard, scores), comment=comment)
        self.db.add(assessment)
        self.db.flush()
        return {"assessment_id": assessment.id, "weighted_score": round(assessment.weighted_score, 2)}

    @rpc
    def decide(self, candidate_id):
        candidate = self._candidate(candidate_id)
        return self._decision(candidate)

    def _decision(self, candidate):
        scorecard = _scorecard(candidate.position.scorecard)
        assessments = self.db.scalars(sa.select(Assessment).where(
            Assessment.candidate_id == candidate.id).order_by(Assessment.created_at)).all()
        if not candidate.eligible:
            return {"decision": "fail", "total_score": None, "assessments": [],
                    "reasons": candidate.reasons}
        decision = domain.decide(scorecard, [a.scores for a in assessments])
        return {"decision": decision.decision, "total_score": decision.total_score,
                "assessments": [{"assessor_id": a.assessor_id, "weighted_score": round(a.weighted_score, 2)}
                                for a in assessments]}

    @rpc(sensitive_arguments=("password",))
    def hire(self, candidate_id, username, password, roles, skills=None, idempotency_key=None):
        username, roles, skills = schemas.parse_hire(username, password, roles, skills)

        def create():
            candidate = self._eligible_candidate(candidate_id)
            if candidate.hired_staff_id:
                raise Conflict("candidate already hired")
            if self._decision(candidate)["decision"] != "pass":
                raise Conflict("only a candidate who passed the assessment can be hired")
            if self.db.scalar(sa.select(Staff.id).where(Staff.username == username)):
                raise Conflict("username already taken")
            staff = Staff(username=username, name=candidate.name, password_hash=hash_password(password),
                          status="onboarding", roles=list(roles), skills=list(skills),
                          candidate_id=candidate.id, position_code=candidate.position.code)
            self.db.add(staff)
            self.db.flush()
            candidate.hired_staff_id = staff.id
            self.events.dispatch("staff.hired", {
                "staff_id": staff.id, "position_code": staff.position_code, "roles": list(roles),
                "skills": list(skills)})
            return {"staff_id": staff.id, "status": staff.status}
        return create()

    # -- onboarding and certificates ------------------------------------------------------
    @rpc
    def complete_training(self, staff_id, module_code, score):
        module_code, score = schemas.parse_training(module_code, score)
        staff = self._staff(staff_id)
        if staff.status in ("suspended", "left"):
            raise Conflict(f"staff member is {staff.status}")
        pass_mark = float(self._config("TRAINING_PASS_MARK", domain.DEFAULT_PASS_MARK))
        passed = domain.training_passed(score, pass_mark)
        self.db.add(TrainingAttempt(staff_id=staff.id, module_code=module_code, score=score,
                                    pass_mark=pass_mark, passed=passed))
        self.db.flush()
        self.db.refresh(staff, ["trainings"])
        passed_modules = {t.module_code for t in staff.trainings if t.passed}
        if staff.status == "onboarding" and domain.all_modules_passed(passed_modules):
            staff.status = "active"
            self._revoke_tokens(staff)  # onboarding tokens carry the old status
            self.events.dispatch("staff.activated", {"staff_id": staff.id})
        return {"module_code": module_code, "passed": passed, "status": staff.status,
                "remaining_modules": [m for m in domain.TRAINING_MODULES if m not in passed_modules]}

    @rpc
    def add_certificate(self, staff_id, certificate):
        fields = schemas.parse_certificate(certificate)
        staff = self._staff(staff_id)
        if self.db.scalar(sa.select(Certificate.id).where(
                Certificate.staff_id == staff.id, Certificate.code == fields["code"])):
            raise Conflict(f"certificate {fields['code']} already recorded for this staff member")
        self.db.add(Certificate(staff_id=staff.id, **fields))
        self.db.flush()
        self.db.refresh(staff, ["certificates"])
        return staff_view(staff)

    @timer(interval=CERTIFICATE_SCAN_SECONDS)
    @transactional
    def certificate_expiry_timer(self):
        self._notify_expiring_certificates(date.today())

    @rpc
    def scan_certificates(self, today=None):
        """Run the daily certificate scan now (operations; ``today`` lets a drill pick the date)."""
        return {"notified": self._notify_expiring_certificates(
            schemas.parse_date("today", today) if today else date.today())}

    def _notify_expiring_certificates(self, today):
        due = self.db.scalars(sa.select(Certificate).where(
            Certificate.expiry_notified_at.is_(None), Certificate.expires_on.is_not(None),
            Certificate.expires_on <= today + timedelta(days=30))).all()
        notified = 0
        for certificate in due:
            if domain.certificate_expiring(certificate.expires_on, today):
                certificate.expiry_notified_at = utcnow()
                self.events.dispatch("staff.certificate_expiring", {
                    "staff_id": certificate.staff_id, "certificate_code": certificate.code,
                    "expires_on": certificate.expires_on.isoformat()})
                notified += 1
        return notified

    # -- agent load, from ticket events ---------------------------------------------------
    @event_handler("ticket", "assigned")
    def on_ticket_assigned(self, envelope):
        data = envelope["data"]
        self.db.merge(OpenAssignment(ticket_id=data["ticket_id"], staff_id=data["assignee_id"]))

    @event_handler("ticket", "reopened")
    def on_ticket_reopened(self, envelope):
        data = envelope["data"]
        if data.get("assignee_id"):
            self.db.merge(OpenAssignment(ticket_id=data["ticket_id"], staff_id=data["assignee_id"]))

    @event_handler("ticket", "resolved")
    def on_ticket_resolved(self, envelope):
        self._release_assignment(envelope["data"]["ticket_id"])

    @event_handler("ticket", "closed")
    def on_ticket_closed(self, envelope):
        self._release_assignment(envelope["data"]["ticket_id"])

    def _release_assignment(self, ticket_id):
        self.db.execute(sa.delete(OpenAssignment).where(OpenAssignment.ticket_id == ticket_id))

    # -- lookups ----------------------------------------------------------------------------
    def _staff(self, staff_id):
        staff = self.db.get(Staff, schemas.parse_id("staff_id", staff_id))
        if staff is None:
            raise NotFound("staff member not found")
        return staff

    def _position(self, code):
        position = self.db.scalar(sa.select(Position).where(
            Position.code == schemas.parse_id("position_code", code)))
        if position is None:
            raise NotFound("position not found")
        return position

    def _candidate(self, candidate_id):
        candidate = self.db.get(Candidate, schemas.parse_id("candidate_id", candidate_id))
        if candidate is None:
            raise NotFound("candidate not found")
        return candidate

    def _eligible_candidate(self, candidate_id):
        candidate = self._candidate(candidate_id)
        if not candidate.eligible:
            raise Conflict("candidate does not meet the position's requirements")
        return candidate


def _requirements_json(requirements):
    return {"min_age": requirements.min_age, "max_age": requirements.max_age,
            "min_education": requirements.min_education, "majors": sorted(requirements.majors),
            "certificates": sorted(requirements.certificates)}


def _requirements(data):
    return domain.Requirements(
        min_age=data["min_age"], max_age=data["max_age"], min_education=data["min_education"],
        majors=frozenset(data.get("majors") or ()), certificates=frozenset(data.get("certificates") or ()))


def _scorecard_json(scorecard):
    return {"criteria": [{"key": c.key, "label": c.label, "weight": c.weight, "max_score": c.max_score}
                         for c in scorecard.criteria],
            "pass_score": scorecard.pass_score, "min_assessors": scorecard.min_assessors}


def _scorecard(data):
    return domain.Scorecard(
        criteria=tuple(domain.Criterion(**c) for c in data["criteria"]),
        pass_score=data["pass_score"], min_assessors=data["min_assessors"])
