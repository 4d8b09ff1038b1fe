"""``make run`` as a newcomer meets it: a fresh directory, four ready services, the admin logging in
with the generated password, every file under ``.run/`` private; ``make stop`` then ``make run``
keeps the data and Vault's keys; ``make status`` tells which is which."""
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.ports import PROMETHEUS_PORT, SERVICE_PORTS, VAULT_PORT
from tests.conftest import REPO

PORTS = {"vault": VAULT_PORT, "prometheus": PROMETHEUS_PORT, **SERVICE_PORTS}
PROMETHEUS = f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1"


def port_in_use(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def fresh_checkout(tmp_path):
    """The repository's files as a fresh clone has them (no .venv, no .run)."""
    busy = [name for name, port in PORTS.items() if port_in_use(port)]
    if busy:
        pytest.skip(f"a local stack is already running here ({', '.join(busy)}): `make stop` first")
    checkout = tmp_path / "anchang"
    shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(
        ".venv", ".run", ".git", "__pycache__", "*.egg-info", ".pytest_cache"))
    return checkout


def stack(checkout, env, command, expect=0):
    result = subprocess.run([sys.executable, "-m", "deploy.local", command], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == expect, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def not_private(run):
    """Everything under ``run`` that others could read: dirs not 0700, files not 0600."""
    wrong = {}
    for directory, _, names in os.walk(run):
        for path in [directory, *(os.path.join(directory, name) for name in names)]:
            if os.path.islink(path):
                continue
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode != (0o700 if os.path.isdir(path) else 0o600):
                wrong[os.path.relpath(path, run)] = oct(mode)
    return wrong


def poll(what, check, timeout=90):
    """``check()``'s result once truthy; fails naming ``what`` and the last answer after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer is True:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: {answer}")
        time.sleep(1)


def prometheus_sees_every_target_and_rule():
    """The Prometheus ``make run`` started scrapes every service (up) and evaluates every rule
    without error, as its HTTP API says."""
    def targets():
        active = requests.get(f"{PROMETHEUS}/targets", timeout=5).json()["data"]["activeTargets"]
        services = {t["scrapeUrl"]: t["health"] for t in active if t["labels"]["job"] == "anchang"}
        expected = {f"http://127.0.0.1:{port}/metrics" for port in SERVICE_PORTS.values()}
        return True if set(services) == expected and set(services.values()) == {"up"} else services

    def rules():
        groups = requests.get(f"{PROMETHEUS}/rules", timeout=5).json()["data"]["groups"]
        health = {rule["name"]: (rule["health"], rule.get("lastError", "")) for g in groups for rule in g["rules"]}
        bad = {name: h for name, h in health.items() if h[0] != "ok"}
        return True if health and not bad else bad or "no rules loaded"

    poll("targets of the local Prometheus", targets)
    poll("rules the local Prometheus evaluates", rules)


def admin_session(amqp_uri, password):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as rpc:
        return rpc.staff.login("admin", password)


def test_run_stop_run_keeps_everything(fresh_checkout, rabbit_config):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANCHANG_ADMIN_PASSWORD", "VAULT_ADDR", "VAULT_TOKEN", "DATABASE_URL")}
    env["AMQP_URI"] = rabbit_config["AMQP_URI"]
    try:
        printed = stack(fresh_checkout, env, "start")
        for name in ("staff", "client_vault", "ticket", "appraisal"):
            assert f"http://127.0.0.1:{PORTS[name]}/health/ready" in printed
            assert requests.get(f"http://127.0.0.1:{PORTS[name]}/health/ready", timeout=5).status_code == 200
        assert "ready" in stack(fresh_checkout, env, "status")
        if shutil.which("prometheus"):
            prometheus_sees_every_target_and_rule()
        run = fresh_checkout / ".run"
        assert {"admin-password", "staff.db", "vault"} <= {p.name for p in run.iterdir()}
        assert not_private(run) == {}
        password = (run / "admin-password").read_text().strip()
        first = admin_session(env["AMQP_URI"], password)

        stack(fresh_checkout, env, "stop")
        assert not port_in_use(PORTS["staff"]) and not port_in_use(PORTS["vault"])
        assert "stopped" in stack(fresh_checkout, env, "status", expect=3)
        stack(fresh_checkout, env, "start")

        second = admin_session(env["AMQP_URI"], password)
        assert second["staff_id"] == first["staff_id"]
        # the token signed before the restart still verifies: Vault kept its signing key
        assert not_private(run) == {}
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]},
                             context_data={"authorization": f"Bearer {first['token']}"}) as rpc:
            assert rpc.staff.get_staff(first["staff_id"])["username"] == "admin"
    finally:
        subprocess.run([sys.executable, "-m", "deploy.local", "stop"], cwd=fresh_checkout, env=env,
                       capture_output=True, timeout=120)
