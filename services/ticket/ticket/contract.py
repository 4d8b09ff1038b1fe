"""The published contract of ``ticket``: a JSON Schema of every RPC method's arguments and result, and
of every event's ``data`` (``anchang_common.contract``; docs/contract/ticket.md says it in words).
Texts people write (descriptions, messages, resolutions, reasons, notes, comments) are PII: they go
to ``client_vault`` and are marked ``x-pii`` here."""
from anchang_common.contract import (
    BOOLEAN,
    CODE,
    DATE,
    ID,
    IDEMPOTENCY,
    INSTANT,
    RETURNED_ID,
    TICKET_CATEGORIES,
    UTC_INSTANT,
    MethodContract,
    array,
    enum,
    integer,
    nullable,
    number,
    obj,
    params,
    pii,
    string,
    text,
)

CATEGORY = enum(*TICKET_CATEGORIES)
PRIORITY = enum("low", "normal", "high", "urgent")
STATE = enum("open", "in_progress", "waiting_customer", "resolved", "closed")
KIND = enum("first_response", "resolution")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_MINUTES = 366 * 24 * 60
#: ids travel in events, so they look like ids
CHANNEL = string(1, 32, r"^[a-z][a-z0-9_]{0,31}$")
TEXT = pii(text(5_000))  # client_vault.add_note's limit: the texts become its notes
CLOCK = string(5, 5, r"^([01][0-9]|2[0-4]):[0-5][0-9]$")
OPENING = array(CLOCK, min_items=2, max_items=2, description="[opens, closes], opening before closing")

MINUTES = integer(1, MAX_MINUTES)
POLICY = obj(required={"category": CATEGORY, "priority": PRIORITY, "first_response_minutes": MINUTES,
                       "resolution_minutes": MINUTES},
             optional={"calendar": CODE}, additional=True,
             description="resolution_minutes not fewer than first_response_minutes; calendar default `default`",
             title="SlaPolicy")
POLICY_VIEW = obj(required={"category": CATEGORY, "priority": PRIORITY, "first_response_minutes": integer(1),
                            "resolution_minutes": integer(1), "calendar": CODE}, title="SlaPolicyView")
CALENDAR = obj(required={"code": CODE}, optional={
    "timezone": string(1, 64, description="an IANA time zone (default Asia/Shanghai)"),
    "hours": nullable(obj(optional={day: nullable(OPENING) for day in WEEKDAYS}, minProperties=1,
                          description="a weekday not named is closed; absent: 09:00-18:00 every day")),
    "holidays": nullable(array(DATE)), "workdays": nullable(array(DATE))}, title="Calendar")
CALENDAR_VIEW = obj(required={"code": CODE, "timezone": string(1, 64),
                              "hours": obj(required={day: nullable(OPENING) for day in WEEKDAYS}),
                              "holidays": array(DATE), "workdays": array(DATE)}, title="CalendarView")
NEW_TICKET = obj(required={"client_id": ID, "category": CATEGORY, "channel": CHANNEL, "subject": text(200),
                           "description": TEXT}, optional={"priority": PRIORITY}, title="NewTicket")
TICKET_VIEW = obj(required={
    "ticket_id": RETURNED_ID, "client_id": RETURNED_ID, "category": CATEGORY, "priority": PRIORITY,
    "channel": CHANNEL, "subject": string(1, 200), "state": STATE, "assignee_id": nullable(RETURNED_ID),
    "opened_at": UTC_INSTANT, "first_response_due_at": nullable(UTC_INSTANT),
    "resolution_due_at": nullable(UTC_INSTANT), "paused": BOOLEAN, "first_responded_at": nullable(UTC_INSTANT),
    "resolved_at": nullable(UTC_INSTANT), "closed_at": nullable(UTC_INSTANT), "at_risk": BOOLEAN,
    "breaches": array(KIND), "note_id": RETURNED_ID, "reopen_count": integer(0),
    "linked_ticket_id": nullable(RETURNED_ID), "satisfaction_score": nullable(integer(1, 5))}, title="TicketView")
FOLLOW_UP_VIEW = obj(required={
    "follow_up_id": RETURNED_ID, "ticket_id": RETURNED_ID, "due_at": UTC_INSTANT,
    "notified_at": nullable(UTC_INSTANT), "completed_at": nullable(UTC_INSTANT), "note_id": nullable(RETURNED_ID)},
    title="FollowUp")


def ticket_view_and(**more):
    """The ticket view with more fields (``resolve``, ``reopen``)."""
    return obj(required=TICKET_VIEW["properties"] | more)


FILTERS = obj(optional={"state": nullable(STATE), "category": nullable(CATEGORY), "priority": nullable(PRIORITY),
                        "assignee_id": nullable(ID), "client_id": nullable(ID), "limit": nullable(integer(1, 500))},
              title="TicketFilters")
CLOCK_FIGURES = obj(required={
    "measured": integer(0), "compliance_percent": nullable(number(0, 100)),
    "median_business_minutes": nullable(number(0)), "p90_business_minutes": nullable(number(0)),
    "breaches": integer(0)}, title="ClockFigures")
REPORT = obj(required={
    "since": UTC_INSTANT, "until": UTC_INSTANT, "group_by": enum("agent", "category", "priority"),
    "groups": array(obj(required={
        "group": string(1, 64), "tickets": integer(1), "resolved": integer(0), "first_response": CLOCK_FIGURES,
        "resolution": CLOCK_FIGURES, "breaches": integer(0), "mean_satisfaction": nullable(number(1, 5)),
        "satisfaction_responses": integer(0)}, title="SlaReportGroup"))}, title="SlaReport")
