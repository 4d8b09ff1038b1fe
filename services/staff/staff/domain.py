"""The rules of the staff service: pure Python, no I/O (docs/contract/staff.md).

Recruitment (screening candidates against a position's requirements, scoring them on a
uniform scorecard), onboarding training, the password policy, login lockout and
certificate expiry. Inputs are assumed already validated by ``staff.schemas``.
"""

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from anchang_common import permissions

#: Ordered from lowest to highest: a requirement is met by its level or any level after it.
EDUCATION_LEVELS = (
    "junior_high", "high_school", "vocational", "college", "bachelor", "master", "doctor",
)
ROLES = permissions.ROLES
STATUSES = permissions.STATUSES
#: the roles ``hr`` may grant when hiring; every other role is granted by an admin alone, ``supervisor``
#: included: a supervisor may reveal customer PII, so no one HR member may make (and, knowing its first
#: password, be) an account that reads customer data
HR_GRANTABLE_ROLES = frozenset({"agent"})
#: roles whose rights ``admin`` does not hold (least privilege: reveals need a supervisor)
ROLES_ADMIN_DOES_NOT_CARRY = frozenset({"supervisor"})
TICKET_CATEGORIES = ("inquiry", "complaint", "after_sales", "repair")
TRAINING_MODULES = ("culture", "service_process", "privacy_security")
DEFAULT_PASS_MARK = 60

PASSWORD_MIN_LENGTH = 10
DEFAULT_SECURITY_ACKNOWLEDGMENT_DAYS = 365


def code_key(code: str) -> str:
    """What makes two codes the same: ``CS-AGENT-01`` and ``cs-agent-01`` are one code."""
    return code.lower()


# --- eligibility ---------------------------------------------------------------------------

def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on the day ``on``.

    Someone born on 29 February becomes a year older on 1 March in non-leap years
    (on 28 February their birthday has not come yet), as most civil law counts it.
    """
    not_yet = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - not_yet


@dataclass(frozen=True)
class Requirements:
    """What a position requires. Empty ``majors`` means any major (or none) is accepted."""

    min_age: int
    max_age: int
    min_education: str
    majors: frozenset[str] = frozenset()
    certificates: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Applicant:
    birth_date: date
    education: str
    major: str | None = None
    certificates: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """One failed requirement: ``code`` is "age", "education", "major" or "certificate"."""

    code: str
    message: str


def _education_rank(level: str) -> int:
    return EDUCATION_LEVELS.index(level) if level in EDUCATION_LEVELS else -1


def _normalise_major(major: str) -> str:
    return major.strip().casefold()


def screen(requirements: Requirements, applicant: Applicant, on: date) -> list[Reason]:
    """Every requirement the applicant fails on the day ``on``; empty means eligible.

    Messages name the requirement and may state age and education, never who the person is.
    """
    reasons = []
    age = age_on(applicant.birth_date, on)
    if not requirements.min_age <= age <= requirements.max_age:
        reasons.append(Reason("age", f"age {age} is outside the required range "
                                     f"{requirements.min_age} to {requirements.max_age}"))
    if _education_rank(applicant.education) < _education_rank(requirements.min_education):
        reasons.append(Reason("education", f"education {applicant.education} is below the "
                                           f"required {requirements.min_education}"))
    if requirements.majors:
        accepted = {_normalise_major(m) for m in requirements.majors}
        if applicant.major is None or _normalise_major(applicant.major) not in accepted:
            reasons.append(Reason("major", "major must be one of: "
                                           + ", ".join(sorted(requirements.majors))))
    held = {code_key(c) for c in applicant.certificates}
    for code in sorted(requirements.certificates):
        if code_key(code) not in held:
            reasons.append(Reason("certificate", f"certificate {code} is required"))
    return reasons


# --- assessment ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: int
    max_score: int


@dataclass(frozen=True)
class Scorecard:
    """Uniform assessment of a position; criterion weights sum to 100."""

    criteria: tuple[Criterion, ...]
    pass_score: float
    min_assessors: int


@dataclass(frozen=True)
class Decision:
    decision: str  # "pass", "fail" or "pending"
    total_score: float | None
    assessments: int


def _weighted_fraction(scorecard: Scorecard, scores: Mapping[str, float]) -> Fraction:
    # Exact arithmetic: sums of Fractions do not depend on the order of their terms.
    return sum((Fraction(c.weight) * Fraction(scores[c.key]) / c.max_score
                for c in scorecard.criteria), Fraction(0))


def weighted_percent(scorecard: Scorecard, scores: Mapping[str, float]) -> float:
    """One assessor's score in percent: sum of weight * score / max_score over the criteria."""
    return float(_weighted_fraction(scorecard, scores))


