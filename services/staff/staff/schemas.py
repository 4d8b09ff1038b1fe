"""Validation of the arguments of the staff RPC methods (docs/contract/staff.md).

Each parser collects every problem, then raises one ``ValidationError`` mapping the dotted
field path the caller sent (e.g. ``position.scorecard.criteria[1].weight``) to what is
expected. Messages never repeat a submitted value: candidates' data is personal.
"""

import re
from datetime import date

from anchang_common.errors import ValidationError
from anchang_common.parsing import MISSING as _MISSING
from anchang_common.parsing import Problems as _Problems
from anchang_common.parsing import is_number as _is_number
from anchang_common.parsing import parse_id
from anchang_common.parsing import read_choice as _choice
from anchang_common.parsing import read_date as _date
from anchang_common.parsing import read_int as _int
from anchang_common.parsing import read_object as _object
from anchang_common.parsing import read_text as _text
from anchang_common.types import utc_today
from staff import domain
from staff.domain import Applicant, Criterion, Requirements, Scorecard
from staff.passwords import COMMON_PASSWORDS

#: codes people type (position, certificate): letters of either case, digits, '-' and '_'
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}")
CODE_EXPECTED = "must be 2-64 characters: letters, digits, '_' or '-', starting with a letter or digit"
MAX_PASSWORD = 200
CRITERION_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
MIN_AGE, MAX_AGE = 16, 70
MAX_TITLE, MAX_NAME, MAX_ID, MAX_TEXT = 200, 100, 64, 200

# --- field readers: each returns the parsed value, or None after recording a problem --------

def _number(problems, field, value, low, high):
    if _is_number(value) and low <= value <= high:
        return float(value)
    problems[field] = f"must be a number between {low} and {high}"
    return None


def _string_set(problems, field, value):
    """An optional list of non-empty strings, as a frozenset (absent or None: empty)."""
    if value is _MISSING or value is None:
        return frozenset()
    if not isinstance(value, list):
        problems[field] = "must be a list of non-empty strings"
        return frozenset()
    items = [_text(problems, f"{field}[{i}]", item, MAX_TEXT) for i, item in enumerate(value)]
    return frozenset(item for item in items if item is not None)


def _subset(problems, field, value, choices):
    """A non-empty list of items of ``choices``, as a tuple in the order of ``choices``."""
    expected = "must be a non-empty list of: " + ", ".join(choices)
    if not isinstance(value, list) or not value:
        problems[field] = expected
        return None
    items = {_choice(problems, f"{field}[{i}]", item, choices) for i, item in enumerate(value)}
    return tuple(c for c in choices if c in items)


# --- positions and candidates --------------------------------------------------------------

def _requirements(problems, field, data):
    data = _object(problems, field, data)
    if data is None:
        return None
    min_age = _int(problems, f"{field}.min_age", data.get("min_age"), MIN_AGE, MAX_AGE)
    max_age = _int(problems, f"{field}.max_age", data.get("max_age"), MIN_AGE, MAX_AGE)
    if min_age is not None and max_age is not None and min_age > max_age:
        problems[f"{field}.max_age"] = "must not be less than min_age"
    education = _choice(problems, f"{field}.min_education", data.get("min_education"),
                        domain.EDUCATION_LEVELS)
    majors = _string_set(problems, f"{field}.majors", data.get("majors"))
    certificates = _string_set(problems, f"{field}.certificates", data.get("certificates"))
    return Requirements(min_age, max_age, education, majors, certificates)


