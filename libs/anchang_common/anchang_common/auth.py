"""Access tokens: JWTs (EdDSA) signed by Vault's transit key ``anchang-auth`` and verified locally
with its public key, so no service can mint one without Vault.

A token carries the staff member's id, roles, status and *token version*. ``set_status`` and
``set_roles`` bump the version; every service keeps the newest version per staff member in its own
``token_versions`` table (fed by the ``staff.changed`` event) and refuses older tokens at once.
"""
import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from anchang_common.errors import DependencyUnavailable, Unauthenticated
from anchang_common.permissions import ROLES, SERVICES, STATUSES
from anchang_common.vault import VaultRequestError

log = logging.getLogger(__name__)

AUTH_KEY = "anchang-auth"
CONTEXT_KEY = "authorization"
ISSUER = "anchang-staff"
SERVICE_CONTEXT_KEY = "service_authorization"
MAX_TOKEN_LENGTH = 4096
MAX_TOKEN_VERSION = 2**31 - 1
MAX_SERVICE_TOKEN_LIFETIME_SECONDS = 24 * 3600
_KEY_ID = re.compile(rf"{AUTH_KEY}:([0-9]{{1,9}})")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
    must_change_password: bool = False

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
        now = now or datetime.now(UTC)
        expires_at = now + timedelta(seconds=ttl_seconds)
        claims = {
            "iss": ISSUER, "sub": principal.staff_id, "name": principal.username,
            "roles": list(principal.roles), "st": principal.status, "ver": principal.version,
            "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()), "jti": uuid.uuid4().hex,
        }
        if principal.must_change_password:
            claims["mcp"] = True
        return self.sign(claims), expires_at

    def sign(self, claims):
        """A JWT of ``claims`` signed inside Vault (tests use it to mint malformed tokens too)."""
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
                return f"{signing_input}.{_b64url(signature)}"
            self._key_version = used_version
        raise DependencyUnavailable("signing key is being rotated")


