"""KPI facts from events: every ticket event kept as a fact of its member and day, and what the
staff events say of a member's status and position. A part of the appraisal service class.

Handlers are idempotent on the event id (``event_handler``) and derive nothing when an event
arrives, so the KPIs (computed when asked, ``domain.kpis``) do not depend on the order of events.
``staff.changed`` has two handlers here, token revocation (``RevocationListener``) and the member's
status; ``processed_events`` keeps each event per handler, so each runs once.
"""
from anchang_common.base import RevocationListener
from anchang_common.entrypoints import event_handler
from appraisal import event_facts


class KpiFacts(RevocationListener):
    """Mixed into ``appraisal.service.Service``; needs its ``store`` and ``settings``."""

    def _keep(self, kind, envelope):
        self.store.add_ticket_fact(event_facts.ticket_fact(kind, envelope, self.settings.timezone))

    @event_handler("ticket", "opened")
    def on_ticket_opened(self, envelope):
        self._keep("opened", envelope)

    @event_handler("ticket", "assigned")
    def on_ticket_assigned(self, envelope):
        self._keep("assigned", envelope)

    @event_handler("ticket", "first_responded")
    def on_ticket_first_responded(self, envelope):
        self._keep("first_responded", envelope)

    @event_handler("ticket", "resolved")
    def on_ticket_resolved(self, envelope):
        self._keep("resolved", envelope)

    @event_handler("ticket", "reopened")
    def on_ticket_reopened(self, envelope):
        self._keep("reopened", envelope)

    @event_handler("ticket", "closed")
    def on_ticket_closed(self, envelope):
        self._keep("closed", envelope)

    @event_handler("ticket", "sla_at_risk")
    def on_ticket_sla_at_risk(self, envelope):
        self._keep("sla_at_risk", envelope)

    @event_handler("ticket", "sla_breached")
    def on_ticket_sla_breached(self, envelope):
        self._keep("sla_breached", envelope)

    @event_handler("ticket", "satisfaction_recorded")
    def on_ticket_satisfaction_recorded(self, envelope):
        self._keep("satisfaction_recorded", envelope)

    @event_handler("ticket", "follow_up_due")
    def on_ticket_follow_up_due(self, envelope):
        self._keep("follow_up_due", envelope)

    # -- staff ---------------------------------------------------------------------------------
    @event_handler("staff", "hired")
    def on_staff_hired(self, envelope):
        data = envelope["data"]
        position_code = data.get("position_code") if isinstance(data.get("position_code"), str) else None
        self.store.note_member(event_facts.staff_id_of(envelope), event_facts.occurred_at(envelope),
                               status="onboarding", position_code=position_code)

    @event_handler("staff", "activated")
    def on_staff_activated(self, envelope):
        self.store.note_member(event_facts.staff_id_of(envelope), event_facts.occurred_at(envelope),
                               status="active")

    @event_handler("staff", "changed")
    def on_member_status_changed(self, envelope):
        """The member's status (token revocation is ``RevocationListener``'s own handler): a member
        who leaves during an open cycle keeps the appraisal, marked ``left``."""
        status = envelope["data"].get("status")
        if isinstance(status, str):
            self.store.note_member(event_facts.staff_id_of(envelope), event_facts.occurred_at(envelope),
                                   status=status)
