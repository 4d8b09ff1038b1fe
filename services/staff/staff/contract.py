"""The published contract of ``staff``: a JSON Schema of every RPC method's arguments and result, and
of every event's ``data`` (``anchang_common.contract``; docs/contract/staff.md says it in words)."""
from anchang_common.contract import (
    BOOLEAN,
    CODE,
    DATE,
    ID,
    IDEMPOTENCY,
    RETURNED_ID,
    ROLES,
    STATUSES,
    TICKET_CATEGORIES,
    UTC_INSTANT,
    MethodContract,
    array,
    enum,
    integer,
    mapping,
    nullable,
    number,
    obj,
    params,
    pii,
    string,
    text,
)

EDUCATION_LEVELS = ("junior_high", "high_school", "vocational", "college", "bachelor", "master", "doctor")
TRAINING_MODULES = ("culture", "service_process", "privacy_security")
ROLE = enum(*ROLES)
CATEGORY = enum(*TICKET_CATEGORIES)
USERNAME = string(3, 32, r"^[a-z][a-z0-9_.-]{2,31}$")
#: a new password: the policy (docs/contract/staff.md#passwords-and-tokens) says more than a schema can
NEW_PASSWORD = pii(string(10, 200, r"[A-Za-z]", description="at least 10 characters with a letter and a digit, "
                          "not containing the username, not a common password"))
PASSWORD = pii(string(0, 200))
CRITERION_KEY = string(1, 64, r"^[a-z][a-z0-9_]{0,63}$")

SESSION = obj(required={
    "token": string(1), "expires_at": UTC_INSTANT, "staff_id": RETURNED_ID, "roles": array(ROLE),
    "must_change_password": BOOLEAN}, title="Session")
CERTIFICATE_VIEW = obj(required={"code": CODE, "name": string(1, 200), "issued_on": DATE,
                                 "expires_on": nullable(DATE)}, title="Certificate")
TRAINING_VIEW = obj(required={"module_code": enum(*TRAINING_MODULES), "score": number(0, 100),
                              "pass_mark": number(0, 100), "passed": BOOLEAN, "attempted_at": UTC_INSTANT},
                    title="TrainingAttempt")
ACKNOWLEDGMENT_VIEW = obj(required={"acknowledged_at": nullable(UTC_INSTANT), "expires_on": nullable(DATE),
                                    "current": BOOLEAN}, title="SecurityAcknowledgment")
STAFF_VIEW = obj(required={
    "staff_id": RETURNED_ID, "username": string(1, 32), "name": pii(string(1, 100)), "status": enum(*STATUSES),
    "roles": array(ROLE), "skills": array(CATEGORY), "position_code": nullable(CODE),
    "must_change_password": BOOLEAN, "certificates": array(CERTIFICATE_VIEW), "trainings": array(TRAINING_VIEW),
    "security_acknowledgment": ACKNOWLEDGMENT_VIEW}, title="StaffView")
REQUIREMENTS = obj(
    required={"min_age": integer(16, 70), "max_age": integer(16, 70), "min_education": enum(*EDUCATION_LEVELS)},
    optional={"majors": nullable(array(text(200))), "certificates": nullable(array(text(200)))},
    additional=True, description="min_age <= max_age; empty majors: any major", title="Requirements")
CRITERION = obj(required={"key": CRITERION_KEY, "label": text(200), "weight": integer(1),
                          "max_score": integer(1)}, additional=True, title="Criterion")
SCORECARD = obj(required={"criteria": array(CRITERION, min_items=1), "pass_score": number(0, 100),
                          "min_assessors": integer(1)}, additional=True,
                description="criterion keys unique; the criteria's weights sum to 100", title="Scorecard")
POSITION = obj(required={"code": CODE, "title": text(200), "requirements": REQUIREMENTS, "scorecard": SCORECARD},
               additional=True, title="Position")
POSITION_VIEW = obj(required={
    "position_id": RETURNED_ID, "code": CODE, "title": string(1, 200),
    "requirements": obj(required={"min_age": integer(16, 70), "max_age": integer(16, 70),
                                  "min_education": enum(*EDUCATION_LEVELS), "majors": array(string(1, 200)),
                                  "certificates": array(string(1, 200))}),
    "scorecard": obj(required={"criteria": array(obj(required={
        "key": CRITERION_KEY, "label": string(1, 200), "weight": integer(1), "max_score": integer(1)})),
        "pass_score": number(0, 100), "min_assessors": integer(1)})}, title="PositionView")
CANDIDATE = obj(required={"name": pii(text(100)), "birth_date": DATE, "education": enum(*EDUCATION_LEVELS)},
                optional={"major": nullable(pii(text(200))), "certificates": nullable(array(text(200)))},
                additional=True, description="birth_date not in the future", title="Candidate")
REASON = obj(required={"code": enum("age", "education", "major", "certificate"), "message": string(1)},
             title="Reason")
NOTIFIED = obj(required={"notified": integer(0)})

