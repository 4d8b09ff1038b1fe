"""No personal data in the staff service's real logs: a ``nameko run`` process with the production
``LOGGING`` section of services/staff/config.yaml, every method called with PII-shaped input, and
none of it in what the process wrote."""
import json
import os
import subprocess
import sys
import time
import uuid
from functools import partial

import pytest
import requests
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.migrations import upgrade
from deploy.local.openbao import free_port
from staff.bootstrap import seed_admin
from staff.permissions import PERMISSIONS
from tests.conftest import REPO
from tests.integration.test_staff import ADMIN_PASSWORD, GOOD_SCORES, position

NAME = "张三"
PHONES = ("13800138000", "138.0013.8000", "+86 138 0013 8000", "138-0013-8000")
ID_NUMBER = "110101199003071234"
PII = (NAME, *PHONES, ID_NUMBER)
STARTUP_SECONDS = 60


@pytest.fixture
def staff_process(rabbit_config, vault_server, service_tokens, tmp_path):
    """``nameko run`` of the staff service on this test's vhost, a fresh SQLite database and the
    session's Vault; yields a function returning what it has logged."""
    url = f"sqlite:///{tmp_path / f'staff-{uuid.uuid4().hex[:6]}.db'}"
    upgrade("staff", url)
    seed_admin(url, ADMIN_PASSWORD)
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "DATABASE_URL": url,
           "WEB_SERVER_ADDRESS": address, "VAULT_ADDR": vault_server.addr,
           "VAULT_TOKEN": service_tokens["staff"], "VAULT_TOKEN_FILE": "", "LOG_LEVEL": "INFO"}
    log = tmp_path / "staff.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "services/staff/config.yaml",
             "staff.service:Service"],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if requests.get(f"http://{address}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "staff did not become ready"
            time.sleep(0.2)
        _wait_until_it_answers_rpc(rabbit_config["AMQP_URI"], deadline)
        yield lambda: log.read_text(errors="replace")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _calls(admin_id, candidate_id):
    """Every staff method, with PII where a caller could put it (arguments, values, argument names)."""
    phone, dotted, spaced, dashed = PHONES
    member = {"name": NAME, "birth_date": ID_NUMBER, "education": "bachelor", "major": dotted,
              "certificates": [spaced]}
    return {
        "login": [(phone, ID_NUMBER), (NAME, dotted), ("admin", spaced)],
        "change_password": [(phone, f"{NAME}{ID_NUMBER}"), (ADMIN_PASSWORD, ID_NUMBER)],
        "logout": [],  # ends the session: called by the test at the end
        "reset_password": [(phone,), (ID_NUMBER,)],
        "revoke_all_tokens": [],  # ends every session: called by the test at the end
        "acknowledge_security_rules": [()],
        "token_versions": [([phone, NAME],), ([ID_NUMBER],)],  # services only: refused, still logged
        "get_staff": [(phone,), (spaced,), (NAME,)],
        "list_staff": [(dotted, NAME, ID_NUMBER)],
        "set_roles": [(dashed, [NAME]), (admin_id, [phone])],
        "set_status": [(ID_NUMBER, phone)],
        "available_agents": [(phone,)],
        "create_position": [({**position(code=phone), "title": f"{NAME} {spaced}"},),
                            ({**position(code="pii-pos"), "title": f"{NAME} {spaced}"},)],
        "get_position": [(dotted,), (ID_NUMBER,)],
        "apply": [("pii-pos", member), ("pii-pos", {**member, "birth_date": "2000-01-01"}), (NAME, member)],
        "record_assessment": [(candidate_id, {**GOOD_SCORES, phone: 1}, f"{NAME} {dotted}"),
                              (candidate_id, GOOD_SCORES, f"{NAME} {spaced} {ID_NUMBER}")],
        "decide": [(phone,), (candidate_id,)],
        "hire": [(candidate_id, phone, ID_NUMBER, ["agent"]), (candidate_id, "pii.user", dotted, [NAME])],
        "complete_training": [(dashed, NAME, ID_NUMBER)],
        "add_certificate": [(admin_id, {"code": phone, "name": NAME, "issued_on": ID_NUMBER}),
                            (admin_id, {"code": "first-aid", "name": f"{NAME} {spaced}",
                                        "issued_on": "2024-01-01"})],
        "scan_certificates": [(ID_NUMBER,), (dotted,)],
        "scan_security_acknowledgments": [(phone,)],
    }


def _wait_until_it_answers_rpc(amqp_uri, deadline):
    """Ready over HTTP does not mean consuming RPC yet: poll until the RPC queue has a consumer."""
    while True:
        with _rpc(amqp_uri) as rpc:
            try:
                rpc.staff.login("nobody", "x")
            except UnknownService:
                assert time.monotonic() < deadline, "staff did not start consuming RPC"
                time.sleep(0.2)
                continue
            except RemoteError:
                return
        return


def _decoded(text):
    """The log with each JSON line's values decoded: JSON escapes ``张三`` as ``\\u5f20\\u4e09``."""
    lines = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        lines.append(" ".join(str(value) for value in record.values()) if isinstance(record, dict) else line)
    return "\n".join(lines)


def _rpc(amqp_uri, token=None):
    context = {CONTEXT_KEY: f"Bearer {token}"} if token else None
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=30)


def test_no_personal_data_reaches_the_logs(staff_process, rabbit_config):
    read_log, amqp_uri = staff_process, rabbit_config["AMQP_URI"]
    with _rpc(amqp_uri) as rpc:
        session = rpc.staff.login("admin", ADMIN_PASSWORD)
    answers = []
    with _rpc(amqp_uri, session["token"]) as rpc:
        rpc.staff.create_position(position(code="seed-pos"))
        candidate_id = rpc.staff.apply("seed-pos", {"name": NAME, "birth_date": "2000-01-01",
                                                    "education": "bachelor", "major": "Marketing",
                                                    "certificates": ["putonghua-2b"]})["candidate_id"]
        calls = _calls(session["staff_id"], candidate_id)
        assert set(calls) == set(PERMISSIONS)
        for method, argument_lists in calls.items():
            for arguments in argument_lists:
                method_proxy = getattr(rpc.staff, method)
                for extra in ({}, {NAME: ID_NUMBER}):
                    call = partial(method_proxy, *arguments, **extra)
                    try:
                        answers.append(call())
                    except RemoteError as error:
                        answers.append(error.exc_type)
        with pytest.raises(RemoteError):
            rpc.staff.logout(**{NAME: ID_NUMBER})
        rpc.staff.revoke_all_tokens()
        with pytest.raises(RemoteError):
            rpc.staff.logout()  # revoked
    with _rpc(amqp_uri) as rpc:
        for username in (NAME, PHONES[0]):
            with pytest.raises(RemoteError):
                rpc.staff.login(username, ID_NUMBER)
    logged = _decoded(read_log())
    assert "InternalError" not in answers, answers
    assert logged.strip(), "the service wrote no log at all: the check would prove nothing"
    leaks = sorted({value for value in PII if value in logged})
    assert not leaks, [line for line in logged.splitlines() if any(value in line for value in leaks)][:5]