def _criteria(problems, field, value):
    if not isinstance(value, list) or not value:
        problems[field] = "must be a non-empty list of criteria"
        return ()
    criteria, keys = [], set()
    for i, item in enumerate(value):
        path = f"{field}[{i}]"
        item = _object(problems, path, item)
        if item is None:
            continue
        key = _text(problems, f"{path}.key", item.get("key", _MISSING), MAX_ID, CRITERION_KEY,
                    "must be 1-64 characters: lowercase letters, digits or '_', "
                    "starting with a letter")
        if key is not None and key in keys:
            problems[f"{path}.key"] = "duplicate key"
        keys.add(key)
        label = _text(problems, f"{path}.label", item.get("label", _MISSING), MAX_TEXT)
        weight = _int(problems, f"{path}.weight", item.get("weight"), 1)
        max_score = _int(problems, f"{path}.max_score", item.get("max_score"), 1)
        criteria.append(Criterion(key, label, weight, max_score))
    weights = [c.weight for c in criteria]
    if len(criteria) == len(value) and None not in weights and sum(weights) != 100:
        problems[field] = f"weights must sum to 100, not {sum(weights)}"
    return tuple(criteria)


def _scorecard(problems, field, data):
    data = _object(problems, field, data)
    if data is None:
        return None
    criteria = _criteria(problems, f"{field}.criteria", data.get("criteria"))
    pass_score = _number(problems, f"{field}.pass_score", data.get("pass_score"), 0, 100)
    min_assessors = _int(problems, f"{field}.min_assessors", data.get("min_assessors"), 1)
    return Scorecard(criteria, pass_score, min_assessors)


def parse_position(data):
    """``create_position``'s argument -> (code, title, Requirements, Scorecard)."""
    problems = _Problems()
    data = _object(problems, "position", data)
    problems.check()
    code = _text(problems, "position.code", data.get("code", _MISSING), MAX_ID, CODE, CODE_EXPECTED)
    title = _text(problems, "position.title", data.get("title", _MISSING), MAX_TITLE)
    requirements = _requirements(problems, "position.requirements",
                                 data.get("requirements", _MISSING))
    scorecard = _scorecard(problems, "position.scorecard", data.get("scorecard", _MISSING))
    problems.check()
    return code, title, requirements, scorecard


def parse_candidate(data, today: date):
    """``apply``'s candidate -> (name, Applicant); ``today`` bounds the birth date."""
    problems = _Problems()
    data = _object(problems, "candidate", data)
    problems.check()
    name = _text(problems, "candidate.name", data.get("name", _MISSING), MAX_NAME)
    birth_date = _date(problems, "candidate.birth_date", data.get("birth_date"))
    if birth_date is not None and birth_date > today:
        problems["candidate.birth_date"] = "must not be in the future"
    education = _choice(problems, "candidate.education", data.get("education"),
                        domain.EDUCATION_LEVELS)
    major = data.get("major")
    if major is not None:
        major = _text(problems, "candidate.major", major, MAX_TEXT)
    certificates = _string_set(problems, "candidate.certificates", data.get("certificates"))
    problems.check()
    return name, Applicant(birth_date, education, major, certificates)


def parse_scores(scorecard: Scorecard, scores) -> dict[str, float]:
    """One assessor's scores -> {criterion key: score}, every criterion within 0..max_score."""
    problems = _Problems(domain.score_problems(scorecard, scores))
    problems.check()
    return {c.key: float(scores[c.key]) for c in scorecard.criteria}


# --- staff accounts ------------------------------------------------------------------------

def parse_hire(username, password, roles, skills=None):
    """``hire``'s arguments -> (username, roles, skills); skills default to every category."""
    problems = _Problems()
    username = _text(problems, "username", username, 32, USERNAME,
                     "must be 3-32 characters: lowercase letters, digits, '_', '.' or '-', "
                     "starting with a letter")
    _new_password(problems, "password", password, username or "")
    roles = _subset(problems, "roles", roles, domain.ROLES)
    if skills is None:
        skills = domain.TICKET_CATEGORIES
    else:
        skills = _subset(problems, "skills", skills, domain.TICKET_CATEGORIES)
    problems.check()
    return username, roles, skills


def _new_password(problems, field, password, username):
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        problems[field] = f"must be a string of at most {MAX_PASSWORD} characters"
        return None
    weak = domain.password_problems(password, username, COMMON_PASSWORDS)
    if weak:
        problems[field] = "; ".join(weak)
        return None
    return password


