"""What the ticket RPC methods return and what its events carry: plain JSON made from domain
objects. Events carry ids and enumerations only (docs/contract/events.md)."""
from ticket.calendar import WEEKDAYS, format_clock


def _iso(instant):
    return instant.isoformat() if instant is not None else None


def ticket_view(ticket, now):
    clocks = ticket.clocks
    return {
        "ticket_id": ticket.ticket_id, "client_id": ticket.client_id, "category": ticket.category,
        "priority": ticket.priority, "channel": ticket.channel, "subject": ticket.subject,
        "state": ticket.state, "assignee_id": ticket.assignee_id, "opened_at": _iso(ticket.opened_at),
        "first_response_due_at": _iso(clocks["first_response"].due_at),
        "resolution_due_at": _iso(clocks["resolution"].due_at),
        "paused": ticket.state == "waiting_customer",
        "first_responded_at": _iso(ticket.first_responded_at), "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "at_risk": ticket.at_risk(now), "breaches": ticket.breaches, "note_id": ticket.note_id,
        "reopen_count": ticket.reopen_count, "linked_ticket_id": ticket.linked_ticket_id,
        "satisfaction_score": ticket.satisfaction_score,
    }


def follow_up_view(follow_up):
    return {"follow_up_id": follow_up.follow_up_id, "ticket_id": follow_up.ticket_id,
            "due_at": _iso(follow_up.due_at), "notified_at": _iso(follow_up.notified_at),
            "completed_at": _iso(follow_up.completed_at), "note_id": follow_up.note_id}


def calendar_view(calendar):
    return {"code": calendar.code, "timezone": calendar.timezone,
            "hours": {day: [format_clock(entry[0]), format_clock(entry[1])] if entry else None
                      for day, entry in zip(WEEKDAYS, calendar.hours, strict=True)},
            "holidays": sorted(d.isoformat() for d in calendar.holidays),
            "workdays": sorted(d.isoformat() for d in calendar.workdays)}


def policy_view(policy):
    return {"category": policy.category, "priority": policy.priority,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes, "calendar": policy.calendar}


def event_data(ticket, **extra):
    """The ``data`` of a ``ticket.*`` event: what every one carries, plus ``extra``."""
    return {"ticket_id": ticket.ticket_id, "category": ticket.category, "priority": ticket.priority,
            "assignee_id": ticket.assignee_id, **extra}


def sla_event(ticket, notification, due_at):
    return event_data(ticket, kind=notification.kind, due_at=due_at.isoformat())

