"""JSON log lines, with anything shaped like a phone or ID number redacted before it is written."""
import logging
import re
from datetime import datetime, timezone

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REDACTED = "[redacted]"

# mainland mobile numbers, with or without +86 and separators; 15/18-character resident ID numbers;
# any other run of 11 or more digits (landlines with area codes, bank cards) is treated alike.
_PII_PATTERNS = [
    re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"),
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"),
    re.compile(r"(?<!\d)\d(?:[\s-]?\d){10,}(?!\d)"),
]


def redact(text):
    """``text`` with every phone- or ID-shaped run replaced by ``[redacted]``."""
    for pattern in _PII_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactPii(logging.Filter):
    """Rewrites the message and any traceback of a record so no phone or ID number is written."""

    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = None
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
        return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
