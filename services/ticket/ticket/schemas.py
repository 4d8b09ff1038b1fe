"""Validation of the arguments of the ticket RPC methods (docs/contract/ticket.md).

Each parser collects every problem, then raises one ``ValidationError`` mapping the dotted field path
the caller sent (e.g. ``calendar.hours.mon``) to what is expected. Messages never repeat a submitted
value: descriptions and messages are personal data.
"""
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anchang_common.errors import ValidationError
from anchang_common.logs import redact
from anchang_common.parsing import MISSING as _MISSING
from anchang_common.parsing import Problems as _Problems
from anchang_common.parsing import parse_id as parse_id
from anchang_common.parsing import read_choice as _choice
from anchang_common.parsing import read_id as _id
from anchang_common.parsing import read_int as _int
from anchang_common.parsing import read_object as _object
from anchang_common.parsing import read_text as _text
from ticket import domain, sla
from ticket.calendar import WEEKDAYS, every_day, parse_clock

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}")
CODE_EXPECTED = "must be 2-64 characters: letters, digits, '_' or '-', starting with a letter or digit"
#: ids travel in events: they must look like ids
CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,31}")
# texts go to client_vault.add_note, which keeps notes of at most 5,000 characters
MAX_SUBJECT, MAX_TEXT = 200, 5_000
MAX_MINUTES = 366 * 24 * 60
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_HOURS = ("09:00", "18:00")
FILTERS = ("state", "category", "priority", "assignee_id", "client_id", "limit")
MAX_LIST = 500
def _subject(problems, value):
    """The subject is shown to every member and kept in ticket's own table, so it may not carry
    customer information: anything shaped like a phone or ID number is refused (the description is
    where the customer's words go, encrypted by client_vault)."""
    subject = _text(problems, "ticket.subject", value, MAX_SUBJECT)
    if subject is not None and redact(subject) != subject:
        problems["ticket.subject"] = "must not contain phone or ID numbers (put customer details in the description)"
        return None
    return subject


def _dates(problems, field, value):
    if value is _MISSING or value is None:
        return frozenset()
    if not isinstance(value, list):
        problems[field] = "must be a list of dates (YYYY-MM-DD)"
        return frozenset()
    days = set()
    for index, item in enumerate(value):
        try:
            days.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            problems[f"{field}[{index}]"] = "must be a date (YYYY-MM-DD)"
    return frozenset(days)


# --- the methods' arguments ------------------------------------------------------------------

def parse_text(field, value, required=True):
    """A text the caller wrote (PII: it goes to client_vault, never to a table here)."""
    if value is None and not required:
        return None
    problems = _Problems()
    value = _text(problems, field, value, MAX_TEXT)
    problems.check()
    return value


def parse_policy(data):
    """``set_sla_policy``'s argument -> ``sla.Policy``."""
    problems = _Problems()
    data = _object(problems, "policy", data)
    problems.check()
    category = _choice(problems, "policy.category", data.get("category"), domain.CATEGORIES)
    priority = _choice(problems, "policy.priority", data.get("priority"), domain.PRIORITIES)
    first = _int(problems, "policy.first_response_minutes", data.get("first_response_minutes"), 1, MAX_MINUTES)
    resolution = _int(problems, "policy.resolution_minutes", data.get("resolution_minutes"), 1, MAX_MINUTES)
    if first is not None and resolution is not None and resolution < first:
        problems["policy.resolution_minutes"] = "must not be less than first_response_minutes"
    calendar = _text(problems, "policy.calendar", data.get("calendar", domain.DEFAULT_CALENDAR), 64, CODE,
                     CODE_EXPECTED)
    problems.check()
    return sla.Policy(category, priority, first, resolution, calendar)


def _hours(problems, field, value):
    """``{mon: ["09:00", "18:00"], ...}`` -> seven ``(open, close)`` minutes or ``None`` (a day not named
    is closed); absent: 09:00-18:00 every day."""
    if value is _MISSING or value is None:
        return every_day(*(parse_clock(t) for t in DEFAULT_HOURS))
    if not isinstance(value, dict) or not value:
        problems[field] = "must be an object of weekdays (" + ", ".join(WEEKDAYS) + ")"
        return None
    for name in value:
        if name not in WEEKDAYS:
            problems[field] = "weekdays are: " + ", ".join(WEEKDAYS)
            return None
    hours = []
    for name in WEEKDAYS:
        entry = value.get(name)
        if entry is None:
            hours.append(None)
            continue
        try:
            opens, closes = (parse_clock(t) for t in entry)
            if not isinstance(entry, list) or opens >= closes:
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            problems[f"{field}.{name}"] = 'must be ["HH:MM", "HH:MM"], opening before closing, or null'
            continue
        hours.append((opens, closes))
    if len(hours) == 7 and all(entry is None for entry in hours):
        problems[field] = "must open on at least one weekday"
    return tuple(hours)