def decide(scorecard: Scorecard, assessments: Sequence[Mapping[str, float]]) -> Decision:
    """Pending below ``min_assessors``; otherwise pass or fail on the mean weighted percent.

    The mean is computed exactly, then rounded to 2 decimals, so the order in which the
    assessments arrive never changes the total or the decision.
    """
    count = len(assessments)
    if count < scorecard.min_assessors:
        return Decision("pending", None, count)
    mean = sum((_weighted_fraction(scorecard, a) for a in assessments), Fraction(0)) / count
    total = round(float(mean), 2)
    return Decision("pass" if total >= scorecard.pass_score else "fail", total, count)


def _is_number(value) -> bool:
    """A finite int or float; bools are not numbers here."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def score_problems(scorecard: Scorecard, scores: Mapping) -> dict[str, str]:
    """Field path -> problem for one assessor's scores; empty when they are all valid.

    An unknown key is named in its path only when it looks like a criterion key, so that
    arbitrary text a caller sent as a key never ends up in an error message.
    """
    if not isinstance(scores, Mapping):
        return {"scores": "must be an object mapping each criterion key to a number"}
    problems = {}
    for criterion in scorecard.criteria:
        field = f"scores.{criterion.key}"
        if criterion.key not in scores:
            problems[field] = "missing"
            continue
        value = scores[criterion.key]
        if not _is_number(value):
            problems[field] = "must be a number"
        elif not 0 <= value <= criterion.max_score:
            problems[field] = f"must be between 0 and {criterion.max_score}"
    known = {c.key for c in scorecard.criteria}
    for key in scores:
        if key not in known:
            if isinstance(key, str) and _SAFE_KEY.fullmatch(key):
                problems[f"scores.{key}"] = "unknown criterion"
            else:
                problems["scores"] = "has keys that are not criteria of this position"
    return problems


@dataclass(frozen=True)
class Position:
    """A position as hiring sees it; ``code`` as written, unique regardless of case."""

    code: str
    title: str
    requirements: Requirements
    scorecard: Scorecard
    position_id: str | None = None  # set once stored


@dataclass(frozen=True)
class AssessmentRecord:
    assessor_id: str
    scores: Mapping[str, float]
    weighted_score: float


@dataclass(frozen=True)
class Candidate:
    """An application to a position, with the assessments made so far."""

    candidate_id: str
    name: str
    position: Position
    eligible: bool
    reasons: tuple[Reason, ...]
    hired_staff_id: str | None
    assessments: tuple[AssessmentRecord, ...] = ()

    def decision(self) -> Decision:
        """Fail when ineligible; otherwise ``decide`` over the assessments made."""
        if not self.eligible:
            return Decision("fail", None, 0)
        return decide(self.position.scorecard, [a.scores for a in self.assessments])

    def hiring_problem(self) -> str | None:
        """Why this candidate cannot be hired now; ``None`` when they can."""
        if not self.eligible:
            return "candidate does not meet the position's requirements"
        if self.hired_staff_id:
            return "candidate already hired"
        if self.decision().decision != "pass":
            return "only a candidate who passed the assessment can be hired"
        return None


# --- accounts and training -----------------------------------------------------------------

@dataclass(frozen=True)
class CertificateRecord:
    code: str
    name: str
    issued_on: date
    expires_on: date | None


@dataclass(frozen=True)
class TrainingRecord:
    module_code: str
    score: float
    pass_mark: float
    passed: bool
    attempted_at: datetime


@dataclass(frozen=True)
class SecurityAcknowledgment:
    """The member's acknowledgment of the information-security rules: current until ``expires_on``."""

    acknowledged_at: datetime
    expires_on: date
    current: bool


def security_acknowledgment(acknowledged_at: datetime | None, today: date,
                            days: int = DEFAULT_SECURITY_ACKNOWLEDGMENT_DAYS):
    """The acknowledgment made at ``acknowledged_at`` as seen on ``today``; ``None`` when never made.

    It is current on the days before ``expires_on`` (``days`` after the day it was made)."""
    if acknowledged_at is None:
        return None
    expires_on = acknowledged_at.date() + timedelta(days=days)
    return SecurityAcknowledgment(acknowledged_at, expires_on, today < expires_on)


