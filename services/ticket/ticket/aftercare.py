"""After-sales care: return visits and satisfaction, a part of the ticket service class."""
from anchang_common.entrypoints import rpc
from anchang_common.errors import Conflict
from ticket import schemas, views

#: satisfaction is asked once a ticket is resolved
SURVEYED_STATES = ("resolved", "closed")


class Aftercare:
    """Mixed into ``ticket.service.Service``; needs ``store``, ``notes``, ``events``, ``clock``, ``auth``
    and ``_acting_on``."""

    @rpc
    def schedule_follow_up(self, ticket_id, due_at):
        due_at = schemas.parse_instant("due_at", due_at)
        ticket = self._acting_on(ticket_id)
        return views.follow_up_view(self.store.add_follow_up(ticket.ticket_id, due_at,
                                                             self.auth.principal.staff_id))

    @rpc
    def complete_follow_up(self, follow_up_id, notes):
        notes = schemas.parse_text("notes", notes)
        follow_up = self.store.follow_up(schemas.parse_id("follow_up_id", follow_up_id))
        ticket = self._acting_on(follow_up.ticket_id)
        if follow_up.completed_at is not None:
            raise Conflict("follow-up was already completed")
        note_id = self.notes.add(ticket.client_id, "follow_up", notes)
        completed = self.store.complete_follow_up(follow_up.follow_up_id, note_id, self.auth.principal.staff_id,
                                                  self.clock.now())
        return views.follow_up_view(completed)

    @rpc
    def record_satisfaction(self, ticket_id, score, comment=None):
        score = schemas.parse_score(score)
        comment = schemas.parse_text("comment", comment, required=False)
        ticket = self._acting_on(ticket_id)
        if ticket.state not in SURVEYED_STATES:
            raise Conflict(f"satisfaction is recorded once a ticket is resolved, not in state {ticket.state}")
        if ticket.satisfaction_score is not None:
            raise Conflict("satisfaction was already recorded for this ticket")
        note_id = self.notes.add(ticket.client_id, "survey", comment) if comment else None
        self.store.record_satisfaction(ticket.ticket_id, score, note_id, self.clock.now())
        self.events.dispatch("ticket.satisfaction_recorded", views.event_data(
            ticket, staff_id=ticket.assignee_id or ticket.resolved_by, score=score))
        self.business_metrics.satisfaction(ticket, score)
        return {"ticket_id": ticket.ticket_id, "score": score, "comment_note_id": note_id}
