"""The escalation timer: SLA notifications and due follow-ups, each announced exactly once, a part of
the ticket service class.

Every ``TICKET.ESCALATION_SECONDS`` (30 s) the timer reads, through the ``next_check_at`` index, the
tickets with something to announce (``ticket.sla_at_risk`` at ``AT_RISK_PERCENT`` of a budget,
``ticket.sla_breached`` past it) and the follow-ups that fell due. Each announcement is claimed by a
conditional update of its own column (``... WHERE notified_... IS NULL``, checked by row count) and
its event written to the outbox in the same transaction: of two instances (or a timer and a late
``respond``/``resolve``) exactly one announces. On PostgreSQL the scan also locks its rows with
``FOR UPDATE SKIP LOCKED``, so instances share the work instead of queueing on each other's rows.
"""
from dataclasses import replace

from anchang_common.entrypoints import transactional
from ticket import domain, views
from ticket.settings import DEFAULT_ESCALATION_SECONDS, ESCALATION_SECONDS, configured_timer

EVENT_OF_LEVEL = {"at_risk": "ticket.sla_at_risk", "breached": "ticket.sla_breached"}


class Escalation:
    """Mixed into ``ticket.service.Service``; needs ``store``, ``events``, ``clock``, ``settings`` and
    ``business_metrics``."""

    @configured_timer(ESCALATION_SECONDS, DEFAULT_ESCALATION_SECONDS)
    @transactional
    def escalation_timer(self):
        now = self.clock.now()
        return {"notifications": self._escalate(now), "follow_ups": self._follow_ups_due(now)}

    def _escalate(self, now):
        announced = 0
        for ticket in self.store.claim_due_tickets(now, self.settings.escalation_batch):
            due = domain.due_notifications(ticket, now)
            for notification, _instant in due:
                announced += self._announce(ticket, notification, now)
            handled = replace(ticket, notified=ticket.notified | {n for n, _ in due})
            self.store.update_ticket(ticket.ticket_id, next_check_at=domain.next_check_at(handled))
        return announced

    def _announce(self, ticket, notification, now):
        """Announce ``notification`` of ``ticket`` unless someone did: 1 if this call did, else 0."""
        if not self.store.claim_notification(ticket.ticket_id, notification, now):
            return 0
        due_at = ticket.clocks[notification.kind].due_at or now
        self.events.dispatch(EVENT_OF_LEVEL[notification.level], views.sla_event(ticket, notification, due_at))
        if notification.level == "breached":
            self.business_metrics.breach(ticket, notification.kind)
        return 1

    def _announce_breach(self, ticket, kind, now):
        """A clock stopped late (a late response or resolution) is a breach, announced once."""
        return self._announce(ticket, domain.Notification(kind, "breached"), now)

    def _follow_ups_due(self, now):
        claimed = self.store.claim_due_follow_ups(now, self.settings.escalation_batch)
        for follow_up in claimed:
            ticket = self.store.ticket(follow_up.ticket_id)
            self.events.dispatch("ticket.follow_up_due", views.event_data(
                ticket, follow_up_id=follow_up.follow_up_id, due_at=follow_up.due_at.isoformat()))
        return len(claimed)
