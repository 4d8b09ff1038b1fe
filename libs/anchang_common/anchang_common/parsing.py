"""Field readers that the services' ``schemas`` modules share.

Each reader returns the parsed value, or ``None`` after recording a problem under the field's path
in a ``Problems``; ``Problems.check()`` then raises them all at once as one ``ValidationError``. A
problem names what is expected, never the value given (it could be PII).
"""
import math
import re
from datetime import date

from anchang_common.errors import ValidationError

#: an argument or key that was not given at all (``None`` may be a given value)
MISSING = object()
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: the id of a member, candidate, client, ticket, note...: one pattern for every service, the one the
#: contract publishes (``anchang_common.contract.ID``)
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"
ID = re.compile(ID_PATTERN)
ID_EXPECTED = "must be an id: 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit"


class Problems(dict):
    """field path -> problem; ``check()`` raises them all at once."""

    def check(self):
        if self:
            raise ValidationError(self)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_object(problems, field, value):
    if isinstance(value, dict):
        return value
    problems[field] = "required" if value is MISSING or value is None else "must be an object"
    return None


def read_text(problems, field, value, max_len, pattern=None, expected=None):
    """A string of 1..max_len characters (after stripping), matching ``pattern`` if given."""
    if value is MISSING or value is None:
        problems[field] = "required"
        return None
    text = value.strip() if isinstance(value, str) else None
    if not text or len(text) > max_len or (pattern and not pattern.fullmatch(value)):
        problems[field] = expected or f"must be a non-empty string of at most {max_len} characters"
        return None
    return text


def read_id(problems, field, value):
    if isinstance(value, str) and ID.fullmatch(value):
        return value
    problems[field] = "required" if value is MISSING or value is None else ID_EXPECTED
    return None


def parse_id(field, value):
    """An id argument, returned as sent; a ``ValidationError`` naming ``field`` otherwise."""
    if isinstance(value, str) and ID.fullmatch(value):
        return value
    raise ValidationError({field: ID_EXPECTED})


def read_int(problems, field, value, low, high=None):
    if is_int(value) and value >= low and (high is None or value <= high):
        return value
    problems[field] = (f"must be an integer between {low} and {high}" if high is not None
                       else f"must be an integer of at least {low}")
    return None


def read_choice(problems, field, value, choices):
    if isinstance(value, str) and value in choices:
        return value
    problems[field] = "must be one of: " + ", ".join(choices)
    return None


def read_date(problems, field, value):
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems[field] = "must be a date as YYYY-MM-DD"
    return None
