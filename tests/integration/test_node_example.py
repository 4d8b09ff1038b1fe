"""The Node.js example of docs/rpc.md (``examples/node``: amqplib alone, no nameko) against the real
staff service on this test's vhost: it logs in and lists the staff, and reports an error reply by its
type. ``make test`` installs its locked packages first (``make node-deps``)."""
import json
import os
import subprocess

import pytest

from tests.conftest import REPO
from tests.integration.accounts import ADMIN_PASSWORD

EXAMPLE = REPO / "examples" / "node"


def run_example(amqp_uri, username, password, script="list-staff.mjs"):
    if not (EXAMPLE / "node_modules" / "amqplib").is_dir():
        pytest.fail("examples/node has no node_modules: run `make node-deps` (make test does)")
    env = {"PATH": os.environ["PATH"], "AMQP_URI": amqp_uri.replace("pyamqp://", "amqp://", 1),
           "ANCHANG_USERNAME": username, "ANCHANG_PASSWORD": password}
    return subprocess.run(["node", script], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=60)


def test_the_node_example_logs_in_and_lists_staff(harness, rabbit_config, staff, admin):
    with harness.rpc(admin) as rpc:
        members = rpc.staff.list_staff()
    done = run_example(rabbit_config["AMQP_URI"], "admin", ADMIN_PASSWORD)
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows == [[m["username"], m["status"], ",".join(m["roles"]), m["staff_id"]] for m in members]
    assert ["admin", "active", "admin"] == rows[0][:3]
    assert "logged in as admin (admin)" in done.stderr


def test_the_node_example_reports_an_error_reply_by_its_type(harness, rabbit_config, staff):
    done = run_example(rabbit_config["AMQP_URI"], "admin", "not-the-password-1")
    assert done.returncode == 1
    assert done.stderr.strip() == "Unauthenticated: wrong username or password"
    assert done.stdout == "" and "Error:" not in done.stderr  # no stack trace


def test_the_node_example_calls_every_argument_by_name(harness, rabbit_config, staff):
    """What the example sends is the by-name form of docs/asyncapi.yaml: ``args`` empty, ``kwargs``
    the arguments, the token in ``nameko.authorization``; a method that does not exist is nameko's
    ``MethodNotFound``, a service that is not running comes back at once (``mandatory``)."""
    script = """
import { connect } from "./anchang-rpc.mjs";
const rpc = await connect(process.env.AMQP_URI, { timeoutMs: 20000 });
const outcomes = [];
for (const [service, method, kwargs] of [["staff", "login", { username: "admin" }], ["staff", "fire", {}],
                                         ["nowhere", "login", {}]]) {
  try { outcomes.push(await rpc.call(service, method, kwargs)); }
  catch (error) { outcomes.push({ excType: error.excType, value: error.value }); }
}
console.log(JSON.stringify(outcomes));
await rpc.close();
"""
    probe = EXAMPLE / f"probe-{os.getpid()}.mjs"
    probe.write_text(script)
    try:
        done = run_example(rabbit_config["AMQP_URI"], "", "-", probe.name)
    finally:
        probe.unlink()
    assert done.returncode == 0, done.stderr
    missing, unknown_method, unknown_service = json.loads(done.stdout)
    assert missing == {"excType": "ValidationError", "value": "invalid input: password: missing"}
    assert unknown_method["excType"] == "MethodNotFound"
    assert unknown_service == {"excType": "UnknownService", "value": "nowhere.login"}
