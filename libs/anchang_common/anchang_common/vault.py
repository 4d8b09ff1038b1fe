"""The ``Vault`` dependency: an hvac client for the transit engine, authenticated by token, AppRole or
Kubernetes auth, renewing or logging in again as its token ages.

Every transit operation Anchang uses is safe to repeat, so each is retried a bounded number of times
with backoff; a Vault that stays unreachable, sealed or overloaded surfaces as ``DependencyUnavailable``.
"""
import base64
import logging
import threading
import time
from pathlib import Path

import hvac
import requests
from hvac import exceptions as hvac_errors
from nameko.extensions import DependencyProvider, SharedExtension

from anchang_common.config import VAULT, VAULT_CACERT
from anchang_common.errors import DependencyUnavailable
from anchang_common.health import HealthChecks
from anchang_common.metrics import VAULT_OPERATIONS, timed_dependency

log = logging.getLogger(__name__)

KUBERNETES_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"
RETRY_DELAYS_SECONDS = (0.1, 0.4)
#: renew or log in again once less than this share of the token's lifetime is left
RENEW_WHEN_REMAINING = 1 / 3
IDENTITY_KEYS_PATH = "/v1/identity/oidc/.well-known/keys"
#: fetch a new identity token once the cached one has less than this left
IDENTITY_TOKEN_MIN_REMAINING_SECONDS = 60

_TRANSIENT = (
    requests.exceptions.ConnectionError, requests.exceptions.Timeout, hvac_errors.VaultDown,
    hvac_errors.InternalServerError, hvac_errors.BadGateway, hvac_errors.RateLimitExceeded,
    hvac_errors.VaultNotInitialized,
)


class VaultRequestError(Exception):
    """Vault refused a request as malformed or not permitted: a bug or a misconfiguration, not an outage."""


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


