"""A local Prometheus scraping the four services, where a ``prometheus`` binary is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy.local.files import RUN, log_file
from deploy.local.processes import http_ok, running_pid, spawn, stop_pids, wait_http
from deploy.ports import PROMETHEUS_PORT

CONFIG = Path("deploy/prometheus/prometheus-local.yml")
ADDRESS = f"127.0.0.1:{PROMETHEUS_PORT}"
NAME = MARKER = "prometheus"
READY_TIMEOUT = 30
STOP_TIMEOUT = 10


def start() -> str:
    """Start Prometheus when it can be; return one line saying what happened."""
    binary = shutil.which("prometheus")
    if binary is None:
        return "skipped: no `prometheus` binary on PATH (apt-get install prometheus)"
    if not CONFIG.is_file():
        return f"skipped: {CONFIG} does not exist"
    url = f"http://{ADDRESS}"
    if running_pid(NAME, MARKER):
        return f"{url} (already running)"
    data = RUN / "prometheus"
    data.mkdir(mode=0o700, exist_ok=True)
    spawn(NAME, [binary, f"--config.file={CONFIG.resolve()}",
                 f"--storage.tsdb.path={data.resolve()}", f"--web.listen-address={ADDRESS}"])
    if wait_http(url + "/-/ready", READY_TIMEOUT):
        return url
    return f"{url} NOT ready yet, see {log_file(NAME)}"


def stop() -> None:
    stop_pids([(NAME, MARKER)], STOP_TIMEOUT)


def status_line() -> str:
    if shutil.which("prometheus") is None:
        return "not installed"
    pid = running_pid(NAME, MARKER)
    ready = bool(pid) and http_ok(f"http://{ADDRESS}/-/ready")
    return f"{'running' if pid else 'stopped':9} {'ready' if ready else 'not ready':17} http://{ADDRESS}"