METHODS = {
    # -- accounts ------------------------------------------------------------------------------
    "login": MethodContract(
        params(required={"username": string(0, 64), "password": PASSWORD}), SESSION,
        "Log in: a session whose token goes, as `Bearer <token>`, in the context key `authorization`."),
    "change_password": MethodContract(
        params(required={"old_password": PASSWORD, "new_password": NEW_PASSWORD}), SESSION,
        "Replace the caller's password; every earlier token of theirs stops working (use the returned one)."),
    "logout": MethodContract(
        params(), obj(required={"logged_out": {"const": True}}),
        "End every session of the caller, on every device."),
    "reset_password": MethodContract(
        params(required={"staff_id": ID}),
        obj(required={"one_time_password": pii(string(16, 16, r"^[A-Za-z0-9]{16}$"))}),
        "Admin: a one-time password for the member, to be changed at their next login."),
    "revoke_all_tokens": MethodContract(
        params(), obj(required={"revoked": integer(0)}),
        "Admin, incident response: every token issued before now stops working."),
    "get_staff": MethodContract(params(required={"staff_id": ID}), STAFF_VIEW, "One member's record, no secrets."),
    "list_staff": MethodContract(
        params(optional={"status": enum(*STATUSES), "role": ROLE, "skill": CATEGORY}), array(STAFF_VIEW),
        "Members ordered by username, filtered by status, role and skill."),
    "set_roles": MethodContract(
        params(required={"staff_id": ID, "roles": array(ROLE, min_items=1)}), STAFF_VIEW,
        "Admin: replace a member's roles (their tokens are revoked)."),
    "set_status": MethodContract(
        params(required={"staff_id": ID, "status": enum(*STATUSES)}), STAFF_VIEW,
        "Admin: change a member's status (their tokens are revoked)."),
    "available_agents": MethodContract(
        params(required={"category": CATEGORY}),
        array(obj(required={"staff_id": RETURNED_ID, "username": string(1, 32), "load": integer(0)})),
        "Active agents with the skill for a ticket category, least loaded first."),
    "token_versions": MethodContract(
        params(required={"staff_ids": array(ID, max_items=1000)}), mapping(integer(0)),
        "Service identities only: the current token version of each member staff knows."),
    # -- recruitment ---------------------------------------------------------------------------
    "create_position": MethodContract(
        params(required={"position": POSITION}, optional=IDEMPOTENCY), POSITION_VIEW,
        "HR: a position with its hiring requirements and assessment scorecard."),
    "get_position": MethodContract(params(required={"code": CODE}), POSITION_VIEW, "A position, by code in any case."),
    "apply": MethodContract(
        params(required={"position_code": CODE, "candidate": CANDIDATE}, optional=IDEMPOTENCY),
        obj(required={"candidate_id": RETURNED_ID, "eligible": BOOLEAN, "reasons": array(REASON)}),
        "HR: a candidate for a position, screened against its requirements."),
    "record_assessment": MethodContract(
        params(required={"candidate_id": ID, "scores": mapping(number(0), CRITERION_KEY)},
               optional={"comment": pii(string(0, 2000))}),
        obj(required={"assessment_id": RETURNED_ID, "weighted_score": number(0, 100)}),
        "HR or supervisor: the caller's assessment of a candidate, a score for every criterion."),
    "decide": MethodContract(
        params(required={"candidate_id": ID}),
        obj(required={"decision": enum("pass", "fail", "pending"), "total_score": nullable(number(0, 100)),
                      "assessments": array(obj(required={"assessor_id": RETURNED_ID,
                                                         "weighted_score": number(0, 100)}))},
            optional={"reasons": array(REASON)}),
        "HR or supervisor: pass, fail or pending, from the assessments so far."),
    "hire": MethodContract(
        params(required={"candidate_id": ID, "username": USERNAME, "password": NEW_PASSWORD,
                         "roles": array(ROLE, min_items=1)},
               optional={"skills": array(CATEGORY, min_items=1)} | IDEMPOTENCY),
        obj(required={"staff_id": RETURNED_ID, "status": {"const": "onboarding"}}),
        "HR: hire a passed candidate with a one-time password."),
    # -- onboarding, security rules, certificates ----------------------------------------------
    "complete_training": MethodContract(
        params(required={"staff_id": ID, "module_code": enum(*TRAINING_MODULES), "score": number(0, 100)}),
        obj(required={"module_code": enum(*TRAINING_MODULES), "passed": BOOLEAN, "status": enum(*STATUSES),
                      "remaining_modules": array(enum(*TRAINING_MODULES))}),
        "HR or supervisor: record an onboarding module's score; all passed and rules acknowledged: active."),
    "acknowledge_security_rules": MethodContract(
        params(), obj(required=ACKNOWLEDGMENT_VIEW["properties"] | {"status": enum(*STATUSES)}),
        "The caller acknowledges the information-security rules (renewed yearly)."),
    "add_certificate": MethodContract(
        params(required={"staff_id": ID, "certificate": obj(
            required={"code": CODE, "name": text(200), "issued_on": DATE},
            optional={"expires_on": nullable(DATE)}, additional=True, description="expires_on after issued_on",
            title="NewCertificate")}),
        STAFF_VIEW, "HR: a certificate of a member."),
    "scan_certificates": MethodContract(
        params(optional={"today": DATE}), NOTIFIED,
        "Admin: announce now the certificates expiring within 30 days."),
    "scan_security_acknowledgments": MethodContract(
        params(optional={"today": DATE}), NOTIFIED,
        "Admin: announce now the security acknowledgments that lapsed."),
}

STAFF_ID = RETURNED_ID
EVENTS = {
    "staff.hired": obj(required={"staff_id": STAFF_ID, "position_code": nullable(CODE), "roles": array(ROLE),
                                 "skills": array(CATEGORY)}),
    "staff.activated": obj(required={"staff_id": STAFF_ID}),
    "staff.changed": obj(required={"staff_id": STAFF_ID, "token_version": integer(0), "status": enum(*STATUSES),
                                   "roles": array(ROLE)}),
    "staff.certificate_expiring": obj(required={"staff_id": STAFF_ID, "certificate_code": CODE, "expires_on": DATE}),
    "staff.security_acknowledged": obj(required={"staff_id": STAFF_ID, "expires_on": DATE}),
    "staff.security_acknowledgment_lapsed": obj(required={"staff_id": STAFF_ID, "expired_on": DATE}),
}
