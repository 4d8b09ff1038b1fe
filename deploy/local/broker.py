"""RabbitMQ for the local stack and the tests: is it there, start a local one, its management API.

``broker_error`` (``anchang_common.health``'s, the services' own readiness probe) answers "does an
AMQP connection open" for the stack, the test fixtures and the benchmarks. ``ensure_management_api``
makes sure the HTTP API that nameko's test fixtures create vhosts with answers: a fresh
``apt-get install rabbitmq-server`` has the plugin off, so it enables it where it can, or says at
once the exact command to run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from urllib.parse import urlsplit

import requests

from anchang_common.health import broker_error
from deploy.local.files import StackError, log_file, say
from deploy.ports import RABBITMQ_METRICS_PORT

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_MANAGEMENT_URI = "http://guest:guest@localhost:15672"
ENABLE_MANAGEMENT = "rabbitmq-plugins enable rabbitmq_management"
#: where Debian puts RabbitMQ's commands; /usr/sbin is not on an ordinary user's PATH
RABBITMQ_DIRS = ("/usr/sbin", "/usr/lib/rabbitmq/bin")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

BROKER_START_TIMEOUT = 60
MANAGEMENT_TIMEOUT = 60
POLL_INTERVAL = 0.5


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def mask_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def find_rabbitmq_command(name: str, path: str | None = None) -> str | None:
    """``name`` on ``path`` (default: $PATH and Debian's RabbitMQ directories), or None."""
    if path is None:
        path = os.pathsep.join([os.environ.get("PATH", ""), *RABBITMQ_DIRS])
    return shutil.which(name, path=path)


# --- the broker ---------------------------------------------------------------------------------


def ensure_broker() -> str:
    uri = amqp_uri()
    error = broker_error(uri)
    if error is None:
        say(f"rabbitmq      reachable at {mask_uri(uri)}")
        return uri
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if port_open(host, port) or host not in LOCAL_HOSTS:
        raise StackError(f"RabbitMQ at {mask_uri(uri)} does not accept us: {error}\n"
                         "Fix AMQP_URI or the broker.")
    start_local_rabbitmq(uri)
    return uri


def start_local_rabbitmq(uri: str) -> None:
    binary = find_rabbitmq_command("rabbitmq-server")
    if binary is None:
        raise StackError(
            f"RabbitMQ is not reachable at {mask_uri(uri)} and no rabbitmq-server is installed.\n"
            f"Install it:   {_sudo()}apt-get install rabbitmq-server   (Debian/Ubuntu; it starts itself)\n"
            "or run one:   docker run -d -p 5672:5672 rabbitmq:3-management\n"
            "or point AMQP_URI at a reachable broker, then run `make run` again.")
    say(f"rabbitmq      not reachable: starting {binary} -detached")
    with open(log_file("rabbitmq"), "ab") as log:
        subprocess.run([binary, "-detached"], stdout=log, stderr=subprocess.STDOUT, check=False)
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    while (error := broker_error(uri)) is not None:
        if time.monotonic() >= deadline:
            raise StackError(f"rabbitmq-server did not come up within {BROKER_START_TIMEOUT} s: {error}\n"
                             f"See {log_file('rabbitmq')} and /var/log/rabbitmq/.")
        time.sleep(POLL_INTERVAL)
    say(f"rabbitmq      started, reachable at {mask_uri(uri)}")


def status_line() -> tuple[bool, str]:
    uri = amqp_uri()
    ok = broker_error(uri) is None
    state, readiness = ("running", "ready") if ok else ("stopped", "not reachable")
    return ok, f"{state:9} {readiness:17} {mask_uri(uri)}"


# --- the management API -------------------------------------------------------------------------


def management_api_status(api_uri: str) -> int | None:
    """HTTP status of ``GET <api_uri>/api/overview`` (credentials from the URI), None if no answer."""
    try:
        return requests.get(api_uri.rstrip("/") + "/api/overview", timeout=3).status_code
    except requests.RequestException:
        return None


def ensure_management_api(api_uri: str = DEFAULT_MANAGEMENT_URI, timeout: float = MANAGEMENT_TIMEOUT,
                          path: str | None = None) -> str:
    """Make sure RabbitMQ's management API answers at ``api_uri``; say how, or raise StackError.

    Returns "answering" when it already did, "enabled" when this call enabled the plugin (with
    ``rabbitmq-plugins``, found on ``path``; default: $PATH and Debian's RabbitMQ directories)
    and the API then answered within ``timeout`` seconds. Raises at once, naming the command to
    run, where the broker is not local, the command is missing or may not be run by this user.
    """
    status = management_api_status(api_uri)
    if status == 200:
        return "answering"
    where = mask_uri(api_uri)
    if status is not None:
        raise StackError(f"the RabbitMQ management API at {where} answers HTTP {status}: check the user "
                         "and password in the URI (pytest --rabbit-ctl-uri)")
    if (urlsplit(api_uri).hostname or "") not in LOCAL_HOSTS:
        raise StackError(f"the RabbitMQ management API at {where} does not answer. On that broker run:\n"
                         f"    {ENABLE_MANAGEMENT}")
    binary = find_rabbitmq_command("rabbitmq-plugins", path)
    if binary is None:
        raise StackError(f"the RabbitMQ management API at {where} does not answer and rabbitmq-plugins is "
                         "not installed here. Enable the plugin where RabbitMQ runs:\n"
                         f"    {_sudo()}{ENABLE_MANAGEMENT}")
    enable_management_plugin(binary)
    deadline = time.monotonic() + timeout
    while management_api_status(api_uri) != 200:
        if time.monotonic() >= deadline:
            raise StackError(f"enabled rabbitmq_management, but its API at {where} did not answer "
                             f"within {timeout} s; check `{binary} list` and the broker's log")
        time.sleep(POLL_INTERVAL)
    return "enabled"


def enable_management_plugin(binary: str) -> None:
    """``rabbitmq-plugins enable rabbitmq_management`` (a no-op when it is on); StackError if refused."""
    try:
        # umask 022: rabbitmq-plugins rewrites the enabled-plugins file, which the broker (another
        # user) must still read; this process's umask (077 for .run/) would make it unreadable and
        # break the management API it is enabling
        result = subprocess.run([binary, "-q", "enable", "rabbitmq_management"], capture_output=True,
                                text=True, timeout=120, check=False, preexec_fn=lambda: os.umask(0o022))
    except (OSError, subprocess.TimeoutExpired) as exc:
        output, code = str(exc), "-"
    else:
        if result.returncode == 0:
            return
        output, code = (result.stdout + result.stderr).strip(), result.returncode
    raise StackError(f"could not enable RabbitMQ's management plugin ({binary}, exit {code}): "
                     f"{output[-1000:]}\n"
                     f"Run it as root or as the rabbitmq user:\n    {_sudo()}{ENABLE_MANAGEMENT}")


def ensure_prometheus_metrics() -> str:
    """Whether RabbitMQ's own Prometheus endpoint (queue metrics) answers, for the local Prometheus;
    if not, how to turn it on. The broker is the machine's, shared: its plugins are its operator's
    to change, so this only tells (an online change restarts the management agent, and a plugins
    file written by another user can leave the broker unable to read it)."""
    url = f"http://127.0.0.1:{RABBITMQ_METRICS_PORT}/metrics"
    if port_open("127.0.0.1", RABBITMQ_METRICS_PORT):
        return url
    return f"not answering: `{_sudo()}rabbitmq-plugins enable rabbitmq_prometheus` serves the queue metrics at {url}"


def _sudo() -> str:
    return "" if os.geteuid() == 0 else "sudo "

