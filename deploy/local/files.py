"""The local stack's directory, ``.run/``, and why nothing in it is readable by anyone else.

Everything the stack writes lives under ``.run/`` (relative to the repository root, the working
directory of ``python -m deploy.local``): SQLite databases holding customer PII ciphertexts and
password hashes, the Vault root token and unseal key, service tokens, the admin password, logs.
So ``.run/`` is mode 0700 and every file in it 0600: the stack sets the umask to 077 before it
creates anything, which the processes it starts (services, migrations, OpenBao, Prometheus)
inherit, and tightens whatever an older run left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

RUN = Path(".run")
LOGS = RUN / "logs"
VAULT_DIR = RUN / "vault"
ADMIN_PASSWORD_FILE = RUN / "admin-password"

PRIVATE_UMASK = 0o077
LOG_TAIL_LINES = 30


class StackError(Exception):
    """Something the user has to fix; printed without a traceback, exit status 1."""


def say(message: str = "") -> None:
    print(message, flush=True)


def make_private(run: Path = RUN) -> None:
    """Umask 077 for this process and its children; ``run`` 0700 with 0700 dirs and 0600 files."""
    os.umask(PRIVATE_UMASK)
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    for directory, _, files in os.walk(run):
        os.chmod(directory, 0o700)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)
    (run / "logs").mkdir(mode=0o700, exist_ok=True)


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


def pid_file(name: str) -> Path:
    return RUN / (f"{name}.pid")


def log_file(name: str) -> Path:
    return LOGS / (f"{name}.log")


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
