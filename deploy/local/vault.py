"""The local stack's Vault: its own OpenBao under ``.run/vault/``, or the one ``VAULT_ADDR`` names.

Either way it is provisioned with ``deploy.vault.provision`` (keys, policies, service identities)
and each service gets a token of its own in ``.run/vault/<service>.token`` (mode 0600), kept
across runs while Vault still knows it and it fits (its policy, its identity entity, an hour left).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import hvac
import hvac.exceptions
import requests

from deploy.local.files import VAULT_DIR, StackError, say, write_private_file
from deploy.local.openbao import BaoServer
from deploy.ports import SERVICES, VAULT_PORT
from deploy.vault.provision import issue_service_token, provision, token_fits

MIN_TOKEN_TTL_SECONDS = 3600
STOP_TIMEOUT = 10


@dataclass
class VaultSetup:
    addr: str
    local: bool
    token_files: bool  # True: each service reads .run/vault/<service>.token; False: VAULT_TOKEN

    def env(self, service: str) -> dict[str, str]:
        if self.token_files:
            return {"VAULT_ADDR": self.addr, "VAULT_TOKEN_FILE": str(token_path(service))}
        return {"VAULT_ADDR": self.addr, "VAULT_TOKEN": os.environ.get("VAULT_TOKEN", "")}


def local_server() -> BaoServer:
    return BaoServer(VAULT_DIR, VAULT_PORT)


def token_path(service: str) -> Path:
    return VAULT_DIR / (f"{service}.token")


def ensure_vault() -> VaultSetup:
    try:
        if os.environ.get("VAULT_ADDR"):
            return use_external_vault(os.environ["VAULT_ADDR"], os.environ.get("VAULT_TOKEN", ""))
        return use_local_vault()
    except (hvac.exceptions.VaultError, requests.RequestException) as exc:
        raise StackError(f"Vault: {type(exc).__name__}: {exc}") from exc


def use_local_vault() -> VaultSetup:
    server = local_server()
    was_running = server.is_running()
    try:
        server.start()
    except RuntimeError as exc:
        raise StackError(f"local Vault (OpenBao): {exc}") from exc
    say(f"vault         {'running' if was_running else 'started'} at {server.addr} (data in {VAULT_DIR})")
    prepare(server.client())
    return VaultSetup(server.addr, local=True, token_files=True)


def use_external_vault(addr: str, token: str) -> VaultSetup:
    if not token:
        raise StackError(f"VAULT_ADDR is set ({addr}) but VAULT_TOKEN is not: set both, or unset "
                         f"VAULT_ADDR to use the local OpenBao under {VAULT_DIR}")
    VAULT_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    say(f"vault         using VAULT_ADDR={addr}")
    try:
        prepare(hvac.Client(url=addr, token=token))
    except hvac.exceptions.Forbidden:
        say("vault         VAULT_TOKEN may not provision keys/policies or issue tokens: "
            "the services get VAULT_TOKEN itself")
        return VaultSetup(addr, local=False, token_files=False)
    return VaultSetup(addr, local=False, token_files=True)


def prepare(client: hvac.Client) -> None:
    result = provision(client)
    if result["created_keys"]:
        say(f"vault         created transit keys {', '.join(result['created_keys'])}")
    issued = [service for service in SERVICES if ensure_token_file(client, service)]
    if issued:
        say(f"vault         issued tokens for {', '.join(issued)} in {VAULT_DIR}")


def ensure_token_file(client: hvac.Client, service: str) -> bool:
    """Keep ``.run/vault/<service>.token`` if it still fits; else issue one. True if issued."""
    path = token_path(service)
    if path.is_file() and token_fits(client, path.read_text().strip(), service, MIN_TOKEN_TTL_SECONDS):
        return False
    write_private_file(path, issue_service_token(client, service))
    return True


def stop() -> None:
    server = local_server()
    if server.is_running():
        server.stop(STOP_TIMEOUT)
        say(f"{'vault':13} stopped")
    else:
        say(f"{'vault':13} was not running (here)")


def status_line() -> tuple[bool, str]:
    external = os.environ.get("VAULT_ADDR")
    server = local_server()
    addr = external or server.addr
    try:
        code = requests.get(addr + "/v1/sys/health", timeout=2).status_code
    except requests.RequestException:
        code = None
    state = {200: "ready (unsealed)", 503: "sealed", 501: "not initialised", None: "not answering"}
    where = "external" if external else ("running" if server.is_running() else "stopped")
    return code == 200, f"{where:9} {state.get(code, f'HTTP {code}'):17} {addr}"