def parse_calendar(data):
    """``set_calendar``'s argument -> ``(code, timezone, hours, holidays, workdays)``."""
    problems = _Problems()
    data = _object(problems, "calendar", data)
    problems.check()
    code = _text(problems, "calendar.code", data.get("code", _MISSING), 64, CODE, CODE_EXPECTED)
    timezone = data.get("timezone", DEFAULT_TIMEZONE)
    try:
        if not isinstance(timezone, str) or not timezone:
            raise ValueError
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        problems["calendar.timezone"] = "must be an IANA time zone, e.g. Asia/Shanghai"
    hours = _hours(problems, "calendar.hours", data.get("hours", _MISSING))
    holidays = _dates(problems, "calendar.holidays", data.get("holidays"))
    workdays = _dates(problems, "calendar.workdays", data.get("workdays"))
    if holidays & workdays:
        problems["calendar.workdays"] = "a date cannot be a holiday and a working day"
    unknown = set(data) - {"code", "timezone", "hours", "holidays", "workdays"}
    if unknown:
        problems["calendar"] = "unknown fields; expected code, timezone, hours, holidays, workdays"
    problems.check()
    return code, timezone, hours, holidays, workdays


def parse_new_ticket(data):
    """``open_ticket``'s argument -> (fields without the description, description)."""
    problems = _Problems()
    data = _object(problems, "ticket", data)
    problems.check()
    fields = {
        "client_id": _id(problems, "ticket.client_id", data.get("client_id", _MISSING)),
        "category": _choice(problems, "ticket.category", data.get("category"), domain.CATEGORIES),
        "priority": _choice(problems, "ticket.priority", data.get("priority", "normal"), domain.PRIORITIES),
        "channel": _text(problems, "ticket.channel", data.get("channel", _MISSING), 32, CHANNEL,
                         "must be 1-32 lowercase letters, digits or '_' (phone, walk_in, wechat, ...)"),
        "subject": _subject(problems, data.get("subject", _MISSING)),
    }
    description = _text(problems, "ticket.description", data.get("description", _MISSING), MAX_TEXT)
    unknown = set(data) - {*fields, "description"}
    if unknown:
        problems["ticket"] = "unknown fields; expected " + ", ".join([*fields, "description"])
    problems.check()
    return fields, description


def parse_instant(field, value):
    """An ISO-8601 instant as an aware UTC datetime (no offset: UTC)."""
    problems = _Problems()
    try:
        if not isinstance(value, str):
            raise ValueError
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems[field] = "must be an ISO-8601 date and time"
        problems.check()
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def parse_score(score):
    problems = _Problems()
    _int(problems, "score", score, domain.SCORES[0], domain.SCORES[-1])
    problems.check()
    return score


def parse_filters(filters):
    """``list_tickets``' filters -> keyword arguments of ``TicketStorage.tickets``."""
    problems = _Problems()
    if filters is None:
        return {}
    filters = _object(problems, "filters", filters)
    problems.check()
    parsed = {}
    for name, value in filters.items():
        if name not in FILTERS:
            problems["filters"] = "unknown filter; expected " + ", ".join(FILTERS)
        elif value is None:
            continue
        elif name == "state":
            parsed[name] = _choice(problems, f"filters.{name}", value, domain.STATES)
        elif name == "category":
            parsed[name] = _choice(problems, f"filters.{name}", value, domain.CATEGORIES)
        elif name == "priority":
            parsed[name] = _choice(problems, f"filters.{name}", value, domain.PRIORITIES)
        elif name == "limit":
            parsed[name] = _int(problems, f"filters.{name}", value, 1, MAX_LIST)
        else:
            parsed[name] = _id(problems, f"filters.{name}", value)
    problems.check()
    return parsed


def parse_report(since, until, group_by):
    problems = _Problems()
    instants = {}
    for field, value in (("since", since), ("until", until)):
        try:
            instants[field] = parse_instant(field, value)
        except ValidationError as error:
            problems.update(error.errors)
    _choice(problems, "group_by", group_by, ("agent", "category", "priority"))
    if len(instants) == 2 and instants["until"] <= instants["since"]:
        problems["until"] = "must be after since"
    problems.check()
    return instants["since"], instants["until"], group_by
