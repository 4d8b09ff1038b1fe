"""What Anchang needs inside Vault (or OpenBao), written idempotently by an admin token.

``python -m deploy.vault.provision`` with ``VAULT_ADDR`` and ``VAULT_TOKEN`` (an admin token) in the
environment; ``--token staff=<id>`` (repeatable) also makes sure a service token with that fixed id
exists, as the compose one-shot does. The local stack (``make run``) and the test fixtures call
``provision`` and ``issue_service_token`` themselves: one code for all three.

Written, per docs/architecture.md#security-model (details in deploy/vault/README.md):

- transit engine with the keys ``anchang-pii``, ``anchang-phone-index``, ``anchang-auth``;
- one policy per ``policies/<service>.hcl``, named ``anchang-<service>``: the files are the list of
  services that have a Vault identity;
- service identity: the OIDC key ``anchang-services`` (EdDSA) and, per service, the OIDC role
  ``anchang-<service>`` whose tokens carry the claim ``service: <service>``; the token role
  ``anchang-<service>`` whose tokens are bound to the entity alias ``anchang-<service>``, so that
  each service's token has an identity entity and may read ``identity/oidc/token/anchang-<service>``
  (its own policy grants that path and no other).

Nothing here starts a server: that is ``deploy.local.openbao`` (local development only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import hvac
import hvac.exceptions

POLICIES_DIR = Path(__file__).resolve().parent / "policies"
PREFIX = "anchang-"

#: transit keys of docs/architecture.md#security-model: name -> parameters of ``POST <mount>/keys/<name>``.
TRANSIT_KEYS = {
    "anchang-pii": {"type": "aes256-gcm96", "derived": True},
    # OpenBao's hmac keys need an explicit key_size, in bytes, 32..512 (no default).
    "anchang-phone-index": {"type": "hmac", "key_size": 32},
    "anchang-auth": {"type": "ed25519"},
}

#: the key that signs every service identity token; public keys at identity/oidc/.well-known/keys.
IDENTITY_KEY = "anchang-services"
IDENTITY_KEY_PARAMS = {
    "algorithm": "EdDSA",
    "allowed_client_ids": ["*"],
    "rotation_period": "24h",
    # a rotated-out key stays published this long: longer than any identity token lives
    "verification_ttl": "24h",
}
IDENTITY_TOKEN_TTL = "15m"
#: the custom claim naming the service a token was issued to
SERVICE_CLAIM = "service"

SERVICE_TOKEN_PERIOD = "24h"


def role_name(service: str) -> str:
    """``anchang-<service>``: the name of its policy, OIDC role, token role and entity alias."""
    return PREFIX + service


policy_name = role_name


def identity_token_path(service: str) -> str:
    return f"identity/oidc/token/{role_name(service)}"


def services(policies_dir: Path = POLICIES_DIR) -> list[str]:
    names = sorted(path.stem for path in Path(policies_dir).glob("*.hcl"))
    if not names:
        raise RuntimeError(f"no *.hcl policy in {policies_dir}")
    return names


def provision(client: hvac.Client, policies_dir: Path = POLICIES_DIR, transit_mount: str = "transit") -> dict:
    """Idempotently write everything above; returns ``{"created_keys": [...], "services": [...]}``.

    ``transit/`` paths of the policies are moved to ``transit_mount`` when that differs. An
    existing transit key of the wrong type is an error; existing keys are never rotated.
    """
    _enable_transit(client, transit_mount)
    created = [name for name, params in TRANSIT_KEYS.items()
               if _ensure_transit_key(client, transit_mount, name, params)]
    names = services(policies_dir)
    client.adapter.post(f"/v1/identity/oidc/key/{IDENTITY_KEY}", json=IDENTITY_KEY_PARAMS)
    for service in names:
        text = (Path(policies_dir) / (f"{service}.hcl")).read_text()
        if transit_mount != "transit":
            text = text.replace('"transit/', f'"{transit_mount.strip("/")}/')
        client.sys.create_or_update_policy(name=policy_name(service), policy=text)
        client.adapter.post(f"/v1/identity/oidc/role/{role_name(service)}", json={
            "key": IDENTITY_KEY,
            "ttl": IDENTITY_TOKEN_TTL,
            "template": json.dumps({SERVICE_CLAIM: service}),
        })
        client.adapter.post(f"/v1/auth/token/roles/{role_name(service)}", json={
            "allowed_policies": [policy_name(service)],
            "allowed_entity_aliases": [role_name(service)],
            "orphan": True,
            "renewable": True,
            "token_period": SERVICE_TOKEN_PERIOD,
            "token_no_default_policy": True,
            "token_type": "service",
        })
    return {"created_keys": created, "services": names}


def issue_service_token(client: hvac.Client, service: str, token_id: str | None = None) -> str:
    """A new token of ``service``: periodic (24 h), renewable, orphan, only its own policy, and
    bound to its identity entity (so it can read its identity token). ``token_id``: a fixed id."""
    params = {
        "policies": [policy_name(service)],
        "entity_alias": role_name(service),
        "display_name": role_name(service),
        "meta": {"service": service},
    }
    if token_id:
        params["id"] = token_id
    response = client.adapter.post(f"/v1/auth/token/create/{role_name(service)}", json=params)
    return response["auth"]["client_token"]


def lookup_token(client: hvac.Client, token: str) -> dict | None:
    """What Vault knows of ``token`` (``auth/token/lookup``), None when it does not know it."""
    try:
        return client.auth.token.lookup(token)["data"]
    except (hvac.exceptions.Forbidden, hvac.exceptions.InvalidRequest, hvac.exceptions.InvalidPath):
        return None


def token_fits(client: hvac.Client, token: str, service: str, min_ttl: int = 0) -> bool:
    """Whether ``token`` is a token of ``service`` (its policy alone, an identity entity) with more
    than ``min_ttl`` seconds to live."""
    data = lookup_token(client, token)
    return (data is not None and data.get("policies") == [policy_name(service)]
            and bool(data.get("entity_id")) and (data.get("ttl") or 0) > min_ttl)


def ensure_service_token(client: hvac.Client, service: str, token_id: str) -> str:
    """Make sure the token ``token_id`` exists as ``service``'s: "kept", "created" or "replaced"
    (a token of that id that does not fit, e.g. one issued before service identities, is revoked
    and issued again with the same id)."""
    if token_fits(client, token_id, service):
        return "kept"
    existed = lookup_token(client, token_id) is not None
    if existed:
        client.auth.token.revoke(token_id)
    issue_service_token(client, service, token_id)
    return "replaced" if existed else "created"


def _enable_transit(client: hvac.Client, mount: str) -> None:
    mounts = client.sys.list_mounted_secrets_engines()
    mounts = mounts.get("data", mounts)
    existing = mounts.get(mount.strip("/") + "/")
    if existing is None:
        client.sys.enable_secrets_engine("transit", path=mount)
    elif existing.get("type") != "transit":
        raise RuntimeError(f"{mount}/ is mounted as {existing.get('type')!r}, not transit")


def _ensure_transit_key(client: hvac.Client, mount: str, name: str, params: dict) -> bool:
    """Create the transit key unless it exists; True if created. Checks type and derivation."""
    try:
        key = client.secrets.transit.read_key(name=name, mount_point=mount)["data"]
    except hvac.exceptions.InvalidPath:
        # Through the adapter: hvac's create_key knows neither the hmac type nor key_size.
        client.adapter.post(f"/v1/{mount}/keys/{name}", json=params)
        return True
    if key["type"] != params["type"] or bool(key.get("derived")) != params.get("derived", False):
        raise RuntimeError(f"transit key {mount}/{name} exists as type={key['type']} "
                           f"derived={key.get('derived')}; expected {params}")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.vault.provision",
        description="Provision Anchang's keys, policies and service identities in the Vault at "
                    "VAULT_ADDR, with the admin token VAULT_TOKEN.")
    parser.add_argument("--policies", type=Path, default=POLICIES_DIR, help="directory of <service>.hcl")
    parser.add_argument("--transit-mount", default="transit")
    parser.add_argument("--token", action="append", default=[], metavar="SERVICE=ID",
                        help="make sure SERVICE has a token with this fixed id (repeatable)")
    args = parser.parse_args(argv)
    addr, token = os.environ.get("VAULT_ADDR"), os.environ.get("VAULT_TOKEN")
    if not addr or not token:
        parser.error("set VAULT_ADDR and VAULT_TOKEN (an admin token)")
    fixed = dict(item.partition("=")[::2] for item in args.token)
    unknown = sorted(set(fixed) - set(services(args.policies)))
    if unknown or not all(fixed.values()):
        parser.error(f"--token takes SERVICE=ID with SERVICE one of {', '.join(services(args.policies))}")
    client = hvac.Client(url=addr, token=token)
    result = provision(client, args.policies, args.transit_mount)
    print(f"vault: provisioned {json.dumps(result)}", flush=True)
    for service, token_id in fixed.items():
        print(f"vault: token of {service} {ensure_service_token(client, service, token_id)}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
