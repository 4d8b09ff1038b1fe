"""Ticket and staff events read into facts (``domain.kpis.TicketFact``) and member notes: pure, no I/O.

The ticket events' ``data`` (docs/contract/events.md): ``ticket_id``, ``category``, ``priority``,
``assignee_id`` on every one, plus ``staff_id`` (who responded, resolved, was rated, ...),
``within_sla``, ``business_seconds``, ``score`` on some. A fact is attributed to ``staff_id`` where
the event names one, else to the assignee.
"""
from datetime import datetime

from anchang_common.errors import ValidationError
from appraisal.domain.kpis import TicketFact


def occurred_at(envelope) -> datetime:
    try:
        at = datetime.fromisoformat(envelope["occurred_at"])
    except (TypeError, ValueError):
        raise ValidationError({"event.occurred_at": "must be an ISO-8601 time"}) from None
    if at.tzinfo is None:
        raise ValidationError({"event.occurred_at": "must carry its offset from UTC"})
    return at


def _optional(data, key, kind):
    value = data.get(key)
    if value is None:
        return None
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ValidationError({f"event.data.{key}": f"must be {kind.__name__}"})
    return value


def ticket_fact(kind, envelope, timezone) -> TicketFact:
    """The fact of the ticket event ``ticket.<kind>``; its day is the calendar day in ``timezone``."""
    data = envelope["data"]
    if not isinstance(data, dict) or not isinstance(data.get("ticket_id"), str):
        raise ValidationError({"event.data.ticket_id": "required"})
    at = occurred_at(envelope)
    staff_id = _optional(data, "staff_id", str) or _optional(data, "assignee_id", str)
    return TicketFact(
        event_id=envelope["event_id"], kind=kind, ticket_id=data["ticket_id"], staff_id=staff_id,
        day=at.astimezone(timezone).date(), occurred_at=at, category=_optional(data, "category", str),
        within_sla=_optional(data, "within_sla", bool), business_seconds=_optional(data, "business_seconds", int),
        score=_optional(data, "score", int))


def staff_id_of(envelope) -> str:
    staff_id = envelope["data"].get("staff_id") if isinstance(envelope["data"], dict) else None
    if not isinstance(staff_id, str):
        raise ValidationError({"event.data.staff_id": "required"})
    return staff_id
