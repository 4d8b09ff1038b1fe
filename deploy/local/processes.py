"""Background processes of the local stack: start one, recognise it again by its pid file, stop it.

A pid file alone is not trusted: its pid may have been reused by another program since, so a
process counts as ours only while its command line contains a marker (``staff.service``, ``bao``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from deploy.local.files import log_file, pid_file, say

ROOT = Path(__file__).resolve().parents[2]
POLL_INTERVAL = 0.1


def read_pid(path: Path) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int, marker: str | None = None) -> bool:
    """Whether ``pid`` is a live (not zombie) process of ours whose command line contains ``marker``.

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


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM ``pid``, SIGKILL it after ``timeout`` s; True if it went on SIGTERM alone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    if wait_process_gone(pid, timeout):
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    wait_process_gone(pid, timeout)
    return False


def running_pid(name: str, marker: str) -> int | None:
    pid = read_pid(pid_file(name))
    return pid if pid and process_alive(pid, marker) else None


def spawn(name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a background process in its own session; output to its log, pid to its pid file."""
    with open(log_file(name), "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S%z')}: starting {name} ===\n".encode())
        log.flush()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pid_file(name).write_text(f"{proc.pid}\n")
    return proc


def stop_pids(targets: list[tuple[str, str]], timeout: float) -> None:
    """Stop every (name, marker) that runs: SIGTERM, up to ``timeout`` s, then SIGKILL."""
    running = {name: pid for name, marker in targets if (pid := running_pid(name, marker))}
    for pid in running.values():
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, pid in running.items():
        if wait_process_gone(pid, max(0.0, deadline - time.monotonic())):
            say(f"{name:13} stopped")
        else:
            terminate(pid, 10)
            say(f"{name:13} killed (no exit within {timeout} s of SIGTERM)")
    for name, _ in targets:
        if name not in running:
            say(f"{name:13} was not running")
        pid_file(name).unlink(missing_ok=True)


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not http_ok(url):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL * 5)
    return True
