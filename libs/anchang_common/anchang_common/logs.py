"""JSON log lines, with anything shaped like a phone or ID number redacted before it is written."""
import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REDACTED = "[redacted]"

# mainland mobile numbers, with or without +86 and separators; 15/18-character resident ID numbers;
# any other run of 11 or more digits (landlines with area codes, bank cards) is treated alike.
# Separators people write in phone numbers: a space, dash, dot or parenthesis between digits.
_SEP = r"[\s.()\-]?"
_PII_PATTERNS = [
    re.compile(rf"(?<!\d)(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?!\d)"),
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"),
    re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{10,}}(?!\d)"),
]
#: attributes every ``LogRecord`` has; anything else on a record came from ``extra``
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text):
    """``text`` with every phone- or ID-shaped run replaced by ``[redacted]``."""
    for pattern in _PII_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactPii(logging.Filter):
    """Rewrites the message, the ``extra`` fields and any traceback of a record so no phone or ID
    number is written."""

    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and not isinstance(value, (bool, int, float, type(None))):
                setattr(record, name, redact(value if isinstance(value, str) else repr(value)))
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (ISO-8601, UTC), level, logger, message, and any ``extra`` fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
