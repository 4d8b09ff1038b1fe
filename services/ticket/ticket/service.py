"""The ticket service: questions, complaints, after-sales care and repairs under business-time SLAs.

Each method reads parse -> decide (``domain``, ``sla``) -> store (``storage``) -> dispatch. Texts
(descriptions, responses, resolutions, reasons) go to ``client_vault`` before any row is written;
the ticket keeps note ids. Who may call what is in ``ticket.permissions``. SLA policies, calendars
and the report (``ticket.policies``), follow-ups and satisfaction (``ticket.aftercare``) and the
escalation timer (``ticket.escalation``) are parts of this class, kept in modules of their own.
"""
from datetime import timedelta

from nameko.web.handlers import http

from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.entrypoints import rpc
from anchang_common.errors import Conflict, DependencyUnavailable, Forbidden
from anchang_common.events import Events
from anchang_common.gate import Auth
from ticket import domain, schemas, views
from ticket.aftercare import Aftercare
from ticket.dependencies import ClientNotes, StaffAgents
from ticket.escalation import Escalation
from ticket.metrics import BusinessMetrics, refresh_gauges
from ticket.permissions import PERMISSIONS
from ticket.policies import Policies
from ticket.settings import Clock, TicketSettings
from ticket.storage import TicketStore


class Service(Policies, Aftercare, Escalation, ServiceBase, RevocationListener):
    name = "ticket"

    permissions = PERMISSIONS

    store = TicketStore()
    auth = Auth()
    events = Events()
    notes = ClientNotes()
    agents = StaffAgents()
    settings = TicketSettings()
    clock = Clock()
    business_metrics = BusinessMetrics()

    # -- opening and reading -------------------------------------------------------------------
    @rpc
    def open_ticket(self, ticket, idempotency_key=None):
        fields, description = schemas.parse_new_ticket(ticket)
        self.store.policy(fields["category"], fields["priority"])  # no policy: refused before any call
        opened = self._open(fields, description)
        return views.ticket_view(opened, self.clock.now())

    def _open(self, fields, description, linked_ticket_id=None):
        """A new ticket: its description to client_vault, an agent from staff, then the rows and events."""
        note_id = self.notes.add(fields["client_id"], "ticket", description)
        try:
            candidates = self.agents.available(fields["category"])
        except DependencyUnavailable:  # staff down: the customer's ticket opens unassigned (at risk), not lost
            candidates = []
        assignee_id = domain.choose_agent(candidates)
        opened = self.store.add_ticket(domain.Ticket(
            ticket_id=None, state="open", assignee_id=assignee_id, opened_at=self.clock.now(), note_id=note_id,
            opened_by=self.auth.principal.staff_id, linked_ticket_id=linked_ticket_id, **fields))
        self.events.dispatch("ticket.opened", views.event_data(opened, client_id=opened.client_id,
                                                               channel=opened.channel))
        if assignee_id is not None:
            self.events.dispatch("ticket.assigned", views.event_data(
                opened, staff_id=assignee_id, previous_assignee_id=None, assigned_by="auto"))
        return opened

    @rpc
    def get_ticket(self, ticket_id):
        return views.ticket_view(self.store.ticket(schemas.parse_id("ticket_id", ticket_id)), self.clock.now())

    @rpc
    def list_tickets(self, filters=None):
        now = self.clock.now()
        return [views.ticket_view(t, now) for t in self.store.tickets(**schemas.parse_filters(filters))]

    @rpc
    def has_open_assignment(self, staff_id, client_id):
        return self.store.has_open_assignment(schemas.parse_id("staff_id", staff_id),
                                              schemas.parse_id("client_id", client_id))

    # -- assignment ----------------------------------------------------------------------------
    @rpc
    def assign(self, ticket_id, staff_id):
        staff_id = schemas.parse_id("staff_id", staff_id)
        ticket = self.store.ticket(schemas.parse_id("ticket_id", ticket_id), lock=True)
        if ticket.state not in domain.ACTIVE_STATES:
            raise Conflict(f"a ticket in state {ticket.state} cannot be assigned")
        if staff_id not in {a["staff_id"] for a in self.agents.available(ticket.category)}:
            raise Conflict(f"staff member is not an active agent with the skill {ticket.category}")
        self.store.update_ticket(ticket.ticket_id, assignee_id=staff_id)
        assigned = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        self.events.dispatch("ticket.assigned", views.event_data(
            assigned, staff_id=staff_id, previous_assignee_id=ticket.assignee_id, assigned_by="supervisor"))
        return views.ticket_view(assigned, self.clock.now())

    # -- the lifecycle -------------------------------------------------------------------------
    @rpc
    def respond(self, ticket_id, message):
        message = schemas.parse_text("message", message)
        ticket = self._acting_on(ticket_id)
        if ticket.state in ("resolved", "closed"):
            raise Conflict(f"cannot go from {ticket.state} to in_progress by a response: reopen the ticket")
        if ticket.state == "open":
            _transition(ticket, "in_progress")
        note_id = self.notes.add(ticket.client_id, "ticket", message)
        now, staff_id = self.clock.now(), self.auth.principal.staff_id
        self.store.add_message(ticket.ticket_id, "response", note_id, staff_id)
        if ticket.first_responded_at is not None:
            return views.ticket_view(ticket, now)
        seconds, within_sla = self.store.clock_stopped(ticket.ticket_id, "first_response", now)
        self.store.update_ticket(ticket.ticket_id, first_responded_at=now, first_response_seconds=seconds,
                                 first_response_within_sla=within_sla,
                                 state="in_progress" if ticket.state == "open" else ticket.state)
        responded = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        self.events.dispatch("ticket.first_responded", views.event_data(
            responded, staff_id=staff_id, business_seconds=seconds, within_sla=within_sla))
        self.business_metrics.first_response(ticket, seconds)
        if not within_sla:
            self._announce_breach(ticket, "first_response", now)
        return views.ticket_view(responded, now)

    @rpc
    def wait_for_customer(self, ticket_id):
        ticket = self._acting_on(ticket_id)
        _transition(ticket, "waiting_customer")
        self.store.add_pause(ticket.ticket_id, "waiting_customer", self.clock.now())
        return self._moved(ticket, "waiting_customer")

    @rpc
    def resume(self, ticket_id):
        ticket = self._acting_on(ticket_id)
        if ticket.state != "waiting_customer":  # open -> in_progress is a response's, not a resume's
            raise Conflict(f"cannot go from {ticket.state} to in_progress by resuming: only a waiting ticket resumes")
        self.store.end_pause(ticket.ticket_id, self.clock.now())
        return self._moved(ticket, "in_progress")

    @rpc
    def resolve(self, ticket_id, resolution):
        resolution = schemas.parse_text("resolution", resolution)
        ticket = self._acting_on(ticket_id)
        _transition(ticket, "resolved")
        note_id = self.notes.add(ticket.client_id, "ticket", resolution)
        now, staff_id = self.clock.now(), self.auth.principal.staff_id
        self.store.add_message(ticket.ticket_id, "resolution", note_id, staff_id)
        self.store.end_pause(ticket.ticket_id, now)
        seconds, within_sla = self.store.clock_stopped(ticket.ticket_id, "resolution", now)
        self.store.update_ticket(ticket.ticket_id, state="resolved", resolved_at=now, resolved_by=staff_id,
                                 resolution_seconds=seconds, resolution_within_sla=within_sla)
        self.store.add_pause(ticket.ticket_id, "resolved", now)  # a reopen resumes the clock from here
        resolved = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        self.events.dispatch("ticket.resolved", views.event_data(
            resolved, staff_id=staff_id, business_seconds=seconds, within_sla=within_sla))
        self.business_metrics.resolution(ticket, seconds)
        if not within_sla:
            self._announce_breach(ticket, "resolution", now)
        follow_up = None
        if ticket.category in domain.FOLLOW_UP_CATEGORIES:
            follow_up = views.follow_up_view(self.store.add_follow_up(
                ticket.ticket_id, now + timedelta(days=self.settings.follow_up_days), staff_id))
        return views.ticket_view(resolved, now) | {"follow_up": follow_up}

    @rpc
    def reopen(self, ticket_id, reason):
        """Within the reopen window a resolved ticket goes back in progress; later (or once closed) a
        new ticket linked to it is opened (``reopened_as_new_ticket`` says which)."""
        reason = schemas.parse_text("reason", reason)
        ticket = self._acting_on(ticket_id)
        now = self.clock.now()
        try:
            in_place = domain.reopens_in_place(ticket, now, self.settings.reopen_window_days)
        except domain.InvalidTransition as error:
            raise Conflict(str(error)) from None
        if not in_place:
            fields = {name: getattr(ticket, name) for name in ("client_id", "category", "priority", "channel",
                                                                "subject")}
            opened = self._open(fields, reason, linked_ticket_id=ticket.ticket_id)
            return views.ticket_view(opened, now) | {"reopened_as_new_ticket": True}
        note_id = self.notes.add(ticket.client_id, "ticket", reason)
        self.store.add_message(ticket.ticket_id, "reopen", note_id, self.auth.principal.staff_id)
        self.store.end_pause(ticket.ticket_id, now)
        self.store.update_ticket(ticket.ticket_id, state="in_progress", reopen_count=ticket.reopen_count + 1,
                                 resolved_at=None, resolved_by=None, resolution_seconds=None,
                                 resolution_within_sla=None)
        reopened = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        self.events.dispatch("ticket.reopened", views.event_data(
            reopened, staff_id=reopened.assignee_id, reopen_count=reopened.reopen_count))
        return views.ticket_view(reopened, now) | {"reopened_as_new_ticket": False}

    @rpc
    def close(self, ticket_id):
        ticket = self._acting_on(ticket_id)
        _transition(ticket, "closed")
        self.store.update_ticket(ticket.ticket_id, state="closed", closed_at=self.clock.now())
        closed = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        self.events.dispatch("ticket.closed", views.event_data(closed, staff_id=closed.assignee_id))
        return views.ticket_view(closed, self.clock.now())

    # -- helpers -------------------------------------------------------------------------------
    def _acting_on(self, ticket_id):
        """The ticket, its row locked, if the caller may act on it (``Forbidden`` otherwise)."""
        ticket = self.store.ticket(schemas.parse_id("ticket_id", ticket_id), lock=True)
        principal = self.auth.principal
        try:
            domain.may_act_on(principal.roles, principal.staff_id, ticket)
        except domain.NotYours as error:
            raise Forbidden(str(error)) from None
        return ticket

    def _moved(self, ticket, state):
        self.store.update_ticket(ticket.ticket_id, state=state)
        moved = self.store.refresh_clocks(ticket.ticket_id, self.settings.at_risk_percent)
        return views.ticket_view(moved, self.clock.now())

    @http("GET", "/metrics")
    def prometheus_metrics(self, request):
        """The service's metrics, with the open and at-risk gauges read from the database now."""
        refresh_gauges(self.store, self.clock.now())
        return ServiceBase.prometheus_metrics(self, request)


def _transition(ticket, target):
    try:
        domain.check_transition(ticket.state, target)
    except domain.InvalidTransition as error:
        raise Conflict(str(error)) from None
