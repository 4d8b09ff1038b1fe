"""What the staff RPC methods return: plain JSON, no secrets."""


def staff_view(staff):
    return {
        "staff_id": staff.id,
        "username": staff.username,
        "name": staff.name,
        "status": staff.status,
        "roles": list(staff.roles),
        "skills": list(staff.skills),
        "position_code": staff.position_code,
        "certificates": [certificate_view(c) for c in staff.certificates],
        "trainings": [training_view(t) for t in staff.trainings],
    }


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
    return {"position_id": position.id, "code": position.code, "title": position.title,
            "requirements": position.requirements, "scorecard": position.scorecard}


def reasons_view(reasons):
    return [{"code": reason.code, "message": reason.message} for reason in reasons]
