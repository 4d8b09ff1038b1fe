"""Calls to other services under this service's own identity.

``ServiceRpc("staff")`` is nameko's ``RpcProxy`` whose calls carry this service's Vault identity
token in the context key ``service_authorization`` (replacing whatever identity the incoming call
carried) next to the user's ``authorization`` when there is one, so the callee knows both who asks
and through which service.
"""
from nameko.rpc import RpcProxy, ServiceProxy

from anchang_common.auth import SERVICE_CONTEXT_KEY, identity_role
from anchang_common.vault import VaultConnection


class _CallingContext:
    """The worker's context, with this service's identity in place of the caller's."""

    def __init__(self, worker_ctx, identity_token):
        self._worker_ctx = worker_ctx
        self._identity_token = identity_token

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)

    @property
    def context_data(self):
        data = dict(self._worker_ctx.context_data)
        data[SERVICE_CONTEXT_KEY] = f"Bearer {self._identity_token()}"
        return data


class ServiceRpc(RpcProxy):
    """An ``RpcProxy`` to ``target_service`` that calls as this service. Needs Vault (the token)."""

    vault = VaultConnection()

    def get_dependency(self, worker_ctx):
        role = identity_role(self.container.service_name)
        context = _CallingContext(worker_ctx, lambda: self.vault.client.identity_token(role))
        return ServiceProxy(context, self.target_service, self.rpc_reply_listener, **self.options)