class VaultClient:
    """Transit operations on Anchang's keys. One instance per service container, shared by its workers.

    Safe to call from several green threads at once (workers, and the concurrent batches of one bulk
    operation): requests' connection pool (urllib3) lends each request a connection of its own, and
    under eventlet's monkey-patching (``nameko run`` patches before this is built) the pool's queue
    and the token lock below are green, so a call waiting on Vault never blocks another."""

    def __init__(self, config, service_name):
        self.addr = config["ADDR"]
        self.mount = config.get("TRANSIT_MOUNT") or "transit"
        self.service_name = service_name
        self._config = config
        # HTTPS: verified against CACERT (VAULT_CACERT) when given, else the system's CA bundle
        self.verify = config.get("CACERT") or True
        # token="" (not None): hvac would otherwise fall back to VAULT_TOKEN and ~/.vault-token, and
        # the service would act with credentials its configuration never named
        self._client = hvac.Client(url=self.addr, token="", verify=self.verify,
                                   timeout=float(config.get("TIMEOUT_SECONDS") or 5))
        self._identity_tokens = {}
        self._token_expires_at = None
        self._token_ttl = None
        self._lock = threading.Lock()

    # -- authentication -------------------------------------------------------------------
    def _login(self):
        config = self._config
        if config.get("ROLE_ID"):
            self._client.auth.approle.login(
                role_id=config["ROLE_ID"], secret_id=config.get("SECRET_ID"))
        elif config.get("ROLE"):
            jwt = Path(config.get("KUBERNETES_JWT_PATH") or KUBERNETES_JWT_PATH).read_text().strip()
            self._client.auth.kubernetes.login(
                role=config["ROLE"], jwt=jwt, mount_point=config.get("KUBERNETES_MOUNT") or "kubernetes")
        else:
            token = config.get("TOKEN")
            if not token and config.get("TOKEN_FILE"):
                try:
                    token = Path(config["TOKEN_FILE"]).read_text().strip()
                except OSError as error:
                    raise VaultRequestError(
                        f"VAULT_TOKEN_FILE {config['TOKEN_FILE']} cannot be read ({error.strerror})") from None
            if not token:
                raise VaultRequestError("no Vault credentials configured (VAULT_TOKEN, VAULT_ROLE or AppRole)")
            self._client.token = token
        self._note_token_lifetime()

    def _note_token_lifetime(self):
        data = self._client.auth.token.lookup_self()["data"]
        ttl = data.get("ttl") or 0
        self._token_ttl = ttl or None
        self._token_expires_at = time.monotonic() + ttl if ttl else None  # 0: root, never expires

    def _ensure_token(self):
        with self._lock:
            if not self._client.token:
                self._login()
                return
            if self._token_expires_at is None:
                return
            remaining = self._token_expires_at - time.monotonic()
            if remaining > self._token_ttl * RENEW_WHEN_REMAINING:
                return
            try:
                self._client.auth.token.renew_self()
                self._note_token_lifetime()
            except (hvac_errors.Forbidden, hvac_errors.InvalidRequest):
                self._client.token = None
                self._login()

    # -- the retrying call ----------------------------------------------------------------
    def call(self, operation, request):
        """Run ``request()`` (an hvac call) with retries; map failures to the contract's errors."""
        with timed_dependency(self.service_name, "vault"):
            for attempt, delay in enumerate((*RETRY_DELAYS_SECONDS, None)):
                try:
                    self._ensure_token()
                    result = request()
                except _TRANSIENT as error:
                    if delay is None:
                        VAULT_OPERATIONS.labels(operation, "unavailable").inc()
                        log.warning("vault %s failed after %d attempts: %s", operation, attempt + 1,
                                    type(error).__name__)
                        raise DependencyUnavailable("vault unavailable") from error
                    time.sleep(delay)
                except hvac_errors.Forbidden as error:
                    if delay is None or not (self._config.get("ROLE") or self._config.get("ROLE_ID")):
                        VAULT_OPERATIONS.labels(operation, "refused").inc()
                        raise VaultRequestError(f"vault refused {operation}") from error
                    with self._lock:  # the token may have been revoked: log in once more
                        self._client.token = None
                except (hvac_errors.InvalidRequest, hvac_errors.InvalidPath,
                        hvac_errors.UnexpectedError) as error:
                    VAULT_OPERATIONS.labels(operation, "refused").inc()
                    raise VaultRequestError(f"vault rejected {operation}") from error
                else:
                    VAULT_OPERATIONS.labels(operation, "ok").inc()
                    return result

    # -- transit --------------------------------------------------------------------------
    def _batch_results(self, response, field):
        results = response["data"]["batch_results"]
        if any(item.get("error") for item in results):
            raise VaultRequestError("vault rejected an item of a batch")
        return [item[field] for item in results]

    def encrypt_batch(self, key, items):
        """Ciphertexts of ``items``: a list of ``(plaintext: bytes, context: str | None)``."""
        if not items:
            return []
        batch = [_with_context({"plaintext": b64(plain)}, context) for plain, context in items]
        response = self.call("encrypt", lambda: self._client.secrets.transit.encrypt_data(
            key, batch_input=batch, mount_point=self.mount))
        return self._batch_results(response, "ciphertext")

    def decrypt_batch(self, key, items):
        """Plaintexts (bytes) of ``items``: a list of ``(ciphertext, context: str | None)``."""
        if not items:
            return []
        batch = [_with_context({"ciphertext": cipher}, context) for cipher, context in items]
        response = self.call("decrypt", lambda: self._client.secrets.transit.decrypt_data(
            key, batch_input=batch, mount_point=self.mount))
        return [unb64(text) for text in self._batch_results(response, "plaintext")]

    def rewrap_batch(self, key, items):
        """``items`` re-encrypted with the newest key version, plaintext never leaving Vault."""
        if not items:
            return []
        batch = [_with_context({"ciphertext": cipher}, context) for cipher, context in items]
        response = self.call("rewrap", lambda: self._client.secrets.transit.rewrap_data(
            key, ciphertext=None, batch_input=batch, mount_point=self.mount))
        return self._batch_results(response, "ciphertext")

    def hmac_batch(self, key, values):
        """HMAC-SHA256 of each value (bytes), computed inside Vault: the key never leaves it."""
        if not values:
            return []
        batch = [{"input": b64(value)} for value in values]
        # hvac's generate_hmac takes no batch_input: the endpoint does, so it is called directly
        response = self.call("hmac", lambda: self._client.adapter.post(
            f"/v1/{self.mount}/hmac/{key}", json={"batch_input": batch, "algorithm": "sha2-256"}))
        return self._batch_results(response, "hmac")

    def sign(self, key, data):
        """``(signature bytes, key version)`` of ``data`` with an asymmetric transit key."""
        response = self.call("sign", lambda: self._client.secrets.transit.sign_data(
            key, hash_input=b64(data), mount_point=self.mount))
        _, version, signature = response["data"]["signature"].split(":", 2)
        return unb64(signature), int(version.lstrip("v"))

    def read_key(self, key):
        return self.call("read_key", lambda: self._client.secrets.transit.read_key(
            key, mount_point=self.mount))["data"]

    def public_keys(self, key):
        """``{version: public key bytes}`` of an asymmetric transit key."""
        keys = self.read_key(key)["keys"]
        return {int(version): unb64(entry["public_key"]) for version, entry in keys.items()}

    def rotate(self, key):
        self.call("rotate", lambda: self._client.secrets.transit.rotate_key(key, mount_point=self.mount))

    def set_min_decryption_version(self, key, version):
        self.call("configure_key", lambda: self._client.secrets.transit.update_key_configuration(
            key, min_decryption_version=version, mount_point=self.mount))

    # -- identity ---------------------------------------------------------------------------
    def identity_token(self, role, now=None):
        """This service's Vault identity token (OIDC, role ``role``), cached until shortly before expiry."""
        now = time.time() if now is None else now
        cached = self._identity_tokens.get(role)
        if cached and cached[1] - now > IDENTITY_TOKEN_MIN_REMAINING_SECONDS:
            return cached[0]
        data = self.call("identity_token", lambda: self._client.secrets.identity.generate_signed_id_token(
            name=role))["data"]
        self._identity_tokens[role] = (data["token"], now + int(data["ttl"]))
        return data["token"]

    def identity_keys(self):
        """The JWKS Vault publishes for its identity tokens, read with this client's own settings."""
        return self.call("identity_keys", lambda: self._client.adapter.get(IDENTITY_KEYS_PATH))

    def health_check(self):
        """Raises ``DependencyUnavailable`` unless Vault is reachable, initialised and unsealed."""
        try:
            status = requests.get(f"{self.addr}/v1/sys/health", timeout=2, verify=self.verify)
        except requests.RequestException as error:
            raise DependencyUnavailable("vault unavailable") from error
        if status.status_code not in (200, 429, 473):
            raise DependencyUnavailable("vault unavailable")


def _with_context(item, context):
    if context is not None:
        item["context"] = b64(context.encode())
    return item


class VaultConnection(SharedExtension):
    """The container's one ``VaultClient`` (config key ``VAULT``), shared by every extension that
    declares it; registers the readiness check ``vault``."""

    health = HealthChecks()

    def setup(self):
        config = self.container.config
        # VAULT_CACERT sits at the top of config.yaml (docs/configuration.md#tls-in-transit)
        vault_config = {**config[VAULT], "CACERT": config[VAULT].get("CACERT") or config.get(VAULT_CACERT)}
        self.client = VaultClient(vault_config, self.container.service_name)
        self.health.register("vault", self.client.health_check)


class Vault(DependencyProvider):
    """Injects the container's ``VaultClient`` into workers (transit operations of ``client_vault``)."""

    connection = VaultConnection()

    def get_dependency(self, worker_ctx):
        return self.connection.client
