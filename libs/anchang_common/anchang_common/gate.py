"""The gate every RPC call passes before its method runs: who is calling (a staff token in the context
key ``authorization``, a service identity in ``service_authorization``, or both), whether their token
is still current, and whether the service's permission table lets them make this call.

``Auth`` is what a worker sees as ``self.auth``: the verified caller, and token issuing for ``login``.
"""
import logging
import weakref

from nameko.extensions import DependencyProvider, SharedExtension

from anchang_common.auth import (
    CONTEXT_KEY,
    DEFAULT_TTL_SECONDS,
    SERVICE_CONTEXT_KEY,
    ServiceTokenVerifier,
    TokenIssuer,
    TokenVerifier,
    bearer_token,
)
from anchang_common.config import AUTH
from anchang_common.db import WorkerSessions
from anchang_common.errors import DependencyUnavailable
from anchang_common.permissions import Caller, authorize
from anchang_common.revocation import KnownVersions, StaffChangedBroadcast, StaffVersions, check_current
from anchang_common.vault import VaultConnection

log = logging.getLogger(__name__)


class Gate(SharedExtension):
    """Verifies callers and checks the service's permission table (``Service.permissions``)."""

    vault = VaultConnection()
    sessions = WorkerSessions()
    versions = StaffVersions()
    #: the token versions held in process, kept current by the ``staff.changed`` broadcast
    known = KnownVersions()
    broadcast = StaffChangedBroadcast()

    def setup(self):
        #: the service that keeps the authoritative token versions (``staff``) asks nobody
        self.authoritative = bool(getattr(self.container.service_cls, "token_versions_authoritative", False))
        config = self.container.config.get(AUTH) or {}
        self.ttl_seconds = int(config.get("TOKEN_TTL_SECONDS") or DEFAULT_TTL_SECONDS)
        self.permissions = getattr(self.container.service_cls, "permissions", None)
        self._callers = weakref.WeakKeyDictionary()

    def start(self):
        # nameko sets every extension up before it starts any: the Vault client exists by now
        self.tokens = TokenVerifier(self.vault.client, max_lifetime_seconds=self.ttl_seconds)
        self.identities = ServiceTokenVerifier(self.vault.client)
        for verifier in (self.tokens, self.identities):
            try:  # so tokens can be verified even if Vault goes away later
                verifier.refresh()
            except DependencyUnavailable:
                log.warning("vault unavailable at start; keys will be fetched on first use")

    def caller(self, worker_ctx):
        """The verified ``Caller`` of this worker (no credentials: an empty caller)."""
        caller = self._callers.get(worker_ctx)
        if caller is None:
            caller = self._callers[worker_ctx] = self._verify(worker_ctx)
        return caller

    def _verify(self, worker_ctx):
        context = worker_ctx.context_data
        user_token = bearer_token(context, CONTEXT_KEY)
        service_token = bearer_token(context, SERVICE_CONTEXT_KEY)
        principal = self.tokens.verify(user_token) if user_token is not None else None
        service = self.identities.verify(service_token) if service_token is not None else None
        if principal is not None:
            check_current(self.sessions.session(worker_ctx), principal, self.authoritative,
                          lambda staff_ids: self.versions.fetch(worker_ctx, staff_ids), self.known)
        return Caller(principal=principal, service=service)

    def check(self, worker_ctx, method_name, arguments):
        """The verified ``Caller`` if the table lets it call ``method_name`` with ``arguments``."""
        permission = self.permissions[method_name]
        caller = Caller() if permission.public else self.caller(worker_ctx)
        authorize(permission, caller, arguments)
        return caller


class Authorization:
    """What a worker sees as ``self.auth``: the verified caller, and token issuing."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @property
    def caller(self):
        return self._provider.gate.caller(self._worker_ctx)

    @property
    def principal(self):
        """The calling staff member's ``Principal`` (``None`` for a service acting on its own)."""
        return self.caller.principal

    def issue(self, principal):
        """``(token, expires_at)`` for ``principal`` (the ``login`` of the staff service)."""
        return self._provider.issuer.issue(principal, self._provider.gate.ttl_seconds)


class Auth(DependencyProvider):
    """Injects ``Authorization``. Needs the gate (verification) and Vault (signing, for ``login``)."""

    gate = Gate()
    vault = VaultConnection()

    def start(self):
        self.issuer = TokenIssuer(self.vault.client)

    def get_dependency(self, worker_ctx):
        return Authorization(self, worker_ctx)
