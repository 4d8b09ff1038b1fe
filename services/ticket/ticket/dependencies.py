"""The services ``ticket`` calls, each behind a small wrapper that speaks the contract's words.

Both call as ``ticket`` (its Vault identity token) and, inside an RPC, on the caller's behalf too
(``anchang_common.calls.ServiceRpc``, which times each call as the dependency ``rpc:<service>``). A
service that does not answer in time is ``DependencyUnavailable``; its own ``NotFound`` passes through.
"""
from anchang_common.calls import ServiceRpc


class NotesClient:
    """``self.notes``: texts (PII) go to ``client_vault.add_note``; the ticket keeps the note id."""

    def __init__(self, proxy):
        self._proxy = proxy

    def add(self, client_id, kind, text):
        """The id of a new note of ``kind`` holding ``text`` on ``client_id``'s record."""
        return self._proxy.add_note(client_id, kind, text)["note_id"]


class ClientNotes(ServiceRpc):
    def __init__(self, **options):
        super().__init__("client_vault", **options)

    def get_dependency(self, worker_ctx):
        return NotesClient(super().get_dependency(worker_ctx))


class AgentsClient:
    """``self.agents``: who may take a ticket, from ``staff.available_agents``."""

    def __init__(self, proxy):
        self._proxy = proxy

    def available(self, category):
        """``[{staff_id, load, ...}]``: active agents with the skill for ``category`` and their load."""
        return self._proxy.available_agents(category)


class StaffAgents(ServiceRpc):
    def __init__(self, **options):
        super().__init__("staff", **options)

    def get_dependency(self, worker_ctx):
        return AgentsClient(super().get_dependency(worker_ctx))