ON_TICKET = {"ticket_id": ID}

METHODS = {
    "set_sla_policy": MethodContract(
        params(required={"policy": POLICY}), POLICY_VIEW,
        "Supervisor: the SLA budgets of a category and priority; active tickets' deadlines follow."),
    "list_sla_policies": MethodContract(params(), array(POLICY_VIEW), "Every SLA policy."),
    "set_calendar": MethodContract(
        params(required={"calendar": CALENDAR}), CALENDAR_VIEW,
        "Supervisor: a business-hours calendar (zone, weekly hours, holidays, extra working days)."),
    "get_calendar": MethodContract(params(required={"code": ID}), CALENDAR_VIEW, "A business-hours calendar."),
    "open_ticket": MethodContract(
        params(required={"ticket": NEW_TICKET}, optional=IDEMPOTENCY), TICKET_VIEW,
        "Open a ticket for a client (its description goes to client_vault); auto-assigned when an agent is free."),
    "assign": MethodContract(params(required=ON_TICKET | {"staff_id": ID}), TICKET_VIEW,
                             "Supervisor: give an active ticket to an active agent with the skill."),
    "respond": MethodContract(params(required=ON_TICKET | {"message": TEXT}), TICKET_VIEW,
                              "The assignee answers; the first answer stops the first-response clock."),
    "wait_for_customer": MethodContract(params(required=ON_TICKET), TICKET_VIEW,
                                        "Pause the SLA clocks while the customer is to answer."),
    "resume": MethodContract(params(required=ON_TICKET), TICKET_VIEW, "Restart the SLA clocks of a waiting ticket."),
    "resolve": MethodContract(
        params(required=ON_TICKET | {"resolution": TEXT}), ticket_view_and(follow_up=nullable(FOLLOW_UP_VIEW)),
        "Resolve a ticket; after-sales and complaint tickets get a follow-up visit."),
    "reopen": MethodContract(
        params(required=ON_TICKET | {"reason": TEXT}), ticket_view_and(reopened_as_new_ticket=BOOLEAN),
        "Reopen a resolved ticket, or open a linked new one past the reopen window."),
    "close": MethodContract(params(required=ON_TICKET), TICKET_VIEW, "Close a resolved ticket."),
    "schedule_follow_up": MethodContract(params(required=ON_TICKET | {"due_at": INSTANT}), FOLLOW_UP_VIEW,
                                         "An after-sales return visit at a time."),
    "complete_follow_up": MethodContract(params(required={"follow_up_id": ID, "notes": TEXT}), FOLLOW_UP_VIEW,
                                         "Record a return visit as done, with its notes."),
    "record_satisfaction": MethodContract(
        params(required=ON_TICKET | {"score": integer(1, 5)}, optional={"comment": TEXT}),
        obj(required={"ticket_id": RETURNED_ID, "score": integer(1, 5), "comment_note_id": nullable(RETURNED_ID)}),
        "The customer's satisfaction (1..5) with a resolved ticket, once."),
    "get_ticket": MethodContract(params(required=ON_TICKET), TICKET_VIEW, "A ticket."),
    "list_tickets": MethodContract(params(optional={"filters": FILTERS}), array(TICKET_VIEW),
                                   "Tickets, newest first, filtered."),
    "has_open_assignment": MethodContract(
        params(required={"staff_id": ID, "client_id": ID}), BOOLEAN,
        "Service `client_vault` only: whether a member holds an open ticket of a client."),
    "sla_report": MethodContract(
        params(required={"since": INSTANT, "until": INSTANT, "group_by": enum("agent", "category", "priority")}),
        REPORT, "Supervisor, auditor: SLA compliance and times of the tickets opened in [since, until)."),
}


def _event(**more):
    """The data of a ``ticket.*`` event: what every one carries, plus ``more``."""
    return obj(required={"ticket_id": RETURNED_ID, "category": CATEGORY, "priority": PRIORITY,
                         "assignee_id": nullable(RETURNED_ID)} | more)


ACTED = {"staff_id": RETURNED_ID, "business_seconds": integer(0), "within_sla": BOOLEAN}
EVENTS = {
    "ticket.opened": _event(client_id=RETURNED_ID, channel=CHANNEL),
    "ticket.assigned": _event(staff_id=RETURNED_ID, previous_assignee_id=nullable(RETURNED_ID),
                              assigned_by=enum("auto", "supervisor")),
    "ticket.first_responded": _event(**ACTED),
    "ticket.resolved": _event(**ACTED),
    "ticket.reopened": _event(staff_id=nullable(RETURNED_ID), reopen_count=integer(1)),
    "ticket.closed": _event(staff_id=nullable(RETURNED_ID)),
    "ticket.sla_at_risk": _event(kind=KIND, due_at=UTC_INSTANT),
    "ticket.sla_breached": _event(kind=KIND, due_at=UTC_INSTANT),
    "ticket.satisfaction_recorded": _event(staff_id=nullable(RETURNED_ID), score=integer(1, 5)),
    "ticket.follow_up_due": _event(follow_up_id=RETURNED_ID, due_at=UTC_INSTANT),
}
