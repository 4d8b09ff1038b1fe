"""The Vault client's authentication against a real OpenBao: AppRole login, renewal, re-login."""
import socket
import threading
import time

import pytest

from anchang_common.errors import DependencyUnavailable
from anchang_common.vault import RETRY_DELAYS_SECONDS, VaultClient, VaultRequestError


@pytest.fixture
def approle(vault_server):
    root = vault_server.client()
    if "approle/" not in root.sys.list_auth_methods()["data"]:
        root.sys.enable_auth_method("approle")
    root.auth.approle.create_or_update_approle(
        "anchang-staff-test", token_policies=["anchang-staff"], token_ttl="6s", token_max_ttl="1h")
    role_id = root.auth.approle.read_role_id("anchang-staff-test")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("anchang-staff-test")["data"]["secret_id"]
    return root, {"ADDR": vault_server.addr, "ROLE_ID": role_id, "SECRET_ID": secret_id}


def accessor(client):
    return client._client.auth.token.lookup_self()["data"]["accessor"]


def wait_until(condition, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)


def test_approle_login_then_renewal_before_expiry(approle):
    root, config = approle
    client = VaultClient(config, "staff")
    client.sign("anchang-auth", b"payload")
    first = accessor(client)
    # let the 6 s token age past two thirds of its life: the next call renews it instead of failing
    wait_until(lambda: root.auth.token.lookup_accessor(first)["data"]["ttl"] <= 1)
    client.sign("anchang-auth", b"payload")
    assert accessor(client) == first
    assert root.auth.token.lookup_accessor(first)["data"]["ttl"] >= 3


def test_a_revoked_token_is_replaced_by_logging_in_again(approle):
    root, config = approle
    client = VaultClient(config, "staff")
    client.sign("anchang-auth", b"payload")
    first = accessor(client)
    root.auth.token.revoke_accessor(first)
    client.sign("anchang-auth", b"payload")
    assert accessor(client) != first


def test_a_static_token_without_rights_is_refused_not_retried_forever(vault_server, service_tokens):
    client = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["ticket"]}, "ticket")
    with pytest.raises(VaultRequestError):
        client.decrypt_batch("anchang-pii", [("vault:v1:AAAA", "client/1/phone")])


def test_a_failing_vault_is_tried_three_times_then_dependency_unavailable():
    """A server that accepts and drops every connection: each attempt is one connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def drop_connections():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()
    thread = threading.Thread(target=drop_connections, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    client = VaultClient({"ADDR": f"http://127.0.0.1:{port}", "TOKEN": "t", "TIMEOUT_SECONDS": 1}, "staff")
    try:
        with pytest.raises(DependencyUnavailable):
            client.sign("anchang-auth", b"payload")
    finally:
        listener.close()
    assert len(accepted) == 1 + len(RETRY_DELAYS_SECONDS)


def test_a_missing_token_file_says_which_file(vault_server, tmp_path):
    missing = tmp_path / "staff.token"
    client = VaultClient({"ADDR": vault_server.addr, "TOKEN_FILE": str(missing)}, "staff")
    with pytest.raises(VaultRequestError) as raised:
        client.public_keys("anchang-auth")
    assert str(missing) in str(raised.value)
