"""Calls to other services under this service's own identity.

``ServiceRpc("staff")`` is nameko's ``RpcProxy`` whose calls carry this service's Vault identity
token in the context key ``service_authorization`` (replacing whatever identity the incoming call
carried) next to the user's ``authorization`` when there is one, so the callee knows both who asks
and through which service.
"""
from nameko.rpc import RpcProxy, ServiceProxy

from anchang_common.auth import CONTEXT_KEY, SERVICE_CONTEXT_KEY, identity_role
from anchang_common.vault import VaultConnection


class CallingContext:
    """The worker's context, with this service's identity in place of the caller's; without the
    user's token too when the service acts on its own (``on_behalf_of_user=False``)."""

    def __init__(self, worker_ctx, identity_token, on_behalf_of_user=True):
        self._worker_ctx = worker_ctx
        self._identity_token = identity_token
        self._on_behalf_of_user = on_behalf_of_user

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)

    @property
    def context_data(self):
        data = dict(self._worker_ctx.context_data)
        if not self._on_behalf_of_user:
            data.pop(CONTEXT_KEY, None)
        data[SERVICE_CONTEXT_KEY] = f"Bearer {self._identity_token()}"
        return data


def own_identity(vault_connection, service_name):
    """A function giving this service's current identity token (cached by the Vault client)."""
    role = identity_role(service_name)
    return lambda: vault_connection.client.identity_token(role)


class ServiceRpc(RpcProxy):
    """An ``RpcProxy`` to ``target_service`` that calls as this service. Needs Vault (the token)."""

    vault = VaultConnection()

    def get_dependency(self, worker_ctx):
        context = CallingContext(worker_ctx, own_identity(self.vault, self.container.service_name))
        return ServiceProxy(context, self.target_service, self.rpc_reply_listener, **self.options)
