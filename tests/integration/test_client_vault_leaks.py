"""No client data at rest or in the logs: a real ``nameko run`` process of client_vault (production
``LOGGING`` of its config.yaml) on each database dialect is given clients, notes, imports and
updates through RPC, bad input with PII in it too; then every table of its database and everything
the process logged are searched for each value, in every form it was written in."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests
import sqlalchemy as sa
from nameko.exceptions import RemoteError, UnknownService

from anchang_common.db import make_engine
from deploy.local.openbao import free_port
from tests.conftest import REPO
from tests.integration.test_client_vault import TicketStandIn, login
from tests.integration.test_staff import hire_and_activate
from tests.integration.test_staff_logs import _decoded

NAME, NEW_NAME = "欧阳娜娜", "司马相如"
PHONE, NEW_PHONE, IMPORT_PHONE = "13812345678", "13987654321", "13611112222"
ID_NUMBER = "11010519491231002X"
ADDRESS, NEW_ADDRESS = "上海市浦东新区世纪大道100号3栋", "广州市天河区体育西路55号"
NOTE, IMPORT_NAME = "住在隔壁的王先生投诉物业噪音", "诸葛孔明"
PII = (NAME, NEW_NAME, ID_NUMBER, ADDRESS, NEW_ADDRESS, NOTE, IMPORT_NAME,
       *(form for phone in (PHONE, NEW_PHONE, IMPORT_PHONE) for form in (phone, f"+86{phone}")))
STARTUP_SECONDS = 60


def person(phone=PHONE, name=NAME, **changes):
    return {"name": name, "phone": phone, "id_number": ID_NUMBER, "address": ADDRESS, "source": "hotline",
            "consent": {"purpose": "service", "granted_at": "2026-02-01T10:00:00Z"}, **changes}


@pytest.fixture
def vault_process(harness, rabbit_config, vault_server, service_tokens, database_url, tmp_path):
    """``nameko run client_vault`` on this test's vhost and a fresh database; yields (url, read_log)."""
    url = database_url("client_vault")
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "DATABASE_URL": url, "WEB_SERVER_ADDRESS": address,
           "VAULT_ADDR": vault_server.addr, "VAULT_TOKEN": service_tokens["client_vault"], "VAULT_TOKEN_FILE": "",
           "LOG_LEVEL": "INFO"}
    log = tmp_path / "client_vault.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "services/client_vault/config.yaml",
             "client_vault.service:Service"], cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if requests.get(f"http://{address}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "client_vault did not become ready"
            time.sleep(0.2)
        while True:
            with harness.rpc() as proxy:
                try:
                    proxy.client_vault.get_client("nobody")
                except UnknownService:
                    assert time.monotonic() < deadline, "client_vault did not start consuming RPC"
                    time.sleep(0.2)
                    continue
                except RemoteError:
                    break
        yield url, lambda: log.read_text(errors="replace")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def every_value(url):
    """Every value of every table, as text, JSON documents decoded as well (JSON escapes non-ASCII)."""
    engine = make_engine(url)
    texts = []
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        for table in tables:
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    texts.append(str(value))
                    if isinstance(value, str) and value[:1] in "[{\"":
                        try:
                            texts.append(json.dumps(json.loads(value), ensure_ascii=False))
                        except ValueError:
                            pass
                    elif isinstance(value, (dict, list)):
                        texts.append(json.dumps(value, ensure_ascii=False))
    engine.dispose()
    assert {"clients", "notes", "audit_entries", "idempotency_keys"} <= set(tables)
    return "\n".join(texts)


def test_no_client_data_in_any_table_or_log_line(harness, admin, vault_process, dialect):
    url, read_log = vault_process
    harness.start("ticket", TicketStandIn, harness.config_for("ticket"))
    hire_and_activate(harness, admin, "zhao.super", ["supervisor"])
    supervisor = login(harness, "zhao.super")
    answers = []
    with harness.rpc(supervisor, timeout=60) as proxy:
        client_id = proxy.client_vault.register_client(person(), idempotency_key="k-1")["client_id"]
        proxy.client_vault.add_note(client_id, "complaint", NOTE, idempotency_key="k-2")
        result = proxy.client_vault.import_clients(
            [person(phone=IMPORT_PHONE, name=IMPORT_NAME), person(phone=NAME, name=PHONE),
             {"name": ID_NUMBER, "phone": ADDRESS, NOTE: PHONE}], idempotency_key="k-3")
        assert (result["created"], len(result["rejected"])) == (1, 2)
        assert not any(value in json.dumps(result, ensure_ascii=False) for value in PII)
        proxy.client_vault.update_client(client_id, {"name": NEW_NAME, "phone": NEW_PHONE, "address": NEW_ADDRESS})
        assert proxy.client_vault.find_by_phone(NEW_PHONE)["client_id"] == client_id
        assert proxy.client_vault.reveal(client_id, ["name"], "client_request") == {"name": NEW_NAME}
        for bad in (lambda: proxy.client_vault.register_client(person(phone=ID_NUMBER, id_number=PHONE)),
                    lambda: proxy.client_vault.get_client(PHONE),
                    lambda: proxy.client_vault.find_by_phone(f"{NAME}{PHONE}"),
                    lambda: proxy.client_vault.add_note(client_id, NOTE, PHONE),
                    lambda: proxy.client_vault.reveal(client_id, [NAME], ADDRESS),
                    lambda: proxy.client_vault.update_client(client_id, {NAME: PHONE, "address": ""}),
                    lambda: proxy.client_vault.register_client(person(), **{NAME: ID_NUMBER})):
            try:
                bad()
            except RemoteError as error:
                answers.append(error.exc_type)
                assert not any(value in error.value for value in PII), error.value
    assert "InternalError" not in answers and len(answers) == 7

    stored = every_value(url)
    assert "vault:v" in stored, "no ciphertext found: the scan would prove nothing"
    leaks = sorted(value for value in PII if value in stored)
    assert not leaks
    logged = _decoded(read_log())
    assert logged.strip(), "the service wrote no log at all: the check would prove nothing"
    leaks = sorted({value for value in PII if value in logged})
    assert not leaks, [line for line in logged.splitlines() if any(value in line for value in leaks)][:5]
