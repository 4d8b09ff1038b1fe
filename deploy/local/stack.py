"""The local stack of DESIGN §2: ``python -m deploy.local.stack start|stop|status``.

``make run`` / ``make stop`` / ``make status`` call it from the repository root. ``start`` checks
RabbitMQ (starting a local ``rabbitmq-server`` if one is installed), starts a local OpenBao under
``.run/vault/`` (initialised, unsealed, bootstrapped; one token per service), applies migrations,
seeds, starts the four services in the background and returns once every one answers
``/health/ready``; then a local Prometheus where the binary exists. ``stop`` stops what ``start``
started; every byte of data stays under ``.run/``. Logs: ``.run/logs/<component>.log``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import hvac
import hvac.exceptions
import kombu
import requests

from anchang_common.localvault import (
    BaoServer,
    bootstrap,
    issue_service_token,
    policy_name,
    process_alive,
    read_pid,
    wait_process_gone,
    write_private_file,
)

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(".run")
LOGS = RUN / "logs"
VAULT_DIR = RUN / "vault"
ADMIN_PASSWORD_FILE = RUN / "admin-password"
POLICIES_DIR = Path("deploy/vault/policies")
PROMETHEUS_CONFIG = Path("deploy/prometheus/prometheus-local.yml")
PROMETHEUS_ADDRESS = "127.0.0.1:9090"

SERVICES = {"staff": 8001, "client_vault": 8002, "ticket": 8003, "appraisal": 8004}
#: what ``nameko run`` is given: the class, since a bare module would make nameko run every class
#: of it that has entrypoints, the imported base classes included.
NAMEKO_TARGETS = {service: "%s.service:Service" % service for service in SERVICES}
SEED_MODULES = ("staff.bootstrap", "ticket.bootstrap", "appraisal.bootstrap")
MIGRATIONS_MODULE = "anchang_common.migrations"

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
VAULT_PORT = 8200
MIN_TOKEN_TTL_SECONDS = 3600

BROKER_START_TIMEOUT = 60
READY_TIMEOUT = 90
SERVICE_STOP_TIMEOUT = 35
OTHER_STOP_TIMEOUT = 10
POLL_INTERVAL = 0.5
LOG_TAIL_LINES = 30


class StackError(Exception):
    """Something the user has to fix; printed without a traceback, exit status 1."""


def say(message: str = "") -> None:
    print(message, flush=True)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log at %s)" % path


def mask_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    netloc = parts.netloc.replace(":%s@" % parts.password, ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def database_url(service: str) -> str:
    return "sqlite:///%s" % (RUN / ("%s.db" % service))


def health_url(service: str) -> str:
    return "http://127.0.0.1:%d/health/ready" % SERVICES[service]


def pid_file(name: str) -> Path:
    return RUN / ("%s.pid" % name)


def log_file(name: str) -> Path:
    return LOGS / ("%s.log" % name)


def service_marker(service: str) -> str:
    """What the command line of a running service contains (guards against reused pids)."""
    return "%s.service" % service


def running_pid(name: str, marker: str) -> int | None:
    pid = read_pid(pid_file(name))
    return pid if pid and process_alive(pid, marker) else None


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


# --- RabbitMQ ---------------------------------------------------------------------------------------


def broker_error(uri: str) -> str | None:
    """None when an AMQP connection to ``uri`` opens, else the reason."""
    try:
        with kombu.Connection(uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as exc:  # kombu wraps socket and AMQP errors differently per transport
        return str(exc) or type(exc).__name__
    return None


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def find_rabbitmq_server() -> str | None:
    return shutil.which("rabbitmq-server") or next(
        (p for p in ("/usr/sbin/rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server")
         if os.access(p, os.X_OK)), None)


def ensure_broker() -> str:
    uri = amqp_uri()
    error = broker_error(uri)
    if error is None:
        say("rabbitmq      reachable at %s" % mask_uri(uri))
        return uri
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if port_open(host, port) or host not in ("127.0.0.1", "localhost", "::1"):
        raise StackError("RabbitMQ at %s does not accept us: %s\nFix AMQP_URI or the broker."
                         % (mask_uri(uri), error))
    start_local_rabbitmq(uri)
    return uri


def start_local_rabbitmq(uri: str) -> None:
    binary = find_rabbitmq_server()
    if binary is None:
        raise StackError(
            "RabbitMQ is not reachable at %s and no rabbitmq-server is installed.\n"
            "Install it:   %sapt-get install rabbitmq-server   (Debian/Ubuntu; it starts itself)\n"
            "or run one:   docker run -d -p 5672:5672 rabbitmq:3-management\n"
            "or point AMQP_URI at a reachable broker, then run `make run` again."
            % (mask_uri(uri), "" if os.geteuid() == 0 else "sudo "))
    say("rabbitmq      not reachable: starting %s -detached" % binary)
    with open(log_file("rabbitmq"), "ab") as log:
        subprocess.run([binary, "-detached"], stdout=log, stderr=subprocess.STDOUT, check=False)
    wait_for_broker(uri)


def wait_for_broker(uri: str) -> None:
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    while (error := broker_error(uri)) is not None:
        if time.monotonic() >= deadline:
            raise StackError("rabbitmq-server did not come up within %d s: %s\nSee %s and "
                             "/var/log/rabbitmq/." % (BROKER_START_TIMEOUT, error, log_file("rabbitmq")))
        time.sleep(POLL_INTERVAL)
    say("rabbitmq      started, reachable at %s" % mask_uri(uri))


# --- Vault ------------------------------------------------------------------------------------------


@dataclass
class VaultSetup:
    addr: str
    local: bool
    token_files: bool  # True: each service reads .run/vault/<service>.token; False: VAULT_TOKEN

    def env(self, service: str) -> dict[str, str]:
        if self.token_files:
            return {"VAULT_ADDR": self.addr, "VAULT_TOKEN_FILE": str(token_path(service))}
        return {"VAULT_ADDR": self.addr, "VAULT_TOKEN": os.environ.get("VAULT_TOKEN", "")}


def token_path(service: str) -> Path:
    return VAULT_DIR / ("%s.token" % service)


def ensure_vault() -> VaultSetup:
    try:
        if os.environ.get("VAULT_ADDR"):
            return use_external_vault(os.environ["VAULT_ADDR"], os.environ.get("VAULT_TOKEN", ""))
        return use_local_vault()
    except (hvac.exceptions.VaultError, requests.RequestException) as exc:
        raise StackError("Vault: %s: %s" % (type(exc).__name__, exc)) from exc


def use_local_vault() -> VaultSetup:
    server = BaoServer(VAULT_DIR, VAULT_PORT)
    was_running = server.is_running()
    try:
        server.start()
    except RuntimeError as exc:
        raise StackError("local Vault (OpenBao): %s" % exc) from exc
    say("vault         %s at %s (data in %s)"
        % ("running" if was_running else "started", server.addr, VAULT_DIR))
    prepare_vault(server.client())
    return VaultSetup(server.addr, local=True, token_files=True)


def use_external_vault(addr: str, token: str) -> VaultSetup:
    if not token:
        raise StackError("VAULT_ADDR is set (%s) but VAULT_TOKEN is not: set both, or unset "
                         "VAULT_ADDR to use the local OpenBao under %s" % (addr, VAULT_DIR))
    VAULT_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    say("vault         using VAULT_ADDR=%s" % addr)
    try:
        prepare_vault(hvac.Client(url=addr, token=token))
    except hvac.exceptions.Forbidden:
        say("vault         VAULT_TOKEN may not bootstrap keys/policies or issue tokens: "
            "the services get VAULT_TOKEN itself")
        return VaultSetup(addr, local=False, token_files=False)
    return VaultSetup(addr, local=False, token_files=True)


def prepare_vault(client: hvac.Client) -> None:
    result = bootstrap(client, POLICIES_DIR)
    if result["created_keys"]:
        say("vault         created transit keys %s" % ", ".join(result["created_keys"]))
    issued = [service for service in SERVICES if ensure_service_token(client, service)]
    if issued:
        say("vault         issued tokens for %s in %s" % (", ".join(issued), VAULT_DIR))


def ensure_service_token(client: hvac.Client, service: str) -> bool:
    """Keep ``.run/vault/<service>.token`` if Vault still knows it; else issue one. True if issued."""
    path = token_path(service)
    if path.is_file() and token_valid(client, path.read_text().strip(), service):
        return False
    write_private_file(path, issue_service_token(client, service))
    return True


def token_valid(client: hvac.Client, token: str, service: str) -> bool:
    try:
        data = client.auth.token.lookup(token)["data"]
    except (hvac.exceptions.Forbidden, hvac.exceptions.InvalidRequest, hvac.exceptions.InvalidPath):
        return False
    ttl = data.get("ttl") or 0
    return policy_name(service) in (data.get("policies") or []) and ttl > MIN_TOKEN_TTL_SECONDS


# --- admin password, migrations, seeds ----------------------------------------------------------------


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
        return ADMIN_PASSWORD_FILE.read_text().strip(), "%s (mode 0600)" % ADMIN_PASSWORD_FILE
    password = generate_password()
    write_private_file(ADMIN_PASSWORD_FILE, password + "\n")
    say("admin         generated a password in %s (mode 0600)" % ADMIN_PASSWORD_FILE)
    return password, "%s (mode 0600)" % ADMIN_PASSWORD_FILE


def module_exists(name: str) -> bool:
    """Whether ``name`` is importable by the venv's Python (checked in a child: no side effects)."""
    check = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 3)"
    result = subprocess.run([sys.executable, "-c", check, name], capture_output=True, check=False)
    return result.returncode == 0


