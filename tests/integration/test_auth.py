"""Login and token checks over the real broker, the real Vault and each database dialect."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from prometheus_client import REGISTRY

from anchang_common.auth import AUTH_KEY, Principal, TokenIssuer
from anchang_common.vault import VaultClient
from tests.integration.accounts import ADMIN_PASSWORD


def login(harness, username="admin", password=ADMIN_PASSWORD):
    with harness.rpc() as rpc:
        return rpc.staff.login(username, password)


def test_admin_logs_in_and_reads_itself(harness, staff):
    session = login(harness)
    assert session["roles"] == ["admin"]
    assert datetime.fromisoformat(session["expires_at"]) > datetime.now(UTC)
    with harness.rpc(session["token"]) as rpc:
        me = rpc.staff.get_staff(session["staff_id"])
    assert me["username"] == "admin" and me["status"] == "active"
    assert "password_hash" not in me and ADMIN_PASSWORD not in str(me) and "argon2" not in str(me)


def test_wrong_password_and_unknown_user_get_the_same_answer(harness, staff):
    with harness.rpc() as rpc:
        with pytest.raises(RemoteError) as wrong_password:
            rpc.staff.login("admin", "not-the-password-1")
        with pytest.raises(RemoteError) as unknown_user:
            rpc.staff.login("nobody", "not-the-password-1")
    assert wrong_password.value.exc_type == unknown_user.value.exc_type == "Unauthenticated"
    assert wrong_password.value.value == unknown_user.value.value


def _call_get_staff(harness, token):
    with harness.rpc(token) as rpc:
        with pytest.raises(RemoteError) as raised:
            rpc.staff.get_staff("whoever")
    return raised.value


def test_call_without_token_is_unauthenticated(harness, staff):
    error = _call_get_staff(harness, None)
    assert error.exc_type == "Unauthenticated"


def test_forged_token_is_unauthenticated(harness, staff):
    session = login(harness)
    header = jwt.get_unverified_header(session["token"])
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    claims["roles"] = ["admin", "supervisor"]
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]})
    assert _call_get_staff(harness, forged).exc_type == "Unauthenticated"
    tampered = session["token"][:-4] + ("AAAA" if not session["token"].endswith("AAAA") else "BBBB")
    assert _call_get_staff(harness, tampered).exc_type == "Unauthenticated"
    assert _call_get_staff(harness, "not-a-token").exc_type == "Unauthenticated"


def test_expired_token_is_unauthenticated(harness, staff, vault_server, service_tokens):
    session = login(harness)
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["staff"]}, "staff")
    principal = Principal(staff_id=session["staff_id"], username="admin", roles=("admin",),
                          status="active", version=1)
    issued_at = datetime.now(UTC) - timedelta(hours=2)
    expired, _ = TokenIssuer(vault).issue(principal, ttl_seconds=3600, now=issued_at)
    error = _call_get_staff(harness, expired)
    assert error.exc_type == "Unauthenticated" and "expired" in error.value
    # the same key signs a valid token: only the expiry was wrong
    fresh, _ = TokenIssuer(vault).issue(principal, ttl_seconds=3600)
    with harness.rpc(fresh) as rpc:
        assert rpc.staff.get_staff(session["staff_id"])["username"] == "admin"


def test_only_vault_can_sign_tokens_for_other_services(vault_server, service_tokens):
    """A service other than staff has no right to the signing key: it cannot mint a token."""
    ticket_vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["ticket"]}, "ticket")
    assert 1 in ticket_vault.public_keys(AUTH_KEY)  # it may read the public key, to verify
    principal = Principal("x", "x", ("admin",), "active", 1)
    with pytest.raises(Exception) as raised:
        TokenIssuer(ticket_vault).issue(principal)
    assert type(raised.value).__name__ == "VaultRequestError"


def test_tokens_naming_an_unknown_key_version_do_not_hammer_vault(harness, staff):
    session = login(harness)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": "anchang-auth:999"})
    reads = {"operation": "read_key", "outcome": "ok"}
    before = REGISTRY.get_sample_value("anchang_vault_operations_total", reads) or 0
    for _ in range(5):
        assert _call_get_staff(harness, forged).exc_type == "Unauthenticated"
    assert (REGISTRY.get_sample_value("anchang_vault_operations_total", reads) or 0) == before