def parse_credentials(username, password):
    """``login``'s arguments -> (username in lower case, password); the password is never judged here."""
    problems = _Problems()
    if not isinstance(username, str) or len(username) > MAX_ID:
        problems["username"] = f"must be a string of at most {MAX_ID} characters"
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        problems["password"] = f"must be a string of at most {MAX_PASSWORD} characters"
    problems.check()
    return username.strip().lower(), password


def parse_password_change(old_password, new_password, username):
    """``change_password``'s arguments -> (old, new); the new one must meet the policy and differ."""
    problems = _Problems()
    if not isinstance(old_password, str) or len(old_password) > MAX_PASSWORD:
        problems["old_password"] = f"must be a string of at most {MAX_PASSWORD} characters"
    new_password = _new_password(problems, "new_password", new_password, username)
    if new_password is not None and new_password == old_password:
        problems["new_password"] = "must differ from the old password"
    problems.check()
    return old_password, new_password


def parse_code(field, value):
    """A code argument (``position_code``), returned as sent."""
    problems = _Problems()
    code = _text(problems, field, value, MAX_ID, CODE, CODE_EXPECTED)
    problems.check()
    return code


def parse_training(module_code, score):
    """``complete_training``'s arguments -> (module_code, score in percent)."""
    problems = _Problems()
    module_code = _choice(problems, "module_code", module_code, domain.TRAINING_MODULES)
    score = _number(problems, "score", score, 0, 100)
    problems.check()
    return module_code, score


def parse_certificate(data):
    """``add_certificate``'s argument -> {code, name, issued_on, expires_on (date or None)}."""
    problems = _Problems()
    data = _object(problems, "certificate", data)
    problems.check()
    code = _text(problems, "certificate.code", data.get("code", _MISSING), MAX_ID, CODE, CODE_EXPECTED)
    name = _text(problems, "certificate.name", data.get("name", _MISSING), MAX_TEXT)
    issued_on = _date(problems, "certificate.issued_on", data.get("issued_on"))
    expires_on = data.get("expires_on")
    if expires_on is not None:
        expires_on = _date(problems, "certificate.expires_on", expires_on)
        if issued_on and expires_on and expires_on <= issued_on:
            problems["certificate.expires_on"] = "must be after issued_on"
    problems.check()
    return domain.CertificateRecord(code=code, name=name, issued_on=issued_on, expires_on=expires_on)


def parse_roles(roles):
    problems = _Problems()
    roles = _subset(problems, "roles", roles, domain.ROLES)
    problems.check()
    return roles


def parse_status(status):
    problems = _Problems()
    status = _choice(problems, "status", status, domain.STATUSES)
    problems.check()
    return status


def parse_category(category):
    problems = _Problems()
    category = _choice(problems, "category", category, domain.TICKET_CATEGORIES)
    problems.check()
    return category


MAX_IDS_PER_CALL = 1000


def parse_id_list(field, value):
    """A list of 0 to ``MAX_IDS_PER_CALL`` ids."""
    if not isinstance(value, list) or len(value) > MAX_IDS_PER_CALL:
        raise ValidationError({field: f"must be a list of at most {MAX_IDS_PER_CALL} ids"})
    for index, item in enumerate(value):
        parse_id(f"{field}[{index}]", item)
    return value


def parse_day(field, value):
    """An optional date argument: the date sent as YYYY-MM-DD, or today when absent."""
    return parse_date(field, value) if value is not None else utc_today()


def parse_assessment(scorecard: Scorecard, scores, comment):
    """``record_assessment``'s scores and optional comment -> (scores, comment)."""
    problems = _Problems(domain.score_problems(scorecard, scores))
    if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
        problems["comment"] = "must be a string of at most 2000 characters"
    problems.check()
    return {c.key: float(scores[c.key]) for c in scorecard.criteria}, comment


def parse_date(field, value):
    """A date argument sent as YYYY-MM-DD."""
    problems = _Problems()
    parsed = _date(problems, field, value)
    problems.check()
    return parsed