def run_step(args: list[str], env: dict[str, str], what: str) -> None:
    """Run a setup command; its output goes to .run/logs/setup.log, and is shown if it fails."""
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=300)
    with open(log_file("setup"), "a") as log:
        log.write("$ %s\n%s%s" % (" ".join(args), result.stdout, result.stderr))
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise StackError("%s failed (exit %d):\n%s" % (what, result.returncode, output))


def migrations_available() -> bool:
    """False while anchang_common.migrations is not written yet: migrations are then skipped."""
    if module_exists(MIGRATIONS_MODULE):
        return True
    say("migrations    SKIPPED: %s does not exist yet" % MIGRATIONS_MODULE)
    return False


def run_migrations(vault: VaultSetup) -> None:
    if not migrations_available():
        return
    for service in SERVICES:
        run_step([sys.executable, "-m", MIGRATIONS_MODULE, service], service_env(service, vault),
                 "migrations of %s" % service)
    say("migrations    applied (%s)" % ", ".join(database_url(s) for s in SERVICES))


def run_seeds(vault: VaultSetup, admin_password: str) -> None:
    for module in SEED_MODULES:
        service = module.split(".")[0]
        if not module_exists(module):
            say("seed          SKIPPED: %s does not exist yet" % module)
            continue
        env = service_env(service, vault)
        if service == "staff":
            env["ANCHANG_ADMIN_PASSWORD"] = admin_password
        run_step([sys.executable, "-m", module], env, "seed %s" % module)
        say("seed          %s done" % module)