@dataclass(frozen=True)
class Member:
    """A staff member's record: who they are at work, never their password."""

    staff_id: str
    username: str
    name: str
    status: str
    roles: tuple[str, ...]
    skills: tuple[str, ...]
    position_code: str | None
    token_version: int
    must_change_password: bool = False
    security_acknowledged_at: datetime | None = None
    onboarded_at: datetime | None = None
    certificates: tuple[CertificateRecord, ...] = ()
    trainings: tuple[TrainingRecord, ...] = ()

    @property
    def passed_modules(self) -> set[str]:
        return {t.module_code for t in self.trainings if t.passed}

    def acknowledgment(self, today: date, acknowledgment_days: int):
        """The member's ``SecurityAcknowledgment`` as seen on ``today``; ``None`` when never made."""
        return security_acknowledgment(self.security_acknowledged_at, today, acknowledgment_days)

    def may_become_active(self, today: date, acknowledgment_days: int) -> bool:
        """Whether ``set_status(..., "active")`` may make this member active: one who finished
        onboarding may come back from a suspension; one who never did must finish it first."""
        return self.status == "active" or self.onboarded_at is not None or self.ready_to_activate(
            today, acknowledgment_days)

    def ready_to_activate(self, today: date, acknowledgment_days: int) -> bool:
        """An onboarding member becomes active once every module is passed and the security rules
        are acknowledged (and that acknowledgment is current)."""
        acknowledgment = self.acknowledgment(today, acknowledgment_days)
        return (self.status == "onboarding" and all_modules_passed(self.passed_modules)
                and acknowledgment is not None and acknowledgment.current)


def password_problems(password: str, username: str, common_passwords=frozenset()) -> list[str]:
    """What the password lacks under the policy; empty when acceptable. Never echoes it.

    ``common_passwords`` (lower case) are refused, alone or followed by digits and punctuation
    (``sunshine2024!``)."""
    problems = []
    lowered = password.casefold()
    if lowered in common_passwords or lowered.rstrip("0123456789!@#$%^&*?.,-_ ") in common_passwords:
        problems.append("is a commonly used password")
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"must be at least {PASSWORD_MIN_LENGTH} characters long")
    if not any(ch.isalpha() for ch in password):
        problems.append("must contain at least one letter")
    if not any(ch.isdigit() for ch in password):
        problems.append("must contain at least one digit")
    if username and username.casefold() in password.casefold():
        problems.append("must not contain the username")
    return problems


def training_passed(score: float, pass_mark: float) -> bool:
    return score >= pass_mark


def all_modules_passed(passed_modules: Iterable[str]) -> bool:
    """True once every onboarding module has been passed (extra modules are ignored)."""
    return set(TRAINING_MODULES) <= set(passed_modules)


@dataclass(frozen=True)
class LoginLockout:
    """Lock an account after ``max_failures`` failed logins within ``window``.

    The caller passes the failures since the last successful login. Failures are in the
    same window when the last is less than ``window`` after the first; the lock lasts
    ``lock_for`` from the last of them and is over at exactly that instant.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)

    def locked_until(self, failure_times: Sequence[datetime], now: datetime) -> datetime | None:
        """The end of the lock in force at ``now``, or None when the account is not locked."""
        times = sorted(t for t in failure_times if t <= now)
        n = self.max_failures
        ends = [times[i + n - 1] + self.lock_for
                for i in range(len(times) - n + 1)
                if times[i + n - 1] - times[i] < self.window]
        until = max(ends, default=None)
        return until if until is not None and now < until else None


# --- certificates --------------------------------------------------------------------------

def certificate_expiring(expires_on: date | None, today: date, days_ahead: int = 30) -> bool:
    """True when the certificate expires between today and ``days_ahead`` days later, inclusive."""
    return expires_on is not None and today <= expires_on <= today + timedelta(days=days_ahead)


# -- roles -------------------------------------------------------------------------------
def roles_not_grantable(granter_roles, roles):
    """The roles in ``roles`` that a member holding ``granter_roles`` may not grant."""
    if "admin" in granter_roles:
        return set()
    grantable = HR_GRANTABLE_ROLES if "hr" in granter_roles else frozenset()
    return set(roles) - grantable


def roles_raised(held_roles, roles):
    """The roles in ``roles`` that would give someone holding ``held_roles`` a right they lack.
    ``admin`` carries every role's rights but one: revealing customer PII needs ``supervisor``."""
    if "admin" in held_roles:
        return (set(roles) & ROLES_ADMIN_DOES_NOT_CARRY) - set(held_roles)
    return set(roles) - set(held_roles)


def check_admin_remains(active_admin_ids, staff_id, roles, status):
    """``ValueError`` when giving ``staff_id`` these ``roles`` and ``status`` would leave no active admin."""
    remaining = set(active_admin_ids) - {staff_id}
    if status == "active" and "admin" in roles:
        remaining.add(staff_id)
    if not remaining:
        raise ValueError("the last active admin must keep the admin role and stay active")
