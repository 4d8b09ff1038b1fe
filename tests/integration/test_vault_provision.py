"""deploy.vault.provision against a real OpenBao dev server (the session's ``vault_server``): keys,
policies (least privilege), service tokens and service identities, as Vault itself enforces them."""

import base64
import uuid

import hvac
import hvac.exceptions
import jwt
import pytest
import requests

from deploy.ports import SERVICES
from deploy.vault.provision import (
    IDENTITY_KEY,
    SERVICE_CLAIM,
    ensure_service_token,
    identity_token_path,
    issue_service_token,
    policy_name,
    provision,
    role_name,
    token_fits,
)

pytestmark = pytest.mark.timeout(120)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def root(vault_server):
    return vault_server.client()


@pytest.fixture(scope="module")
def as_service(vault_server, service_tokens):
    """``as_service(name)`` → an hvac client holding that service's token."""
    return lambda service: vault_server.client(service_tokens[service])


def published_key_ids(vault_server):
    jwks = requests.get(vault_server.addr + "/v1/identity/oidc/.well-known/keys", timeout=5).json()
    return {key["kid"] for key in jwks["keys"]}


# --- keys, policies, tokens ---------------------------------------------------------------------


def test_provision_creates_keys_of_the_right_types(root):
    transit = root.secrets.transit
    pii = transit.read_key("anchang-pii")["data"]
    assert (pii["type"], pii["derived"]) == ("aes256-gcm96", True)
    index = transit.read_key("anchang-phone-index")["data"]
    assert (index["type"], index["key_size"]) == ("hmac", 32)
    auth = transit.read_key("anchang-auth")["data"]
    assert auth["type"] == "ed25519" and auth["keys"]["1"]["public_key"]


def test_provision_writes_a_policy_an_identity_role_and_a_token_role_per_service(root):
    policies = root.sys.list_policies()["data"]["policies"]
    for service in SERVICES:
        assert policy_name(service) in policies
        role = root.read(f"identity/oidc/role/{role_name(service)}")["data"]
        assert role["key"] == IDENTITY_KEY and role["ttl"] == 15 * 60
        token_role = root.read(f"auth/token/roles/{role_name(service)}")["data"]
        assert token_role["allowed_entity_aliases"] == [role_name(service)]
        assert token_role["allowed_policies"] == [policy_name(service)]
    key = root.read(f"identity/oidc/key/{IDENTITY_KEY}")["data"]
    assert key["algorithm"] == "EdDSA" and key["allowed_client_ids"] == ["*"]
    assert key["verification_ttl"] >= key["rotation_period"]


def test_provision_is_idempotent(root, vault_server):
    public_key = root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"]
    kids = published_key_ids(vault_server)
    assert provision(root)["created_keys"] == []
    assert root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"] == public_key
    assert published_key_ids(vault_server) == kids  # the identity key was not rotated either


def test_service_token_is_periodic_with_only_its_policy_and_an_identity(root, vault_server):
    token = issue_service_token(root, "ticket")
    info = root.auth.token.lookup(token)["data"]
    assert info["policies"] == ["anchang-ticket"]
    assert info["renewable"] is True and info["orphan"] is True
    # periodic through its role: each renewal grants the role's period again, with no maximum
    assert info["role"] == role_name("ticket") and info["explicit_max_ttl"] == 0
    assert root.read("auth/token/roles/{}".format(role_name("ticket")))["data"]["token_period"] == 24 * 3600
    assert info["creation_ttl"] == 24 * 3600
    assert info["entity_id"]
    own = vault_server.client(token)
    assert own.auth.token.lookup_self()["data"]["id"] == token
    assert own.auth.token.renew_self()["auth"]["lease_duration"] == 24 * 3600
    # every token of a service shares that service's one entity
    again = root.auth.token.lookup(issue_service_token(root, "ticket"))["data"]
    assert again["entity_id"] == info["entity_id"]


def test_token_with_a_fixed_id_is_created_kept_and_replaced_when_it_lacks_an_identity(root):
    token_id = f"anchang-test-{uuid.uuid4().hex}"
    assert ensure_service_token(root, "appraisal", token_id) == "created"
    assert token_fits(root, token_id, "appraisal")
    assert ensure_service_token(root, "appraisal", token_id) == "kept"

    old_style = f"anchang-test-{uuid.uuid4().hex}"  # as compose created them before identities
    root.auth.token.create(id=old_style, policies=[policy_name("appraisal")], no_default_policy=True,
                           no_parent=True, period="24h")
    assert not token_fits(root, old_style, "appraisal")
    assert ensure_service_token(root, "appraisal", old_style) == "replaced"
    assert token_fits(root, old_style, "appraisal")


