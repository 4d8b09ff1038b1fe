"""The services ``ticket`` calls, each behind a small wrapper that speaks the contract's words.

Both call as ``ticket`` (its Vault identity token) and, inside an RPC, on the caller's behalf too
(``anchang_common.calls.ServiceRpc``). A service that does not answer becomes ``DependencyUnavailable``
(``anchang_common.entrypoints.to_contract_error``); a service's own ``NotFound`` passes through.
"""
from nameko.exceptions import RemoteError

from anchang_common.calls import ServiceRpc
from anchang_common.errors import NotFound
from anchang_common.metrics import timed_dependency

SERVICE = "ticket"


class NotesClient:
    """``self.notes``: texts (PII) go to ``client_vault.add_note``; the ticket keeps the note id."""

    def __init__(self, proxy):
        self._proxy = proxy

    def add(self, client_id, kind, text):
        """The id of a new note of ``kind`` holding ``text`` on ``client_id``'s record."""
        with timed_dependency(SERVICE, "rpc:client_vault"):
            try:
                return self._proxy.add_note(client_id, kind, text)["note_id"]
            except RemoteError as error:
                if error.exc_type == "NotFound":
                    raise NotFound("client not found") from None
                raise


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
        with timed_dependency(SERVICE, "rpc:staff"):
            return self._proxy.available_agents(category)


class StaffAgents(ServiceRpc):
    def __init__(self, **options):
        super().__init__("staff", **options)

    def get_dependency(self, worker_ctx):
        return AgentsClient(super().get_dependency(worker_ctx))
