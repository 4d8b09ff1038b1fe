"""All state of the compose stack lives and dies together (issue: containers that work the first time).

OpenBao keeps its keys on a named volume (integrated Raft storage), is initialised and unsealed by a
one-shot, and every data directory is on a named volume, never an anonymous one, so that
`docker compose restart`/`stop`/`down` keep keys and ciphertext together and `down -v` removes both.
The one-shot's logic (deploy/compose/openbao_init.py) runs here against a fake OpenBao API.
"""
import json
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deploy.compose import openbao_init
from tests.integration.container_files import REPO

OUR_SERVICES = ("staff", "client_vault", "ticket", "appraisal")
ONE_SHOTS = ("rabbitmq-definitions", "openbao-init", "vault-bootstrap", "migrate")
#: where each stateful image keeps its data (the images' documented data directories)
DATA_DIRECTORIES = {
    "rabbitmq": "/var/lib/rabbitmq",
    "postgres": "/var/lib/postgresql/data",
    "prometheus": "/prometheus",
    "grafana": "/var/lib/grafana",
}


def volume_mounts(service):
    """``(source or None, target)`` of each volume of a service, short or long syntax."""
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            yield volume.get("source"), volume["target"]
            continue
        parts = volume.split(":")
        yield (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def named_volume_at(compose, service_name, target):
    for source, mount_target in volume_mounts(compose["services"][service_name]):
        if mount_target == target and source and source in (compose.get("volumes") or {}):
            return source
    return None


def openbao_config(services):
    return json.loads(services["openbao"]["environment"]["BAO_LOCAL_CONFIG"])


def test_openbao_is_not_in_dev_mode(services):
    command = services["openbao"].get("command") or []
    assert not any(part.startswith("-dev") for part in command), "dev mode keeps every key in memory"
    assert not any(name.startswith(("BAO_DEV_", "VAULT_DEV_")) for name in services["openbao"]["environment"])


def test_openbao_keeps_its_data_in_raft_storage_on_a_named_volume(compose, services):
    storage = openbao_config(services)["storage"]
    assert list(storage) == ["raft"], "integrated (Raft) storage: OpenBao 2.7 has no file backend"
    assert named_volume_at(compose, "openbao", storage["raft"]["path"]), (
        "OpenBao's Raft directory is not on a named volume: its keys would die with the container")


def test_openbao_is_initialised_and_unsealed_by_a_one_shot(compose, services):
    init = services["openbao-init"]
    assert init["command"] == ["python", "-m", "deploy.compose.openbao_init"]
    assert init["depends_on"]["openbao"]["condition"] == "service_started"  # sealed means not healthy
    assert init["restart"] == "no"
    init_file = Path(init["environment"]["ANCHANG_OPENBAO_INIT_FILE"])
    assert named_volume_at(compose, "openbao-init", str(init_file.parent)), (
        "the unseal key must survive on a named volume, or a restarted OpenBao stays sealed for ever")
    assert services["vault-bootstrap"]["depends_on"]["openbao-init"]["condition"] == \
        "service_completed_successfully"
    for name in OUR_SERVICES:
        assert services[name]["depends_on"]["openbao"]["condition"] == "service_healthy"
    # `bao status` exits 0 only when unsealed: healthy means unsealed
    assert services["openbao"]["healthcheck"]["test"][1:3] == ["bao", "status"]


@pytest.mark.parametrize("name", sorted(DATA_DIRECTORIES))
def test_data_directories_are_on_named_volumes(compose, name):
    assert named_volume_at(compose, name, DATA_DIRECTORIES[name]), (
        f"{name} keeps {DATA_DIRECTORIES[name]} in an anonymous volume or the container layer")


def test_no_anonymous_volumes(compose):
    for name, service in compose["services"].items():
        for source, target in volume_mounts(service):
            assert source, f"{name}: {target} is an anonymous volume, which `down` leaves behind unnamed"
            assert source.startswith((".", "/")) or source in (compose.get("volumes") or {}), (
                f"{name}: volume {source} is not declared under volumes:")


def test_infrastructure_and_services_share_one_restart_policy(services):
    long_running = {name: service.get("restart") for name, service in services.items() if name not in ONE_SHOTS}
    assert set(long_running.values()) == {"unless-stopped"}, long_running
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no"


# --- deploy/compose/openbao_init.py against a fake OpenBao ------------------------------------------


class FakeOpenBao:
    """The four sys/ endpoints openbao_init uses, with OpenBao's answers; ``restart()`` seals it."""

    def __init__(self):
        self.initialized, self.sealed, self.key, self.init_calls = False, True, None, 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                if self.path == "/v1/sys/health":
                    status = 501 if not fake.initialized else 503 if fake.sealed else 200
                    self.answer(status, {"initialized": fake.initialized, "sealed": fake.sealed})
                elif self.path == "/v1/sys/init":
                    self.answer(200, {"initialized": fake.initialized})
                elif self.path == "/v1/sys/seal-status":
                    self.answer(200, {"sealed": fake.sealed})
                else:
                    self.answer(404, {"errors": []})

            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/v1/sys/init":
                    if fake.initialized:
                        return self.answer(400, {"errors": ["Vault is already initialized"]})
                    fake.init_calls += 1
                    fake.initialized, fake.key = True, f"key-{fake.init_calls}"
                    self.answer(200, {"keys": [fake.key], "keys_base64": [fake.key],
                                      "root_token": f"root-{fake.init_calls}"})
                elif self.path == "/v1/sys/unseal":
                    if body["key"] == fake.key:
                        fake.sealed = False
                    self.answer(200, {"sealed": fake.sealed})
                else:
                    self.answer(404, {"errors": []})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def restart(self):
        self.sealed = True


@pytest.fixture
def bao():
    fake = FakeOpenBao()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_first_start_initialises_and_unseals_and_keeps_the_key_private(bao, tmp_path):
    init_file = tmp_path / "openbao-init.json"
    assert openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10) == "initialised, unsealed"
    assert not bao.sealed
    assert json.loads(init_file.read_text())["root_token"] == "root-1"
    assert stat.S_IMODE(init_file.stat().st_mode) == 0o600


