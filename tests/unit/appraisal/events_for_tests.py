"""Ticket events as ``ticket`` dispatches them (docs/contract/events.md), at chosen times."""
from anchang_common.events import make_envelope

#: handler method of the appraisal service for each ticket event
HANDLERS = {name: f"on_ticket_{name}" for name in (
    "opened", "assigned", "first_responded", "resolved", "reopened", "closed", "sla_at_risk", "sla_breached",
    "satisfaction_recorded", "follow_up_due")}


def ticket_event(name, ticket_id, at, assignee_id=None, category="inquiry", priority="normal", **extra):
    """The envelope of ``ticket.<name>`` that occurred at ``at`` (ISO-8601 with offset)."""
    data = {"ticket_id": ticket_id, "category": category, "priority": priority, "assignee_id": assignee_id,
            **extra}
    return make_envelope(f"ticket.{name}", data) | {"occurred_at": at}


def handled_ticket(ticket_id, agent, day, category="inquiry", first_within=True, resolved_within=True,
                   satisfaction=None, reopened=False, resurvey=None):
    """The events of one ticket handled by ``agent`` on ``day`` (``YYYY-MM-DD``), in the order they happen."""
    def at(hour):
        return f"{day}T{hour:02d}:00:00+00:00"
    events = [
        ticket_event("opened", ticket_id, at(1), category=category, client_id="c1", channel="phone"),
        ticket_event("assigned", ticket_id, at(1), agent, category, staff_id=agent, previous_assignee_id=None,
                     assigned_by="auto"),
        ticket_event("first_responded", ticket_id, at(2), agent, category, staff_id=agent, business_seconds=600,
                     within_sla=first_within),
        ticket_event("resolved", ticket_id, at(3), agent, category, staff_id=agent, business_seconds=7200,
                     within_sla=resolved_within),
    ]
    if reopened:
        events.append(ticket_event("reopened", ticket_id, at(4), agent, category, staff_id=agent, reopen_count=1))
        events.append(ticket_event("resolved", ticket_id, at(5), agent, category, staff_id=agent,
                                   business_seconds=9000, within_sla=resolved_within))
    if satisfaction is not None:
        events.append(ticket_event("satisfaction_recorded", ticket_id, at(6), agent, category, staff_id=agent,
                                   score=satisfaction))
    if resurvey is not None:  # the customer changes their mind: the later score counts
        events.append(ticket_event("satisfaction_recorded", ticket_id, at(7), agent, category, staff_id=agent,
                                   score=resurvey))
    return events


def feed(world, envelopes):
    worker = world.handler()
    for envelope in envelopes:
        getattr(worker, HANDLERS[envelope["type"].partition(".")[2]])(envelope)
