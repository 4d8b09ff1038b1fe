"""Vault stopped under the four services (processes; every one uses Vault: token keys, service
identities, staff's signatures, client_vault's encryption) and started again: what needs Vault is
``DependencyUnavailable`` meanwhile and writes nothing, every ``/health/ready`` says not ready, what
does not need it carries on (tokens are verified with the keys read at start), and the same
processes recover by themselves.

The Vault is a file-backed OpenBao of the test's own (keys survive its restart, as with ``make run``)."""
import pytest
from nameko.exceptions import RemoteError

from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision
from tests.fault.stack import (
    SERVICES,
    admin_token,
    agents,
    client_profile,
    new_ticket,
    register_clients,
    scalar,
    wait_until,
)
from tests.integration.accounts import ADMIN_PASSWORD


@pytest.fixture
def own_vault(tmp_path):
    server = BaoServer(tmp_path / "vault", free_port())
    server.start()
    root = server.client()
    provision(root)
    yield server, {service: issue_service_token(root, service) for service in SERVICES}
    server.stop()


def outcome(call):
    try:
        call()
    except RemoteError as error:
        return error.exc_type
    return "answered"


def test_vault_stopped_then_started(make_stack, rabbit_config, own_vault):
    server, tokens = own_vault
    stack = make_stack(rabbit_config["AMQP_URI"], vault_addr=server.addr, vault_tokens=tokens).start()
    admin = admin_token(stack)
    agent_ids = agents(stack, admin, count=1)
    (client_id,) = register_clients(stack, admin, 1)
    with stack.rpc(admin) as rpc:
        ticket = rpc.ticket.open_ticket(new_ticket(client_id, 0))
    urls = stack.database_urls
    pids = {name: process.pid for name, process in stack.processes.items()}
    counts = {"clients": scalar(urls["client_vault"], "SELECT count(*) FROM clients"),
              "notes": scalar(urls["client_vault"], "SELECT count(*) FROM notes"),
              "tickets": scalar(urls["ticket"], "SELECT count(*) FROM tickets")}

    server.stop()
    try:
        with stack.rpc(admin) as rpc:
            needing_vault = {
                "staff.login": lambda: rpc.staff.login("admin", ADMIN_PASSWORD),
                "client_vault.register_client": lambda: rpc.client_vault.register_client(client_profile(7)),
                "client_vault.add_note": lambda: rpc.client_vault.add_note(client_id, "feedback", "说明"),
                "ticket.open_ticket": lambda: rpc.ticket.open_ticket(new_ticket(client_id, 1), idempotency_key="v1"),
            }
            not_needing_vault = {
                "staff.get_staff": lambda: rpc.staff.get_staff(agent_ids[0]),
                "client_vault.get_client": lambda: rpc.client_vault.get_client(client_id),
                "ticket.get_ticket": lambda: rpc.ticket.get_ticket(ticket["ticket_id"]),
                "appraisal.list_templates": lambda: rpc.appraisal.list_templates(),
            }
            assert {name: outcome(call) for name, call in needing_vault.items()} == dict.fromkeys(
                needing_vault, "DependencyUnavailable")
            assert {name: outcome(call) for name, call in not_needing_vault.items()} == dict.fromkeys(
                not_needing_vault, "answered")
        for name, process in stack.processes.items():
            status, checks = process.ready()
            assert (status, checks.get("vault")) == (503, "unavailable"), (name, status, checks)
        assert {"clients": scalar(urls["client_vault"], "SELECT count(*) FROM clients"),
                "notes": scalar(urls["client_vault"], "SELECT count(*) FROM notes"),
                "tickets": scalar(urls["ticket"], "SELECT count(*) FROM tickets")} == counts  # nothing written
    finally:
        server.start()  # unseals itself from its init file

    for name, process in stack.processes.items():
        wait_until(lambda process=process: process.ready()[0] == 200, 60, f"{name} ready again")
    assert {name: process.pid for name, process in stack.processes.items()} == pids
    assert admin_token(stack)
    with stack.rpc(admin) as rpc:
        assert rpc.client_vault.register_client(client_profile(7))["existing"] is False
        assert rpc.ticket.open_ticket(new_ticket(client_id, 1), idempotency_key="v1")["client_id"] == client_id
    assert scalar(urls["ticket"], "SELECT count(*) FROM tickets") == counts["tickets"] + 1
