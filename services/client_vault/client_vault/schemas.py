"""Validation of the arguments of the client_vault RPC methods (docs/contract/client_vault.md).

Each parser collects every problem and raises one ``ValidationError`` mapping the field path the
caller sent (``profile.phone``, ``rows[3].name``) to what is expected. Messages never repeat a
submitted value: everything here may be a client's personal data.
"""
import re
from datetime import UTC, date, datetime

import phonenumbers

from anchang_common.errors import ValidationError
from anchang_common.parsing import MISSING as _MISSING
from anchang_common.parsing import Problems as _Problems
from anchang_common.parsing import parse_id, read_id
from client_vault import domain
from client_vault.domain import Profile

MAX_NAME, MAX_ADDRESS, MAX_NOTE = 50, 200, 5000
MAX_IMPORT_ROWS = 10_000
MAX_BATCH_SIZE = 5_000
#: enumerations and codes a caller chooses (source, consent purpose): never free text
CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
CODE_EXPECTED = "must be a lower-case code of 2-40 characters: letters, digits and '_'"
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
PROFILE_KEYS = ("name", "phone", "id_number", "address", "source", "consent")
def normalise_phone(value):
    """The E.164 form (``+8613800138000``) of a mainland mobile number written with spaces, dashes,
    dots, ``+86`` or ``0086``; ``None`` when it is not one."""
    if not isinstance(value, str) or not 1 <= len(value) <= 30:
        return None
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    # number_type is UNKNOWN for a number invalid in CN: it checks what is_valid_number_for_region
    # would (country code 86 is CN alone), at half the cost of both (a bulk import's hot path)
    if number.country_code != 86 or phonenumbers.number_type(number) not in _MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_id_number(value):
    """A resident ID number of 18 characters whose birth date exists and whose check digit is right."""
    if not _ID_NUMBER.fullmatch(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    check = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11
    return _ID_CHECK[check] == value[17]


def _text(problems, path, value, max_len, required=True):
    if value is _MISSING or value is None:
        if required:
            problems[path] = "required"
        return None
    text = value.strip() if isinstance(value, str) else None
    if not text or len(text) > max_len:
        problems[path] = f"must be a non-empty string of at most {max_len} characters"
        return None
    return text


def _code(problems, path, value, choices=None):
    if value is _MISSING or value is None:
        problems[path] = "required"
        return None
    if choices is not None:
        if value not in choices:
            problems[path] = f"must be one of {', '.join(choices)}"
            return None
        return value
    if not isinstance(value, str) or not CODE.fullmatch(value):
        problems[path] = CODE_EXPECTED
        return None
    return value


def _timestamp(problems, path, value):
    if not isinstance(value, str):
        problems[path] = "required: an ISO-8601 time with its offset" if value in (None, _MISSING) else \
            "must be an ISO-8601 time with its offset"
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problems[path] = "must be an ISO-8601 time with its offset"
        return None
    return parsed.astimezone(UTC)


def _phone(problems, path, value):
    if value is _MISSING or value is None:
        problems[path] = "required"
        return None
    phone = normalise_phone(value)
    if phone is None:
        problems[path] = "must be a mainland China mobile number"
    return phone


def _id_number(problems, path, value):
    if value is _MISSING or value is None:
        return None
    text = value.strip().upper() if isinstance(value, str) else ""
    if not valid_id_number(text):
        problems[path] = "must be an 18-character resident ID number with a valid check digit"
        return None
    return text


def _unknown_keys(problems, path, data, known):
    for key in data:
        if key not in known:
            problems[f"{path}.{key}" if isinstance(key, str) and CODE.fullmatch(key) else path] = "unknown field"


def _consent(problems, path, value):
    if not isinstance(value, dict):
        problems[path] = "required" if value in (None, _MISSING) else "must be an object"
        return None, None
    _unknown_keys(problems, path, value, ("purpose", "granted_at"))
    return (_code(problems, f"{path}.purpose", value.get("purpose", _MISSING)),
            _timestamp(problems, f"{path}.granted_at", value.get("granted_at", _MISSING)))


def profile_problems(data, path):
    """``(Profile or None, problems)`` for one profile: every problem found, none raised."""
    problems = _Problems()
    if not isinstance(data, dict):
        problems[path] = "required" if data is None else "must be an object"
        return None, problems
    _unknown_keys(problems, path, data, PROFILE_KEYS)
    name = _text(problems, f"{path}.name", data.get("name", _MISSING), MAX_NAME)
    phone = _phone(problems, f"{path}.phone", data.get("phone", _MISSING))
    id_number = _id_number(problems, f"{path}.id_number", data.get("id_number"))
    address = _text(problems, f"{path}.address", data.get("address"), MAX_ADDRESS, required=False)
    source = _code(problems, f"{path}.source", data.get("source", _MISSING))
    purpose, granted_at = _consent(problems, f"{path}.consent", data.get("consent", _MISSING))
    if problems:
        return None, problems
    return Profile(name=name, phone=phone, id_number=id_number, address=address, source=source,
                   consent_purpose=purpose, consent_granted_at=granted_at), problems


def parse_profile(data):
    profile, problems = profile_problems(data, "profile")
    problems.check()
    return profile


def parse_import_rows(rows):
    """``(good, rejected)``: ``good`` is ``[(row index, Profile)]``; ``rejected`` is
    ``[{row, reasons: {field: problem}}]``, field paths relative to the row."""
    if not isinstance(rows, list) or not rows or len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError({"rows": f"must be a list of 1 to {MAX_IMPORT_ROWS} profiles"})
    good, rejected = [], []
    for index, row in enumerate(rows):
        profile, problems = profile_problems(row, "row")
        if profile is None:
            reasons = {key.removeprefix("row.") if key != "row" else "row": problem
                       for key, problem in problems.items()}
            rejected.append({"row": index, "reasons": reasons})
        else:
            good.append((index, profile))
    return good, rejected


def parse_changes(changes):
    """``(pii changes {field: plaintext, phone in E.164}, record changes {column: value})``."""
    problems = _Problems()
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": "must be an object with at least one field to change"})
    _unknown_keys(problems, "changes", changes, PROFILE_KEYS)
    pii, record = {}, {}
    if "name" in changes:
        pii["name"] = _text(problems, "changes.name", changes["name"], MAX_NAME)
    if "phone" in changes:
        pii["phone"] = _phone(problems, "changes.phone", changes["phone"])
    if "id_number" in changes:
        if changes["id_number"] is None:
            problems["changes.id_number"] = "must be an 18-character resident ID number with a valid check digit"
        else:
            pii["id_number"] = _id_number(problems, "changes.id_number", changes["id_number"])
    if "address" in changes:
        pii["address"] = _text(problems, "changes.address", changes["address"], MAX_ADDRESS)
    if "source" in changes:
        record["source"] = _code(problems, "changes.source", changes["source"])
    if "consent" in changes:
        purpose, granted_at = _consent(problems, "changes.consent", changes["consent"])
        record.update(consent_purpose=purpose, consent_granted_at=granted_at)
    problems.check()
    return pii, record


def parse_optional_id(field, value):
    return None if value is None else parse_id(field, value)


def parse_purpose(value):
    problems = _Problems()
    purpose = _code(problems, "purpose", value, domain.PURPOSES)
    problems.check()
    return purpose


def parse_reveal(client_id, fields, purpose):
    """``(client_id, fields as a sorted tuple, purpose)``."""
    problems = _Problems()
    read_id(problems, "client_id", client_id)
    if (not isinstance(fields, list) or not fields
            or any(f not in domain.PII_FIELDS for f in fields)):
        problems["fields"] = f"must be a non-empty list of {', '.join(domain.PII_FIELDS)}"
    _code(problems, "purpose", purpose, domain.PURPOSES)
    problems.check()
    return client_id, tuple(sorted(set(fields))), purpose


def parse_note(kind, text):
    problems = _Problems()
    kind = _code(problems, "kind", kind, domain.NOTE_KINDS)
    text = _text(problems, "text", text, MAX_NOTE)
    problems.check()
    return kind, text


def parse_erasure_reason(reason):
    problems = _Problems()
    reason = _code(problems, "reason", reason, domain.ERASURE_REASONS)
    problems.check()
    return reason


def parse_batch_size(value):
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_BATCH_SIZE:
        return value
    raise ValidationError({"batch_size": f"must be an integer between 1 and {MAX_BATCH_SIZE}"})


def parse_since(value):
    if value is None:
        return None
    problems = _Problems()
    since = _timestamp(problems, "since", value)
    problems.check()
    return since