def test_a_restarted_openbao_is_unsealed_with_the_same_keys(bao, tmp_path):
    init_file = tmp_path / "openbao-init.json"
    openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10)
    bao.restart()
    assert openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10) == "unsealed"
    assert not bao.sealed and bao.init_calls == 1, "a restart must never create new keys"
    assert openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10) == "already unsealed"


def test_refuses_when_the_key_file_is_gone(bao, tmp_path):
    init_file = tmp_path / "openbao-init.json"
    openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10)
    init_file.unlink()
    bao.restart()
    with pytest.raises(openbao_init.InitError, match="down -v"):
        openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10)
    assert bao.sealed


def test_refuses_to_initialise_over_a_key_file_of_another_openbao(bao, tmp_path):
    init_file = tmp_path / "openbao-init.json"
    init_file.write_text(json.dumps({"keys": ["old"], "root_token": "old"}))
    with pytest.raises(openbao_init.InitError, match="down -v"):
        openbao_init.initialise_and_unseal(bao.addr, init_file, timeout=10)
    assert bao.init_calls == 0


def test_with_root_token_runs_the_command_with_the_kept_root_token(tmp_path):
    init_file = tmp_path / "openbao-init.json"
    init_file.write_text(json.dumps({"keys": ["k"], "root_token": "the-root-token"}))
    env = dict(os.environ, ANCHANG_OPENBAO_INIT_FILE=str(init_file), PYTHONPATH=str(REPO))
    env.pop("VAULT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "deploy.compose.with_root_token", sys.executable, "-c",
         "import os; print(os.environ['VAULT_TOKEN'])"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "the-root-token"
    init_file.unlink()
    result = subprocess.run([sys.executable, "-m", "deploy.compose.with_root_token", "true"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "openbao-init" in result.stderr
