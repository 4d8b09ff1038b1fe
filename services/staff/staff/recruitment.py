"""Recruitment: positions, candidates screened against their requirements, assessments on the
position's scorecard, decisions and hiring: a part of the staff service class."""
from anchang_common.entrypoints import rpc
from anchang_common.errors import Conflict
from anchang_common.types import utc_today
from staff import domain, schemas, views
from staff.passwords import hash_password


class Recruitment:
    """Mixed into ``staff.service.Service``; needs its ``store``, ``auth`` and ``events``."""

    @rpc
    def create_position(self, position, idempotency_key=None):
        code, title, requirements, scorecard = schemas.parse_position(position)
        position = domain.Position(code, title, requirements, scorecard)
        return views.position_view(self.store.add_position(position))

    @rpc
    def get_position(self, code):
        return views.position_view(self.store.position(schemas.parse_code("code", code)))

    @rpc
    def apply(self, position_code, candidate, idempotency_key=None):
        position = self.store.position(schemas.parse_code("position_code", position_code))
        today = utc_today()
        name, applicant = schemas.parse_candidate(candidate, today)
        reasons = domain.screen(position.requirements, applicant, today)
        stored = self.store.add_candidate(position, name, applicant, today, reasons)
        return {"candidate_id": stored.candidate_id, "eligible": stored.eligible,
                "reasons": views.reasons_view(stored.reasons)}

    @rpc
    def record_assessment(self, candidate_id, scores, comment=None):
        candidate = self.store.candidate(schemas.parse_id("candidate_id", candidate_id))
        if not candidate.eligible:
            raise Conflict("candidate does not meet the position's requirements")
        scores, comment = schemas.parse_assessment(candidate.position.scorecard, scores, comment)
        weighted = domain.weighted_percent(candidate.position.scorecard, scores)
        assessment_id = self.store.add_assessment(
            candidate.candidate_id, self.auth.principal.staff_id, scores, weighted, comment)
        return {"assessment_id": assessment_id, "weighted_score": round(weighted, 2)}

    @rpc
    def decide(self, candidate_id):
        return views.decision_view(self.store.candidate(schemas.parse_id("candidate_id", candidate_id)))

    @rpc(sensitive_arguments=("password",))
    def hire(self, candidate_id, username, password, roles, skills=None, idempotency_key=None):
        """Hire a passed candidate; ``password`` is one-time: it must be changed at the first login."""
        username, roles, skills = schemas.parse_hire(username, password, roles, skills)
        candidate = self.store.candidate(schemas.parse_id("candidate_id", candidate_id))
        if problem := candidate.hiring_problem():
            raise Conflict(problem)
        member = self.store.add_member(candidate, username, hash_password(password), roles, skills)
        self.events.dispatch("staff.hired", {
            "staff_id": member.staff_id, "position_code": member.position_code, "roles": list(roles),
            "skills": list(skills)})
        return {"staff_id": member.staff_id, "status": member.status}