class _JwtVerifier:
    """What both verifiers share: EdDSA JWTs checked against public keys fetched from Vault, cached,
    and fetched again for an unknown key id at most every ``MIN_REFRESH_SECONDS`` (a token naming
    an unknown key must not turn into one Vault call per request). Any malformed token is
    ``Unauthenticated``, never an internal error."""

    #: what a refusal says ("invalid token", "invalid service token")
    noun = "token"

    def __init__(self, vault_client):
        self.vault_client = vault_client
        self._keys = {}
        self._refreshed_at = None
        self._lock = threading.Lock()

    def fetch_keys(self):
        """``{key id: public key}`` as Vault publishes them now."""
        raise NotImplementedError

    def key_id(self, kid):
        """The cache key of a token header's ``kid``; ``None`` when it cannot be one."""
        return kid if isinstance(kid, str) else None

    def refresh(self):
        with self._lock:
            self._keys = self.fetch_keys()
            self._refreshed_at = time.monotonic()

    def _public_key(self, kid):
        key_id = self.key_id(kid)
        if key_id is None:
            raise Unauthenticated(f"invalid {self.noun}")
        if key_id not in self._keys and (
                self._refreshed_at is None or time.monotonic() - self._refreshed_at >= MIN_REFRESH_SECONDS):
            self.refresh()
        if key_id not in self._keys:
            raise Unauthenticated(f"invalid {self.noun}")
        return self._keys[key_id]

    def decode(self, token, **options):
        """The verified claims of ``token`` (signature, expiry with leeway, ``options``)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated(f"invalid {self.noun}")
        try:
            header = jwt.get_unverified_header(token)
            return jwt.decode(token, self._public_key(header.get("kid")), algorithms=["EdDSA"],
                              leeway=CLOCK_LEEWAY_SECONDS, **options)
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(f"{self.noun} expired") from None
        except (jwt.InvalidTokenError, AttributeError, TypeError, ValueError):
            raise Unauthenticated(f"invalid {self.noun}") from None


class TokenVerifier(_JwtVerifier):
    """Verifies access tokens against the public keys of the transit key ``anchang-auth``.

    A token is refused unless every claim has its type and bounds: a lifetime no longer than the
    configured one (plus leeway), a version in range, known roles and status.
    """

    def __init__(self, vault_client, max_lifetime_seconds=DEFAULT_TTL_SECONDS):
        super().__init__(vault_client)
        self.max_lifetime_seconds = max_lifetime_seconds

    def fetch_keys(self):
        try:
            fetched = self.vault_client.public_keys(AUTH_KEY)
        except VaultRequestError as error:
            raise DependencyUnavailable("vault unavailable") from error
        return {v: Ed25519PublicKey.from_public_bytes(k) for v, k in fetched.items()}

    def key_id(self, kid):
        match = _KEY_ID.fullmatch(kid) if isinstance(kid, str) else None
        return int(match.group(1)) if match else None

    def verify(self, token):
        """The ``Principal`` of a valid token; ``Unauthenticated`` for a forged, malformed or expired one."""
        claims = self.decode(token, issuer=ISSUER, options={"require": ["exp", "iat", "sub", "ver", "roles", "st"]})
        valid = (
            _is_int(claims["iat"]) and _is_int(claims["exp"])
            and 0 < claims["exp"] - claims["iat"] <= self.max_lifetime_seconds + CLOCK_LEEWAY_SECONDS
            and _is_int(claims["ver"]) and 0 <= claims["ver"] <= MAX_TOKEN_VERSION
            and isinstance(claims["sub"], str) and _ID.fullmatch(claims["sub"])
            and isinstance(claims.get("name", ""), str) and len(claims.get("name", "")) <= 100
            and isinstance(claims["roles"], list) and all(r in ROLES for r in claims["roles"])
            and claims["st"] in STATUSES and isinstance(claims.get("mcp", False), bool))
        if not valid:
            raise Unauthenticated("invalid token")
        return Principal(staff_id=claims["sub"], username=claims.get("name", ""),
                         roles=tuple(claims["roles"]), status=claims["st"], version=claims["ver"],
                         must_change_password=claims.get("mcp", False))


class ServiceTokenVerifier(_JwtVerifier):
    """Verifies service identities: Vault identity tokens (OIDC) signed by Vault's identity keys
    (``identity/oidc/.well-known/keys``). Only Vault signs these tokens, and each service's Vault
    policy lets it obtain only its own (the custom claim ``service``)."""

    noun = "service token"

    def fetch_keys(self):
        try:
            published = self.vault_client.identity_keys().get("keys", [])
        except VaultRequestError as error:
            raise DependencyUnavailable("vault unavailable") from error
        keys = {}
        for jwk in published:
            try:
                keys[jwk["kid"]] = jwt.PyJWK(jwk).key
            except (jwt.PyJWKError, KeyError, TypeError):
                continue  # not a key this verifier accepts
        return keys

    def verify(self, token):
        """The name of the service the token was issued to; ``Unauthenticated`` otherwise."""
        claims = self.decode(token, options={"verify_aud": False, "require": ["exp", "iat"]})
        service = claims.get("service")
        if service not in SERVICES or not (_is_int(claims["exp"]) and _is_int(claims["iat"])) or (
                claims["exp"] - claims["iat"] > MAX_SERVICE_TOKEN_LIFETIME_SECONDS):
            raise Unauthenticated("invalid service token")
        return service


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def bearer_token(context_data, key=CONTEXT_KEY):
    """The token of ``Bearer <token>`` under ``key``; ``None`` when absent; ``Unauthenticated`` when
    the value is not of that shape (whatever its type)."""
    value = (context_data or {}).get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN_LENGTH + 10:
        raise Unauthenticated("malformed credentials")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("malformed credentials")
    return token.strip()


def identity_role(service):
    """The Vault OIDC role whose tokens name ``service``."""
    return f"anchang-{service}"
