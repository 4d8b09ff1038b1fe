"""deploy.local.openbao: the local OpenBao server process (persistent and dev), no mocks."""

import base64
import stat
from pathlib import Path

import hvac
import pytest

from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision

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
    provision(server.client())
    yield server
    server.stop()


def test_first_start_initialises_and_saves_init_result_privately(server, vault_dir):
    init = vault_dir / "init.json"
    assert init.is_file()
    assert stat.S_IMODE(init.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    assert server.is_running()
    client = hvac.Client(url=server.addr)
    assert client.sys.is_initialized() and not client.sys.is_sealed()
    assert (vault_dir / "bao.pid").read_text().strip() == str(server.pid)
    assert (vault_dir / "bao.log").is_file()


def test_restart_keeps_keys_and_unseals_by_itself(server, vault_dir):
    root = server.client()
    public_key = root.secrets.transit.read_key("anchang-auth")["data"]["keys"]["1"]["public_key"]
    client_vault = server.client(issue_service_token(root, "client_vault"))
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
    after = server.client()
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


def test_dev_mode_server_leaves_no_token_in_the_home_directory(tmp_path):
    home_token = Path.home() / ".vault-token"
    existed_before = home_token.exists()
    dev = BaoServer(tmp_path, free_port(), dev=True)
    with dev:
        client = dev.client()
        assert client.is_authenticated()
        provision(client)
        assert client.secrets.transit.read_key("anchang-phone-index")["data"]["type"] == "hmac"
    assert not dev.is_running()
    assert home_token.exists() == existed_before


def test_refuses_a_port_another_server_answers_on(server, tmp_path):
    with pytest.raises(RuntimeError, match="already answers"):
        BaoServer(tmp_path, server.port).start()
    assert not (tmp_path / "bao.pid").exists()
