"""Who may call each method of ``ticket`` (rendered into docs/permissions.md).

Agents act on the tickets assigned to them, supervisors (and admins) on every ticket: that rule needs
the ticket, so the service checks it (``domain.may_act_on``) once it has read it; it is shown here
as a note."""
from anchang_common.permissions import PermissionTable, allow, services_only

ASSIGNEE = "an agent only on a ticket assigned to them"
ACTING = allow("agent", "supervisor", notes=(ASSIGNEE,))

PERMISSIONS = PermissionTable({
    "set_sla_policy": allow("supervisor"),
    "set_calendar": allow("supervisor"),
    "get_calendar": allow(),
    "list_sla_policies": allow(),
    "open_ticket": allow(),
    "get_ticket": allow(),
    "list_tickets": allow(),
    "assign": allow("supervisor"),
    "respond": ACTING,
    "wait_for_customer": ACTING,
    "resume": ACTING,
    "resolve": ACTING,
    "reopen": ACTING,
    "close": ACTING,
    "schedule_follow_up": ACTING,
    "complete_follow_up": ACTING,
    "record_satisfaction": ACTING,
    "has_open_assignment": services_only("client_vault"),
    "sla_report": allow("supervisor", "auditor"),
})
