"""anchang_common.localvault against a real OpenBao server (persistent storage), no mocks."""

import base64
import stat
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from anchang_common.localvault import BaoServer, bootstrap, free_port, issue_service_token

POLICIES = Path(__file__).resolve().parents[2] / "deploy" / "vault" / "policies"
SERVICES = ("staff", "client_vault", "ticket", "appraisal")

pytestmark = pytest.mark.timeout(120)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def vault_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("vault")


@pytest.fixture(scope="module")
def server(vault_dir):
    server = BaoServer(vault_dir, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def root(server):
    client = hvac.Client(url=server.addr, token=server.root_token)
    bootstrap(client, POLICIES)
    return client


def service_client(server, root, service):
    return hvac.Client(url=server.addr, token=issue_service_token(root, service))


def test_first_start_initialises_and_saves_init_result_privately(server, vault_dir):
    init = vault_dir / "init.json"
    assert init.is_file()
    assert stat.S_IMODE(init.stat().st_mode) == 0o600
    assert server.is_running()
    client = hvac.Client(url=server.addr)
    assert client.sys.is_initialized() and not client.sys.is_sealed()
    assert (vault_dir / "bao.pid").read_text().strip() == str(server.pid)
    assert (vault_dir / "bao.log").is_file()


def test_bootstrap_creates_keys_of_the_right_types(root):
    transit = root.secrets.transit
    pii = transit.read_key("anchang-pii")["data"]
    assert (pii["type"], pii["derived"]) == ("aes256-gcm96", True)
    index = transit.read_key("anchang-phone-index")["data"]
    assert (index["type"], index["key_size"]) == ("hmac", 32)
    auth = transit.read_key("anchang-auth")["data"]
    assert auth["type"] == "ed25519" and auth["keys"]["1"]["public_key"]


def test_bootstrap_writes_one_policy_per_service(root):
    policies = root.sys.list_policies()["data"]["policies"]
    for service in SERVICES:
        assert "anchang-%s" % service in policies


def test_bootstrap_is_idempotent(root):
    public_key = root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"]
    result = bootstrap(root, POLICIES)
    assert result["created_keys"] == []
    assert root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"] == public_key


def test_service_token_is_periodic_with_only_its_policy(server, root):
    token = issue_service_token(root, "ticket")
    info = root.auth.token.lookup(token)["data"]
    assert info["policies"] == ["anchang-ticket"]
    assert info["renewable"] is True
    assert info["period"] == 24 * 3600
    own = hvac.Client(url=server.addr, token=token)
    assert own.auth.token.lookup_self()["data"]["id"] == token
    own.auth.token.renew_self()


def test_ticket_cannot_decrypt_pii_but_client_vault_can(server, root):
    context = b64("client/c-1/phone")
    client_vault = service_client(server, root, "client_vault")
    ciphertext = client_vault.secrets.transit.encrypt_data(
        "anchang-pii", b64("13800138000"), context=context
    )["data"]["ciphertext"]
    plaintext = client_vault.secrets.transit.decrypt_data(
        "anchang-pii", ciphertext, context=context
    )["data"]["plaintext"]
    assert base64.b64decode(plaintext).decode() == "13800138000"

    ticket = service_client(server, root, "ticket")
    with pytest.raises(hvac.exceptions.Forbidden):
        ticket.secrets.transit.decrypt_data("anchang-pii", ciphertext, context=context)


def test_derived_context_binds_the_ciphertext(server, root):
    client_vault = service_client(server, root, "client_vault")
    ciphertext = client_vault.secrets.transit.encrypt_data(
        "anchang-pii", b64("张三"), context=b64("client/c-1/name")
    )["data"]["ciphertext"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client_vault.secrets.transit.decrypt_data(
            "anchang-pii", ciphertext, context=b64("client/c-2/name")
        )


@pytest.mark.parametrize("service", ["staff", "ticket", "appraisal"])
def test_only_client_vault_uses_pii_and_index_keys(server, root, service):
    other = service_client(server, root, service)
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.encrypt_data("anchang-pii", b64("x"), context=b64("client/c/f"))
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.generate_hmac("anchang-phone-index", b64("+8613800138000"))
    with pytest.raises(hvac.exceptions.Forbidden):
        other.secrets.transit.rotate_key("anchang-pii")
    assert other.secrets.transit.read_key("anchang-auth")["data"]["type"] == "ed25519"


def test_client_vault_hmac_and_only_staff_signs(server, root):
    client_vault = service_client(server, root, "client_vault")
    digest = client_vault.secrets.transit.generate_hmac(
        "anchang-phone-index", b64("+8613800138000")
    )["data"]["hmac"]
    assert digest.startswith("vault:v1:")
    with pytest.raises(hvac.exceptions.Forbidden):
        client_vault.secrets.transit.sign_data("anchang-auth", b64("payload"))

    staff = service_client(server, root, "staff")
    signature = staff.secrets.transit.sign_data("anchang-auth", b64("payload"))["data"]["signature"]
    assert signature.startswith("vault:v1:")


def test_restart_keeps_keys_and_unseals_by_itself(server, root, vault_dir):
    public_key = root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"]
    client_vault = service_client(server, root, "client_vault")
    context = b64("client/c-9/address")
    ciphertext = client_vault.secrets.transit.encrypt_data(
        "anchang-pii", b64("北京市朝阳区"), context=context
    )["data"]["ciphertext"]

    server.stop()
    assert not server.is_running()
    assert not (vault_dir / "bao.pid").exists()
    server.start()

    assert server.is_running()
    assert not hvac.Client(url=server.addr).sys.is_sealed()
    after = hvac.Client(url=server.addr, token=server.root_token)
    assert after.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"] == public_key
    plaintext = client_vault.secrets.transit.decrypt_data(
        "anchang-pii", ciphertext, context=context
    )["data"]["plaintext"]
    assert base64.b64decode(plaintext).decode() == "北京市朝阳区"


def test_second_instance_attaches_instead_of_starting_another(server, vault_dir):
    pid = server.pid
    again = BaoServer(vault_dir, server.port).start()
    assert again.pid == pid
    assert again.is_running()
    assert again.root_token == server.root_token


def test_dev_mode_server(tmp_path):
    dev = BaoServer(tmp_path, free_port(), dev=True)
    with dev:
        client = hvac.Client(url=dev.addr, token=dev.root_token)
        assert client.is_authenticated()
        bootstrap(client, POLICIES)
        assert client.secrets.transit.read_key("anchang-phone-index")["data"]["type"] == "hmac"
    assert not dev.is_running()


def test_refuses_a_port_another_server_answers_on(server, tmp_path):
    with pytest.raises(RuntimeError, match="already answers"):
        BaoServer(tmp_path, server.port).start()
    assert not (tmp_path / "bao.pid").exists()
