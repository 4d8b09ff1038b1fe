"""Access tokens: JWTs (EdDSA) signed by Vault's transit key ``anchang-auth`` and verified locally
with its public key, so no service can mint one without Vault.

A token carries the staff member's id, roles, status and *token version*. ``set_status`` and
``set_roles`` bump the version; every service keeps the newest version per staff member in its own
``token_versions`` table (fed by the ``staff.changed`` event) and refuses older tokens at once.
"""
import base64
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nameko.extensions import DependencyProvider

from anchang_common.config import AUTH
from anchang_common.db import Database
from anchang_common.errors import DependencyUnavailable, Forbidden, Unauthenticated
from anchang_common.tables import token_versions
from anchang_common.vault import Vault, VaultRequestError

log = logging.getLogger(__name__)

AUTH_KEY = "anchang-auth"
CONTEXT_KEY = "authorization"
ISSUER = "anchang-staff"
ROLES = ("agent", "supervisor", "hr", "auditor", "admin")
DEFAULT_TTL_SECONDS = 3600
CLOCK_LEEWAY_SECONDS = 5
#: the shortest time between two fetches of the public keys for tokens naming an unknown key version
MIN_REFRESH_SECONDS = 30


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    staff_id: str
    username: str
    roles: tuple
    status: str
    version: int

    def has_any(self, roles, admin_inherits=True):
        """Whether the caller holds one of ``roles``; ``admin`` holds every role unless told otherwise."""
        held = set(self.roles)
        return bool(held & set(roles)) or (admin_inherits and "admin" in held)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenIssuer:
    """Mints tokens for ``login``; the signature is made inside Vault."""

    def __init__(self, vault_client):
        self.vault_client = vault_client
        self._key_version = None

    def issue(self, principal, ttl_seconds=DEFAULT_TTL_SECONDS, now=None):
        """``(token, expires_at)`` for ``principal``."""
        now = now or datetime.now(timezone.utc)
        expires_at = now + timedelta(seconds=ttl_seconds)
        claims = {
            "iss": ISSUER, "sub": principal.staff_id, "name": principal.username,
            "roles": list(principal.roles), "st": principal.status, "ver": principal.version,
            "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()), "jti": uuid.uuid4().hex,
        }
        if self._key_version is None:
            self._key_version = max(self.vault_client.public_keys(AUTH_KEY))
        # the signed header names the key version; Vault signs with its newest one, so a rotation
        # in between shows as a different version and the token is signed once more
        for _ in range(2):
            header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{AUTH_KEY}:{self._key_version}"}
            signing_input = ".".join(
                _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
            signature, used_version = self.vault_client.sign(AUTH_KEY, signing_input.encode())
            if used_version == self._key_version:
                return f"{signing_input}.{_b64url(signature)}", expires_at
            self._key_version = used_version
        raise DependencyUnavailable("signing key is being rotated")


class TokenVerifier:
    """Verifies tokens against the public keys of ``anchang-auth``, cached and refreshed on a new key id."""

    def __init__(self, vault_client):
        self.vault_client = vault_client
        self._keys = {}
        self._refreshed_at = None
        self._lock = threading.Lock()

    def refresh(self):
        """Fetch the public keys of every version of ``anchang-auth`` from Vault."""
        with self._lock:
            try:
                fetched = self.vault_client.public_keys(AUTH_KEY)
            except VaultRequestError as error:
                raise DependencyUnavailable("vault unavailable") from error
            self._keys = {v: Ed25519PublicKey.from_public_bytes(k) for v, k in fetched.items()}
            self._refreshed_at = time.monotonic()

    def _may_refresh(self):
        # a token naming an unknown key version must not turn into one Vault call per request
        return self._refreshed_at is None or time.monotonic() - self._refreshed_at >= MIN_REFRESH_SECONDS

    def _public_key(self, kid):
        name, _, version = (kid or "").partition(":")
        if name != AUTH_KEY or not version.isdigit():
            raise Unauthenticated("invalid token")
        version = int(version)
        if version not in self._keys and self._may_refresh():
            self.refresh()
        if version not in self._keys:
            raise Unauthenticated("invalid token")
        return self._keys[version]

    def verify(self, token):
        """The ``Principal`` of a valid token; ``Unauthenticated`` for a forged, malformed or expired one."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, self._public_key(header.get("kid")), algorithms=["EdDSA"], issuer=ISSUER,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "ver", "roles", "st"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("invalid token") from None
        return Principal(staff_id=str(claims["sub"]), username=str(claims.get("name", "")),
                         roles=tuple(claims["roles"]), status=str(claims["st"]), version=int(claims["ver"]))


def bearer_token(context_data):
    value = (context_data or {}).get(CONTEXT_KEY) or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    return token.strip()


class Authorization:
    """What a worker sees as ``self.auth``: the caller's verified identity and the permission check."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self.principal = None

    def authenticate(self):
        """The caller's ``Principal``; ``Unauthenticated`` unless the token is valid and current."""
        if self.principal is None:
            token = bearer_token(self._worker_ctx.context_data)
            principal = self._provider.verifier.verify(token)
            session = self._provider.database.sessions[self._worker_ctx]
            if principal.version < self._provider.current_version(session, principal.staff_id):
                raise Unauthenticated("token revoked")
            self.principal = principal
        return self.principal

    def issue(self, principal):
        """``(token, expires_at)`` for ``principal`` (the ``login`` of the staff service)."""
        return self._provider.issuer.issue(principal, self._provider.ttl_seconds)

    def require(self, roles, admin_inherits=True, active=True):
        """The caller's ``Principal`` if it holds one of ``roles`` (any role when empty); else ``Forbidden``."""
        principal = self.authenticate()
        if active and principal.status != "active":
            raise Forbidden("account is not active")
        if roles and not principal.has_any(roles, admin_inherits):
            raise Forbidden("not permitted")
        return principal


class Auth(DependencyProvider):
    """Verifies the caller's token. Needs the service's ``Vault`` and ``Database`` dependencies."""

    def start(self):
        # siblings are all set up before any extension starts
        self.ttl_seconds = int((self.container.config.get(AUTH) or {}).get(
            "TOKEN_TTL_SECONDS") or DEFAULT_TTL_SECONDS)
        self.vault_client = self._sibling(Vault).client
        self.verifier = TokenVerifier(self.vault_client)
        self.issuer = TokenIssuer(self.vault_client)
        self.database = self._sibling(Database)
        try:  # so tokens can be verified even if Vault goes away later
            self.verifier.refresh()
        except DependencyUnavailable:
            log.warning("vault unavailable at start; public keys will be fetched on first use")

    def _sibling(self, cls):
        found = [d for d in self.container.dependencies if isinstance(d, cls)]
        if not found:
            raise RuntimeError(f"Auth needs a {cls.__name__} dependency on the service")
        return found[0]

    def current_version(self, session, staff_id):
        """The newest token version this service has heard of for ``staff_id`` (0 when none).

        Read in the worker's own session: no extra pooled connection per call. A database outage
        reaches the caller as ``DependencyUnavailable`` through the entrypoint's error mapping.
        """
        return session.execute(sa.select(token_versions.c.version).where(
            token_versions.c.staff_id == staff_id)).scalar() or 0

    def get_dependency(self, worker_ctx):
        return Authorization(self, worker_ctx)
