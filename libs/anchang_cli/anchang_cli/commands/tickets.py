"""``anchang ticket ...``: open, list and show tickets, and move them through their states."""
from datetime import UTC, datetime
from typing import Annotated

import typer

from anchang_cli import output
from anchang_cli.commands.common import JsonOption, command, show, signed_in, staff_id, usernames
from anchang_cli.contract import Category, Priority, TicketState

app = typer.Typer(help="Tickets: open, list, show, respond, wait, resume, resolve, reopen, close, assign, "
                       "surveys and follow-up visits.", no_args_is_help=True)
TicketId = Annotated[str, typer.Argument(help="The ticket id.")]


def ticket_rows(tickets, names):
    return [(t["ticket_id"], t["state"], t["category"], t["priority"], t["subject"],
             names.get(t["assignee_id"], t["assignee_id"]), output.moment(t["opened_at"]),
             output.moment(t["first_response_due_at"]), output.moment(t["resolution_due_at"]),
             "yes" if t["at_risk"] else "", t["breaches"]) for t in tickets]


def render_tickets(tickets, names):
    output.table(f"Tickets ({len(tickets)}, newest first; times UTC)",
                 ["ticket id", "state", "category", "priority", "subject", "assignee", "opened",
                  "first response due", "resolution due", "at risk", "breaches"], ticket_rows(tickets, names))


def render_ticket(ticket, names):
    output.fields(f"Ticket {ticket['ticket_id']}: {ticket['subject']}", [
        ("state", ticket["state"] + (" (SLA clocks paused)" if ticket.get("paused") else "")),
        ("category", ticket["category"]), ("priority", ticket["priority"]), ("channel", ticket["channel"]),
        ("client", ticket["client_id"]), ("assignee", names.get(ticket["assignee_id"], ticket["assignee_id"])),
        ("opened", _utc(ticket["opened_at"])), ("first response due", _utc(ticket["first_response_due_at"])),
        ("first responded", _utc(ticket["first_responded_at"])), ("resolution due", _utc(ticket["resolution_due_at"])),
        ("resolved", _utc(ticket["resolved_at"])), ("closed", _utc(ticket.get("closed_at"))),
        ("at risk", ticket["at_risk"]), ("breaches", ticket["breaches"]),
        ("reopened", ticket.get("reopen_count")), ("satisfaction", ticket.get("satisfaction_score")),
        ("follow-up", (ticket.get("follow_up") or {}).get("follow_up_id"))])


def _utc(value):
    moment = output.moment(value)
    return f"{moment} UTC" if moment else None


def _acted(method, ticket_id, *args, as_json=False):
    with signed_in() as door:
        ticket = door.call("ticket", method, ticket_id, *args)
        names = {} if as_json else usernames(door)
    show(ticket, as_json, lambda t: render_ticket(t, names))


@command(app, "open")
def open_ticket(
    client_id: Annotated[str, typer.Argument(help="The client's id (`anchang client find PHONE`).")],
    category: Annotated[Category, typer.Option(prompt=True, help="What it is about.")],
    subject: Annotated[str, typer.Option(prompt=True, help="A short subject.")],
    description: Annotated[str, typer.Option(prompt=True, help="What the client said (kept encrypted).")],
    priority: Annotated[Priority, typer.Option(help="How urgent.")] = Priority.normal,
    channel: Annotated[str, typer.Option(help="How the client reached us (phone, walk_in, wechat, ...).")] = "phone",
    as_json: JsonOption = False,
):
    """Open a ticket for a client; it is assigned to the least-loaded agent with the skill."""
    new = {"client_id": client_id, "category": category, "priority": priority, "channel": channel,
           "subject": subject, "description": description}
    with signed_in() as door:
        ticket = door.call("ticket", "open_ticket", new)
        names = {} if as_json else usernames(door)
    show(ticket, as_json, lambda t: render_ticket(t, names))