# --- services -----------------------------------------------------------------------------------------


def service_env(service: str, vault: VaultSetup) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("ANCHANG_ADMIN_PASSWORD", "VAULT_TOKEN", "VAULT_TOKEN_FILE"):
        env.pop(name, None)
    env.update(vault.env(service))
    env.update(
        AMQP_URI=amqp_uri(),
        DATABASE_URL=database_url(service),
        WEB_SERVER_ADDRESS="127.0.0.1:%d" % SERVICES[service],
        PYTHONUNBUFFERED="1",
    )
    return env


def spawn(name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a background process in its own session; output to its log, pid to its pid file."""
    with open(log_file(name), "ab") as log:
        log.write(b"\n=== %s: starting %s ===\n" % (time.strftime("%Y-%m-%dT%H:%M:%S%z").encode(),
                                                  name.encode()))
        log.flush()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pid_file(name).write_text("%d\n" % proc.pid)
    return proc


def start_service(service: str, vault: VaultSetup) -> subprocess.Popen | None:
    pid = running_pid(service, service_marker(service))
    if pid:
        say("%-13s already running (pid %d)" % (service, pid))
        return None
    args = [sys.executable, "-m", "nameko", "run", "--config",
            "services/%s/config.yaml" % service, NAMEKO_TARGETS[service]]
    proc = spawn(service, args, service_env(service, vault))
    say("%-13s started (pid %d), log %s" % (service, proc.pid, log_file(service)))
    return proc


def service_exit_code(service: str, proc: subprocess.Popen | None) -> int | None:
    """The exit code of a service that died, else None (alive)."""
    if proc is not None:
        return proc.poll()
    return None if running_pid(service, service_marker(service)) else -1


def wait_ready(procs: dict[str, subprocess.Popen | None]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    pending = list(SERVICES)
    while pending:
        for service in list(pending):
            code = service_exit_code(service, procs.get(service))
            if code is not None:
                pid_file(service).unlink(missing_ok=True)
                raise StackError("%s exited (code %s) before it was ready; last lines of %s:\n%s"
                                 % (service, code, log_file(service), log_tail(log_file(service))))
            if http_ok(health_url(service)):
                pending.remove(service)
        if pending and time.monotonic() >= deadline:
            raise StackError(not_ready_report(pending))
        if pending:
            time.sleep(POLL_INTERVAL)


def not_ready_report(pending: list[str]) -> str:
    parts = ["not ready after %d s: %s" % (READY_TIMEOUT, ", ".join(pending))]
    for service in pending:
        parts.append("--- last lines of %s:\n%s" % (log_file(service), log_tail(log_file(service))))
    parts.append("The processes keep running; `make stop` stops them.")
    return "\n".join(parts)


# --- Prometheus ---------------------------------------------------------------------------------------


def start_prometheus() -> str:
    """Start Prometheus when it can be; return one line saying what happened."""
    binary = shutil.which("prometheus")
    if binary is None:
        return "skipped: no `prometheus` binary on PATH (apt-get install prometheus)"
    if not PROMETHEUS_CONFIG.is_file():
        return "skipped: %s does not exist" % PROMETHEUS_CONFIG
    url = "http://%s" % PROMETHEUS_ADDRESS
    if running_pid("prometheus", "prometheus"):
        return "%s (already running)" % url
    (RUN / "prometheus").mkdir(exist_ok=True)
    spawn("prometheus", [binary, "--config.file=%s" % PROMETHEUS_CONFIG.resolve(),
                         "--storage.tsdb.path=%s" % (RUN / "prometheus").resolve(),
                         "--web.listen-address=%s" % PROMETHEUS_ADDRESS])
    if wait_http(url + "/-/ready", 30):
        return url
    return "%s NOT ready yet, see %s" % (url, log_file("prometheus"))


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not http_ok(url):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


# --- commands ------------------------------------------------------------------------------------------


def start() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    uri = ensure_broker()
    vault = ensure_vault()
    admin_password, password_where = ensure_admin_password()
    run_migrations(vault)
    run_seeds(vault, admin_password)
    procs = {service: start_service(service, vault) for service in SERVICES}
    say("waiting for every service to answer /health/ready (up to %d s)..." % READY_TIMEOUT)
    wait_ready(procs)
    prometheus = start_prometheus()
    print_summary(uri, vault, password_where, prometheus)
    return 0


def print_summary(uri: str, vault: VaultSetup, password_where: str, prometheus: str) -> None:
    say("\nAnchang is running. RPC and events of every service go over AMQP at %s\n" % mask_uri(uri))
    say("  %-13s %-30s %-32s %s" % ("component", "RPC", "metrics", "health"))
    for service, port in SERVICES.items():
        base = "http://127.0.0.1:%d" % port
        say("  %-13s %-30s %-32s %s" % (service, "nameko service %r" % service, base + "/metrics",
                                         base + "/health/ready"))
    say("  %-13s %-30s %-32s %s" % ("vault", vault.addr, "", vault.addr + "/v1/sys/health"))
    say("  %-13s %s" % ("prometheus", prometheus))
    say("\nAdmin account: `admin`, password in %s" % password_where)
    if vault.local:
        say("Vault root token: %s (local only)" % (VAULT_DIR / "init.json"))
    say("Data: %s/   Logs: `make logs` (%s/)   Status: `make status`   Stop: `make stop`"
        % (RUN, LOGS))


def stop_pids(targets: list[tuple[str, str]], timeout: float) -> None:
    """SIGTERM every (name, marker) that runs, wait up to ``timeout`` s, SIGKILL what is left."""
    running = {name: pid for name, marker in targets if (pid := running_pid(name, marker))}
    for name, pid in running.items():
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, pid in running.items():
        if not wait_process_gone(pid, max(0.0, deadline - time.monotonic())):
            os.kill(pid, signal.SIGKILL)
            wait_process_gone(pid, OTHER_STOP_TIMEOUT)
            say("%-13s killed (no exit within %d s of SIGTERM)" % (name, timeout))
        else:
            say("%-13s stopped" % name)
    for name, _ in targets:
        if name not in running:
            say("%-13s was not running" % name)
        pid_file(name).unlink(missing_ok=True)


def stop() -> int:
    stop_pids([(s, service_marker(s)) for s in SERVICES], SERVICE_STOP_TIMEOUT)
    stop_pids([("prometheus", "prometheus")], OTHER_STOP_TIMEOUT)
    server = BaoServer(VAULT_DIR, VAULT_PORT)
    if server.is_running():
        server.stop(OTHER_STOP_TIMEOUT)
        say("%-13s stopped" % "vault")
    else:
        say("%-13s was not running (here)" % "vault")
    say("Data stays under %s/." % RUN)
    return 0


def vault_status() -> tuple[bool, str]:
    addr = os.environ.get("VAULT_ADDR") or BaoServer(VAULT_DIR, VAULT_PORT).addr
    try:
        code = requests.get(addr + "/v1/sys/health", timeout=2).status_code
    except requests.RequestException:
        code = None
    state = {200: "ready (unsealed)", 503: "sealed", 501: "not initialised", None: "not answering"}
    where = "external" if os.environ.get("VAULT_ADDR") else (
        "running" if BaoServer(VAULT_DIR, VAULT_PORT).is_running() else "stopped")
    return code == 200, "%-9s %-17s %s" % (where, state.get(code, "HTTP %s" % code), addr)


def service_status(service: str) -> tuple[bool, str]:
    pid = running_pid(service, service_marker(service))
    ready = bool(pid) and http_ok(health_url(service))
    return ready, "%-9s %-17s %s%s" % ("running" if pid else "stopped",
                                        "ready" if ready else "not ready",
                                        health_url(service), " (pid %d)" % pid if pid else "")


def prometheus_status() -> str:
    if shutil.which("prometheus") is None:
        return "not installed"
    pid = running_pid("prometheus", "prometheus")
    ready = bool(pid) and http_ok("http://%s/-/ready" % PROMETHEUS_ADDRESS)
    return "%-9s %-17s http://%s" % ("running" if pid else "stopped",
                                     "ready" if ready else "not ready", PROMETHEUS_ADDRESS)


def status() -> int:
    """One line per component; exit status 0 when everything answers, else 3."""
    uri = amqp_uri()
    broker_ok = broker_error(uri) is None
    say("%-13s %-9s %-17s %s" % ("rabbitmq", "running" if broker_ok else "stopped",
                                 "ready" if broker_ok else "not reachable", mask_uri(uri)))
    vault_ok, line = vault_status()
    say("%-13s %s" % ("vault", line))
    services_ok = True
    for service in SERVICES:
        ready, line = service_status(service)
        services_ok = services_ok and ready
        say("%-13s %s" % (service, line))
    say("%-13s %s" % ("prometheus", prometheus_status()))
    return 0 if broker_ok and vault_ok and services_ok else 3


COMMANDS = {"start": start, "stop": stop, "status": status}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print("usage: python -m deploy.local.stack {start|stop|status}", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    try:
        return COMMANDS[argv[0]]()
    except StackError as exc:
        print("error: %s" % exc, file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
