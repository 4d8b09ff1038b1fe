"""Each agent's load (open tickets assigned to them), kept from ticket events, and the query
``ticket`` makes when it assigns: a part of the staff service class."""
from anchang_common.entrypoints import event_handler, rpc
from staff import schemas


class AgentLoad:
    """Mixed into ``staff.service.Service``; needs its ``store`` (``StaffStorage``)."""

    @rpc
    def available_agents(self, category):
        """Active agents with the skill for ``category`` and their open-ticket load, least loaded first."""
        return self.store.available_agents(schemas.parse_category(category))

    @event_handler("ticket", "assigned")
    def on_ticket_assigned(self, envelope):
        self.store.assign(envelope["data"]["ticket_id"], envelope["data"]["assignee_id"])

    @event_handler("ticket", "reopened")
    def on_ticket_reopened(self, envelope):
        if envelope["data"].get("assignee_id"):
            self.store.assign(envelope["data"]["ticket_id"], envelope["data"]["assignee_id"])

    @event_handler("ticket", "resolved")
    def on_ticket_resolved(self, envelope):
        self.store.release(envelope["data"]["ticket_id"])

    @event_handler("ticket", "closed")
    def on_ticket_closed(self, envelope):
        self.store.release(envelope["data"]["ticket_id"])