@command(app, "list")
def list_tickets(
    state: Annotated[TicketState | None, typer.Option(help="Only tickets in this state.")] = None,
    category: Annotated[Category | None, typer.Option(help="Only this category.")] = None,
    priority: Annotated[Priority | None, typer.Option(help="Only this priority.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only tickets assigned to this member (username or id).")]
    = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only tickets assigned to you.")] = False,
    client: Annotated[str | None, typer.Option(help="Only this client's tickets.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: JsonOption = False,
):
    """List tickets, newest first."""
    filters = {"state": state, "category": category, "priority": priority, "client_id": client, "limit": limit}
    with signed_in() as door:
        if mine:
            filters["assignee_id"] = door.session.staff_id
        elif assignee:
            filters["assignee_id"] = staff_id(door, assignee)
        tickets = door.call("ticket", "list_tickets", {k: v for k, v in filters.items() if v is not None})
        names = {} if as_json else usernames(door)
    show(tickets, as_json, lambda ts: render_tickets(ts, names))


@command(app, "show")
def show_ticket(ticket_id: TicketId, as_json: JsonOption = False):
    """One ticket with its deadlines, at-risk flag and breaches."""
    _acted("get_ticket", ticket_id, as_json=as_json)


@command(app, "respond")
def respond(ticket_id: TicketId, message: Annotated[str, typer.Argument(help="The response (kept encrypted).")],
            as_json: JsonOption = False):
    """Respond to the client (the first response stops the first-response clock)."""
    _acted("respond", ticket_id, message, as_json=as_json)


@command(app, "wait")
def wait(ticket_id: TicketId, as_json: JsonOption = False):
    """Wait for the customer: the SLA clocks pause."""
    _acted("wait_for_customer", ticket_id, as_json=as_json)


@command(app, "resume")
def resume(ticket_id: TicketId, as_json: JsonOption = False):
    """The customer answered: the SLA clocks run again."""
    _acted("resume", ticket_id, as_json=as_json)


@command(app, "resolve")
def resolve(ticket_id: TicketId,
            resolution: Annotated[str, typer.Argument(help="What was done (kept encrypted).")],
            as_json: JsonOption = False):
    """Resolve (after-sales and complaint tickets get a follow-up visit scheduled)."""
    _acted("resolve", ticket_id, resolution, as_json=as_json)


@command(app, "reopen")
def reopen(ticket_id: TicketId, reason: Annotated[str, typer.Argument(help="Why (kept encrypted).")],
           as_json: JsonOption = False):
    """Reopen a resolved ticket (past the reopen window: a new linked ticket)."""
    _acted("reopen", ticket_id, reason, as_json=as_json)


@command(app, "close")
def close(ticket_id: TicketId, as_json: JsonOption = False):
    """Close a resolved ticket."""
    _acted("close", ticket_id, as_json=as_json)


@command(app, "assign")
def assign(ticket_id: TicketId, who: Annotated[str, typer.Argument(help="An agent's username or staff id.")],
           as_json: JsonOption = False):
    """Assign a ticket to an agent with the skill (supervisors)."""
    with signed_in() as door:
        ticket = door.call("ticket", "assign", ticket_id, staff_id(door, who))
        names = {} if as_json else usernames(door)
    show(ticket, as_json, lambda t: render_ticket(t, names))


@command(app, "survey")
def survey(ticket_id: TicketId, score: Annotated[int, typer.Argument(min=1, max=5, help="Satisfaction, 1..5.")],
           comment: Annotated[str | None, typer.Option(help="The client's words (kept encrypted).")] = None,
           as_json: JsonOption = False):
    """Record the client's satisfaction with a resolved ticket."""
    with signed_in() as door:
        reply = door.call("ticket", "record_satisfaction", ticket_id, score, comment)
    show(reply, as_json, lambda r: output.note(f"Satisfaction {r['score']} recorded for ticket {r['ticket_id']}."))


@command(app, "schedule-visit")
def schedule_visit(ticket_id: TicketId,
                   due_at: Annotated[datetime, typer.Argument(help="When (ISO-8601; UTC unless an offset is given).")],
                   as_json: JsonOption = False):
    """Schedule an after-sales follow-up visit."""
    due = due_at if due_at.tzinfo else due_at.replace(tzinfo=UTC)
    with signed_in() as door:
        visit = door.call("ticket", "schedule_follow_up", ticket_id, due.isoformat())
    show(visit, as_json, render_visit)


@command(app, "complete-visit")
def complete_visit(follow_up_id: Annotated[str, typer.Argument(help="The follow-up id.")],
                   notes: Annotated[str, typer.Argument(help="How it went (kept encrypted).")],
                   as_json: JsonOption = False):
    """Record a follow-up visit as done."""
    with signed_in() as door:
        visit = door.call("ticket", "complete_follow_up", follow_up_id, notes)
    show(visit, as_json, render_visit)


def render_visit(visit):
    output.fields(f"Follow-up {visit['follow_up_id']}", [
        ("ticket", visit["ticket_id"]), ("due", _utc(visit["due_at"])), ("completed", _utc(visit.get("completed_at")))])
