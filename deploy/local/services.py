"""The four services of the local stack: admin password, migrations, seeds, processes, readiness."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

from deploy.local.broker import amqp_uri
from deploy.local.files import (
    ADMIN_PASSWORD_FILE,
    LOG_TAIL_LINES,
    RUN,
    StackError,
    log_file,
    log_tail,
    pid_file,
    say,
    write_private_file,
)
from deploy.local.processes import http_ok, running_pid, spawn, stop_pids
from deploy.local.vault import VaultSetup
from deploy.ports import SERVICE_PORTS, SERVICES

#: what ``nameko run`` is given: the class, since a bare module would make nameko run every class
#: of it that has entrypoints, the imported base classes included.
NAMEKO_TARGETS = {service: f"{service}.service:Service" for service in SERVICES}
SEED_MODULES = ("staff.bootstrap", "ticket.bootstrap", "appraisal.bootstrap")
MIGRATIONS_MODULE = "anchang_common.migrations"

READY_TIMEOUT = 90
STOP_TIMEOUT = 35
STEP_TIMEOUT = 300
POLL_INTERVAL = 0.5


def database_url(service: str) -> str:
    return f"sqlite:///{RUN / f'{service}.db'}"


def health_url(service: str) -> str:
    return f"http://127.0.0.1:{SERVICE_PORTS[service]}/health/ready"


def marker(service: str) -> str:
    """What the command line of a running service contains (guards against reused pids)."""
    return f"{service}.service"


# --- admin password, migrations, seeds ----------------------------------------------------------


def generate_password() -> str:
    while True:
        password = secrets.token_urlsafe(18)  # 24 characters
        if any(c.isalpha() for c in password) and any(c.isdigit() for c in password):
            return password


def ensure_admin_password() -> tuple[str, str]:
    """(password, where the user finds it)."""
    if os.environ.get("ANCHANG_ADMIN_PASSWORD"):
        return os.environ["ANCHANG_ADMIN_PASSWORD"], "the ANCHANG_ADMIN_PASSWORD you set"
    if ADMIN_PASSWORD_FILE.is_file():
        return ADMIN_PASSWORD_FILE.read_text().strip(), f"{ADMIN_PASSWORD_FILE} (mode 0600)"
    password = generate_password()
    write_private_file(ADMIN_PASSWORD_FILE, password + "\n")
    say(f"admin         generated a password in {ADMIN_PASSWORD_FILE} (mode 0600)")
    return password, f"{ADMIN_PASSWORD_FILE} (mode 0600)"


def module_exists(name: str) -> bool:
    """Whether ``name`` is importable by the venv's Python (checked in a child: no side effects)."""
    check = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 3)"
    result = subprocess.run([sys.executable, "-c", check, name], capture_output=True, check=False)
    return result.returncode == 0


def run_step(args: list[str], env: dict[str, str], what: str) -> None:
    """Run a setup command; its output goes to .run/logs/setup.log, and is shown if it fails."""
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False,
                            timeout=STEP_TIMEOUT)
    with open(log_file("setup"), "a") as log:
        log.write(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise StackError(f"{what} failed (exit {result.returncode}):\n{output}")


def run_migrations(vault: VaultSetup) -> None:
    for service in SERVICES:
        run_step([sys.executable, "-m", MIGRATIONS_MODULE, service], service_env(service, vault),
                 f"migrations of {service}")
    say(f"migrations    applied ({', '.join(database_url(s) for s in SERVICES)})")


def run_seeds(vault: VaultSetup, admin_password: str) -> None:
    for module in SEED_MODULES:
        service = module.split(".")[0]
        if not module_exists(module):
            say(f"seed          SKIPPED: {module} does not exist yet")
            continue
        env = service_env(service, vault)
        if service == "staff":
            env["ANCHANG_ADMIN_PASSWORD"] = admin_password
        run_step([sys.executable, "-m", module], env, f"seed {module}")
        say(f"seed          {module} done")


# --- processes ----------------------------------------------------------------------------------


def service_env(service: str, vault: VaultSetup) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("ANCHANG_ADMIN_PASSWORD", "VAULT_TOKEN", "VAULT_TOKEN_FILE"):
        env.pop(name, None)
    env.update(vault.env(service))
    env.update(
        AMQP_URI=amqp_uri(),
        DATABASE_URL=database_url(service),
        WEB_SERVER_ADDRESS=f"127.0.0.1:{SERVICE_PORTS[service]}",
        PYTHONUNBUFFERED="1",
    )
    return env


def start(service: str, vault: VaultSetup) -> subprocess.Popen | None:
    pid = running_pid(service, marker(service))
    if pid:
        say(f"{service:13} already running (pid {pid})")
        return None
    args = [sys.executable, "-m", "nameko", "run", "--config",
            f"services/{service}/config.yaml", NAMEKO_TARGETS[service]]
    proc = spawn(service, args, service_env(service, vault))
    say(f"{service:13} started (pid {proc.pid}), log {log_file(service)}")
    return proc


def exit_code(service: str, proc: subprocess.Popen | None) -> int | None:
    """The exit code of a service that died, else None (alive)."""
    if proc is not None:
        return proc.poll()
    return None if running_pid(service, marker(service)) else -1


def wait_ready(procs: dict[str, subprocess.Popen | None]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    pending = list(SERVICES)
    while pending:
        for service in list(pending):
            code = exit_code(service, procs.get(service))
            if code is not None:
                pid_file(service).unlink(missing_ok=True)
                raise StackError(f"{service} exited (code {code}) before it was ready; last lines of "
                                 f"{log_file(service)}:\n{log_tail(log_file(service))}")
            if http_ok(health_url(service)):
                pending.remove(service)
        if pending and time.monotonic() >= deadline:
            raise StackError(not_ready_report(pending))
        if pending:
            time.sleep(POLL_INTERVAL)


def not_ready_report(pending: list[str]) -> str:
    parts = [f"not ready after {READY_TIMEOUT} s: {', '.join(pending)}"]
    for service in pending:
        parts.append(f"--- last lines of {log_file(service)}:\n{log_tail(log_file(service))}")
    parts.append("The processes keep running; `make stop` stops them.")
    return "\n".join(parts)


def stop_all() -> None:
    stop_pids([(s, marker(s)) for s in SERVICES], STOP_TIMEOUT)


def status_line(service: str) -> tuple[bool, str]:
    pid = running_pid(service, marker(service))
    ready = bool(pid) and http_ok(health_url(service))
    state, readiness = "running" if pid else "stopped", "ready" if ready else "not ready"
    return ready, f"{state:9} {readiness:17} {health_url(service)}{f' (pid {pid})' if pid else ''}"