# --- transit rights -----------------------------------------------------------------------------


def test_ticket_cannot_decrypt_pii_but_client_vault_can(as_service):
    context = b64("client/c-1/phone")
    client_vault = as_service("client_vault")
    ciphertext = client_vault.secrets.transit.encrypt_data(
        "anchang-pii", b64("13800138000"), context=context)["data"]["ciphertext"]
    plaintext = client_vault.secrets.transit.decrypt_data(
        "anchang-pii", ciphertext, context=context)["data"]["plaintext"]
    assert base64.b64decode(plaintext).decode() == "13800138000"
    with pytest.raises(hvac.exceptions.Forbidden):
        as_service("ticket").secrets.transit.decrypt_data("anchang-pii", ciphertext, context=context)


def test_derived_context_binds_the_ciphertext(as_service):
    client_vault = as_service("client_vault")
    ciphertext = client_vault.secrets.transit.encrypt_data(
        "anchang-pii", b64("张三"), context=b64("client/c-1/name"))["data"]["ciphertext"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client_vault.secrets.transit.decrypt_data("anchang-pii", ciphertext, context=b64("client/c-2/name"))


@pytest.mark.parametrize("service", ["staff", "ticket", "appraisal"])
def test_only_client_vault_uses_pii_and_index_keys(as_service, service):
    other = as_service(service)
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.encrypt_data("anchang-pii", b64("x"), context=b64("client/c/f"))
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.generate_hmac("anchang-phone-index", b64("+8613800138000"))
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.rotate_key("anchang-pii")
    assert other.secrets.transit.read_key("anchang-auth")["data"]["type"] == "ed25519"


def test_client_vault_hmac_and_only_staff_signs(as_service):
    client_vault = as_service("client_vault")
    digest = client_vault.secrets.transit.generate_hmac(
        "anchang-phone-index", b64("+8613800138000"))["data"]["hmac"]
    assert digest.startswith("vault:v1:")
    with pytest.raises(hvac.exceptions.Forbidden):
        client_vault.secrets.transit.sign_data("anchang-auth", b64("payload"))
    signed = as_service("staff").secrets.transit.sign_data("anchang-auth", b64("payload"))
    assert signed["data"]["signature"].startswith("vault:v1:")


@pytest.mark.parametrize("setting", ["exportable", "deletion_allowed", "allow_plaintext_backup"])
def test_client_vault_may_not_loosen_the_pii_key(as_service, root, setting):
    with pytest.raises(hvac.exceptions.Forbidden):
        as_service("client_vault").write("transit/keys/anchang-pii/config", **{setting: True})
    assert root.secrets.transit.read_key("anchang-pii")["data"][setting] is False


def test_client_vault_may_raise_min_decryption_version(as_service, root):
    latest = root.secrets.transit.read_key("anchang-pii")["data"]["latest_version"]
    as_service("client_vault").write("transit/keys/anchang-pii/config", min_decryption_version=latest)
    assert root.secrets.transit.read_key("anchang-pii")["data"]["min_decryption_version"] == latest


# --- service identity (docs/contract/rpc.md) ----------------------------------------------------------------


def test_staff_reads_its_own_identity_token_verifiable_with_the_published_keys(as_service, root,
                                                                                vault_server,
                                                                                service_tokens):
    issued = as_service("staff").read(identity_token_path("staff"))["data"]
    header = jwt.get_unverified_header(issued["token"])
    assert header["alg"] == "EdDSA"

    # the JWKS endpoint is public: the callee needs no Vault token to verify
    jwks = requests.get(vault_server.addr + "/v1/identity/oidc/.well-known/keys", timeout=5).json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(issued["token"], jwt.PyJWK(key).key, algorithms=["EdDSA"],
                        audience=issued["client_id"])
    assert claims[SERVICE_CLAIM] == "staff"
    entity_id = root.auth.token.lookup(service_tokens["staff"])["data"]["entity_id"]
    assert claims["sub"] == entity_id
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60

    tampered = jwt.encode({**claims, SERVICE_CLAIM: "ticket"}, "not-vault's-key", algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(tampered, jwt.PyJWK(key).key, algorithms=["EdDSA"], audience=issued["client_id"])


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_no_other_services_identity_token(as_service, service):
    client = as_service(service)
    assert client.read(identity_token_path(service))["data"]["token"]
    for other in SERVICES:
        if other != service:
            with pytest.raises(hvac.exceptions.Forbidden):
                client.read(identity_token_path(other))
