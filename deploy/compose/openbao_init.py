"""Initialise (on its first start) and unseal the compose stack's OpenBao: a one-shot of docker-compose.yml.

    python -m deploy.compose.openbao_init

OpenBao keeps its data in integrated (Raft) storage on the named volume ``openbao-data``; it starts
sealed. On the first start this initialises it with one key share and writes the result (unseal key
and root token) to ``ANCHANG_OPENBAO_INIT_FILE`` (mode 0600, on the named volume ``openbao-init``);
on every start it unseals with that key. Both volumes live and die with the databases' volumes
(``docker compose down -v`` removes them all), so keys and ciphertext never drift apart.

A development arrangement, like ``make run``'s OpenBao: the unseal key sits next to the data. It
refuses to go on when the two volumes disagree (initialised OpenBao without its key file, or a key
file for an OpenBao that is not initialised) rather than create keys that cannot read old data.
Standard library only.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: sys/health answers: 200 active, 429 standby, 472/473 replication, 501 not initialised, 503 sealed
HEALTH_ANSWERS = {200, 429, 472, 473, 501, 503}
POLL_SECONDS = 1.0


class InitError(RuntimeError):
    """OpenBao cannot be initialised or unsealed as asked; the message says what to do."""


def request(addr: str, method: str, path: str, body: dict | None = None, timeout: float = 5.0):
    """``(status, json body or None)`` of one call of the OpenBao HTTP API."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(addr.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, (json.loads(raw) if raw.strip() else None)


def wait_for(addr: str, acceptable: set[int], deadline: float, what: str) -> int:
    last = "no answer"
    while True:
        try:
            status, _ = request(addr, "GET", "/v1/sys/health")
            if status in acceptable:
                return status
            last = f"HTTP {status}"
        except (OSError, ValueError) as error:
            last = str(error)
        if time.monotonic() >= deadline:
            raise InitError(f"OpenBao at {addr} did not {what} in time (last: {last})")
        time.sleep(POLL_SECONDS)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically, readable by its owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def initialise_and_unseal(addr: str, init_file: Path, timeout: float = 120.0) -> str:
    """Bring OpenBao to unsealed and active; returns what was done (``initialised``, ``unsealed``...)."""
    deadline = time.monotonic() + timeout
    wait_for(addr, HEALTH_ANSWERS, deadline, "answer")
    _, state = request(addr, "GET", "/v1/sys/init")
    done = []
    if not state["initialized"]:
        if init_file.exists():
            raise InitError(
                f"OpenBao is not initialised but {init_file} exists: its data volume was removed while the key "
                "volume was kept. Start afresh with `docker compose down -v`.")
        status, result = request(addr, "PUT", "/v1/sys/init", {"secret_shares": 1, "secret_threshold": 1})
        if status != 200:
            raise InitError(f"initialising OpenBao failed: HTTP {status} {result}")
        write_private(init_file, json.dumps(result))
        done.append("initialised")
    elif not init_file.exists():
        raise InitError(
            f"OpenBao is initialised but its unseal key is not in {init_file}: the volumes went out of step. "
            "Start afresh with `docker compose down -v`.")
    keys = json.loads(init_file.read_text())["keys"]
    _, seal = request(addr, "GET", "/v1/sys/seal-status")
    if seal["sealed"]:
        for key in keys:
            status, seal = request(addr, "PUT", "/v1/sys/unseal", {"key": key})
            if status != 200:
                raise InitError(f"unsealing OpenBao failed: HTTP {status} {seal}")
            if not seal["sealed"]:
                break
        if seal["sealed"]:
            raise InitError(f"OpenBao is still sealed after every key in {init_file}")
        done.append("unsealed")
    wait_for(addr, {200}, deadline, "become active")
    return ", ".join(done) or "already unsealed"


def main() -> int:
    addr = os.environ["VAULT_ADDR"]
    init_file = Path(os.environ["ANCHANG_OPENBAO_INIT_FILE"])
    try:
        print("openbao:", initialise_and_unseal(addr, init_file), flush=True)
    except InitError as error:
        print("openbao:", error, file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
