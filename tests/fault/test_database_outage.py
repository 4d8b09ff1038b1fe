"""PostgreSQL stopped under the four services (processes) and started again: meanwhile every call that
needs a database is ``DependencyUnavailable`` (never an internal error, never a hang), every
``/health/ready`` says not ready, and nothing is half-written; afterwards the same processes answer
again by themselves, and the outbox delivers what was committed before the outage.

The server is a cluster of the test's own (``initdb``/``pg_ctl``, its own port and data); the
machine's PostgreSQL is shared and never touched. "Committed before, not yet published" is the state a
worker leaves when its process dies between its commit and its publish: written here through the
real outbox (``EventBuffer``) just before the database stops, so that only the relay can deliver it,
and only once the database is back.
"""
import uuid

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.events import EventBuffer
from anchang_common.migrations import upgrade
from anchang_common.testing.databases import create_database
from tests.fault.stack import (
    SERVICES,
    ProcessStack,
    admin_token,
    agents,
    new_ticket,
    register_clients,
    rows,
    scalar,
    wait_until,
)


@pytest.fixture
def stack(postgres_cluster, rabbit_config, vault_server, service_tokens, tmp_path):
    urls = {}
    for service in SERVICES:
        urls[service] = create_database(postgres_cluster.url(), f"{service}_{uuid.uuid4().hex[:6]}")
        upgrade(service, urls[service])
    stack = ProcessStack(tmp_path / "logs", rabbit_config["AMQP_URI"], vault_server.addr, service_tokens,
                         urls).seed().start()
    yield stack
    stack.stop()


def committed_unpublished_ticket_event(url, ticket_id, staff_id):
    """``ticket.closed`` in ticket's outbox, committed, never published (its worker died)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return EventBuffer("ticket", session, queue=lambda envelope: None).dispatch("ticket.closed", {
                "ticket_id": ticket_id, "category": "inquiry", "priority": "normal", "assignee_id": staff_id,
                "staff_id": staff_id})
    finally:
        engine.dispose()


def refusal(call):
    try:
        call()
    except RemoteError as error:
        return error.exc_type
    return "answered"


def test_postgres_stopped_then_started(stack, postgres_cluster):
    admin = admin_token(stack)
    agent_ids = agents(stack, admin, count=1)
    (client_id,) = register_clients(stack, admin, 1)
    with stack.rpc(admin) as rpc:
        ticket = rpc.ticket.open_ticket(new_ticket(client_id, 0))
    urls = stack.database_urls
    wait_until(lambda: scalar(urls["appraisal"], "SELECT count(*) FROM ticket_facts") == 2, 30,
               "the first ticket's events handled")
    pids = {name: process.pid for name, process in stack.processes.items()}
    envelope = committed_unpublished_ticket_event(urls["ticket"], ticket["ticket_id"], agent_ids[0])

    postgres_cluster.stop()
    try:
        with stack.rpc(admin, timeout=30) as rpc:
            calls = {
                "staff": lambda: rpc.staff.get_staff(agent_ids[0]),
                "client_vault": lambda: rpc.client_vault.get_client(client_id),
                "ticket": lambda: rpc.ticket.get_ticket(ticket["ticket_id"]),
                "appraisal": lambda: rpc.appraisal.list_templates(),
                "ticket.open_ticket": lambda: rpc.ticket.open_ticket(new_ticket(client_id, 1), idempotency_key="k1"),
                "client_vault.register_client": lambda: rpc.client_vault.register_client(
                    {"name": "王五", "phone": "13912345678", "source": "walk_in",
                     "consent": {"purpose": "service", "granted_at": "2026-01-05T09:00:00+08:00"}}),
            }
            outcomes = {name: refusal(call) for name, call in calls.items()}
        assert outcomes == dict.fromkeys(calls, "DependencyUnavailable"), outcomes
        for name, process in stack.processes.items():
            status, checks = process.ready()
            assert (status, checks.get("database")) == (503, "unavailable"), (name, status, checks)
    finally:
        postgres_cluster.start()

    # recovery by themselves: the same processes, ready, answering
    for name, process in stack.processes.items():
        wait_until(lambda process=process: process.ready()[0] == 200, 60, f"{name} ready again")
    assert {name: process.pid for name, process in stack.processes.items()} == pids
    with stack.rpc(admin) as rpc:
        assert rpc.ticket.get_ticket(ticket["ticket_id"])["ticket_id"] == ticket["ticket_id"]
        assert rpc.appraisal.list_templates()
        retried = rpc.ticket.open_ticket(new_ticket(client_id, 1), idempotency_key="k1")
    # nothing of the refused calls was written: one ticket before, the retried one now; no client
    assert scalar(urls["ticket"], "SELECT count(*) FROM tickets") == 2
    assert scalar(urls["client_vault"], "SELECT count(*) FROM clients") == 1
    # the ticket's own notes only: the first description, the retried one (no note of a failed call)
    assert scalar(urls["client_vault"], "SELECT count(*) FROM notes") == 2
    assert retried["ticket_id"] != ticket["ticket_id"]

    # the outbox delivers what was committed before the outage: handled once, by appraisal and staff
    wait_until(lambda: scalar(urls["ticket"], "SELECT count(*) FROM outbox") == 0, 60, "the outbox relayed")
    wait_until(lambda: rows(urls["appraisal"], "SELECT event_id FROM ticket_facts WHERE kind = 'closed'")
               == [(envelope["event_id"],)], 60, "appraisal handled the relayed event")
    wait_until(lambda: scalar(urls["staff"], "SELECT count(*) FROM processed_events WHERE event_id = :id",
                              id=envelope["event_id"]) == 1, 60, "staff handled the relayed event")
    assert scalar(urls["staff"], "SELECT count(*) FROM open_assignments WHERE ticket_id = :id",
                  id=ticket["ticket_id"]) == 0  # the closing released the agent's ticket
