"""What the staff RPC methods return: plain JSON made from domain objects, no secrets."""


def member_view(member, acknowledgment):
    """``acknowledgment``: the member's ``domain.SecurityAcknowledgment`` as of today, or ``None``."""
    return {
        "staff_id": member.staff_id,
        "username": member.username,
        "name": member.name,
        "status": member.status,
        "roles": list(member.roles),
        "skills": list(member.skills),
        "position_code": member.position_code,
        "must_change_password": member.must_change_password,
        "certificates": [certificate_view(c) for c in member.certificates],
        "trainings": [training_view(t) for t in member.trainings],
        "security_acknowledgment": acknowledgment_view(acknowledgment),
    }


def acknowledgment_view(acknowledgment):
    if acknowledgment is None:
        return {"acknowledged_at": None, "expires_on": None, "current": False}
    return {"acknowledged_at": acknowledgment.acknowledged_at.isoformat(),
            "expires_on": acknowledgment.expires_on.isoformat(), "current": acknowledgment.current}


def certificate_view(certificate):
    return {
        "code": certificate.code,
        "name": certificate.name,
        "issued_on": certificate.issued_on.isoformat(),
        "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None,
    }


def training_view(attempt):
    return {
        "module_code": attempt.module_code,
        "score": attempt.score,
        "pass_mark": attempt.pass_mark,
        "passed": attempt.passed,
        "attempted_at": attempt.attempted_at.isoformat(),
    }


def position_view(position):
    return {"position_id": position.position_id, "code": position.code, "title": position.title,
            "requirements": requirements_view(position.requirements),
            "scorecard": scorecard_view(position.scorecard)}


def requirements_view(requirements):
    """A position's requirements as the contract shows them (and as the storage keeps them)."""
    return {"min_age": requirements.min_age, "max_age": requirements.max_age,
            "min_education": requirements.min_education, "majors": sorted(requirements.majors),
            "certificates": sorted(requirements.certificates)}


def scorecard_view(scorecard):
    """A position's scorecard as the contract shows it (and as the storage keeps it)."""
    return {"criteria": [{"key": c.key, "label": c.label, "weight": c.weight, "max_score": c.max_score}
                         for c in scorecard.criteria],
            "pass_score": scorecard.pass_score, "min_assessors": scorecard.min_assessors}


def reasons_view(reasons):
    return [{"code": reason.code, "message": reason.message} for reason in reasons]


def decision_view(candidate):
    if not candidate.eligible:
        return {"decision": "fail", "total_score": None, "assessments": [],
                "reasons": reasons_view(candidate.reasons)}
    decision = candidate.decision()
    return {"decision": decision.decision, "total_score": decision.total_score,
            "assessments": [{"assessor_id": a.assessor_id, "weighted_score": round(a.weighted_score, 2)}
                            for a in candidate.assessments]}


def session_view(member, token, expires_at):
    return {"token": token, "expires_at": expires_at.isoformat(), "staff_id": member.staff_id,
            "roles": list(member.roles), "must_change_password": member.must_change_password}


def changed_event(member):
    """The data of ``staff.changed``: what other services need to refuse stale tokens."""
    return {"staff_id": member.staff_id, "token_version": member.token_version, "status": member.status,
            "roles": list(member.roles)}
