"""The ticket contract end to end over the real broker, Vault, staff and each database dialect.

The fixtures here are shared by the other ``test_ticket*`` modules: a stand-in ``client_vault`` on the
real broker (until the real one is in main), the ticket service with its seeded calendars and
policies, a spy queue that sees every RPC message and every ticket event on the test's vhost, and a
dump of ticket's tables."""
import pytest
import sqlalchemy as sa
from nameko.rpc import rpc

from anchang_common.testing.broker import BrokerTap
from ticket.bootstrap import seed

#: every (client_id, kind, text) the stand-in client_vault received
NOTES = []


class ClientVaultStandIn:
    """``client_vault.add_note`` as the contract says: ``(client_id, kind, text) -> {note_id}``; it
    records the texts so a test can look for them everywhere else."""

    name = "client_vault"

    @rpc
    def add_note(self, client_id, kind, text):
        NOTES.append((client_id, kind, text))
        return {"note_id": f"note-{len(NOTES)}"}


@pytest.fixture
def client_vault(harness):
    NOTES.clear()
    return harness.start("client_vault", ClientVaultStandIn, harness.config_for("client_vault"))


@pytest.fixture
def ticket(harness):
    service = harness.start("ticket")
    seed(service.config["DATABASE_URL"])
    return service


#: what the spy is bound to: every request and reply, and every ticket event
SPIED_EXCHANGES = ("nameko-rpc", "ticket.events")


def ticket_events(messages, event_type=None):
    """The ticket events among tapped ``messages``, decoded; only those of ``event_type`` if given."""
    found = [m.json() for m in messages if m.exchange == "ticket.events"]
    return [e for e in found if event_type is None or e["type"] == event_type]


@pytest.fixture
def spy(harness, ticket, client_vault):
    with BrokerTap(harness.amqp_uri, SPIED_EXCHANGES) as spy:
        yield spy


def table_dump(url):
    """Every value of every table of the database at ``url``, as text."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: [" ".join(map(str, row)) for row in connection.execute(sa.select(table))]
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


# --- the tests ---------------------------------------------------------------------------------
from nameko.exceptions import RemoteError  # noqa: E402

from tests.integration.test_staff import PASSWORD, hire_and_activate  # noqa: E402

DESCRIPTION = "漏水-描述 客户说厨房水管漏水 PII-DESC-7731"
MESSAGE = "回复-师傅明天上门 PII-RESP-7732"
RESOLUTION = "已更换水管 PII-RES-7733"
FOLLOW_UP_NOTES = "回访-客户满意 PII-FU-7734"
COMMENT = "服务很好 PII-SURVEY-7735"
TEXTS = (DESCRIPTION, MESSAGE, RESOLUTION, FOLLOW_UP_NOTES, COMMENT)
#: the requests that bring a text in: to ticket from the caller, and from ticket to client_vault
TEXT_CARRIERS = ("ticket.open_ticket", "ticket.respond", "ticket.resolve", "ticket.complete_follow_up",
                 "ticket.record_satisfaction", "client_vault.add_note")


def refused(call, exc_type):
    with pytest.raises(RemoteError) as raised:
        call()
    assert raised.value.exc_type == exc_type, raised.value.value
    return raised.value.value


def login(harness, username):
    with harness.rpc() as rpc:
        return rpc.staff.login(username, PASSWORD)["token"]


NEW_TICKET = {"client_id": "client-42", "category": "after_sales", "priority": "high", "channel": "phone",
              "subject": "Kitchen pipe", "description": DESCRIPTION}


def test_open_assign_respond_wait_resume_resolve_follow_up_satisfaction(harness, admin, ticket, client_vault, spy,
                                                                        dialect):
    agent_id = hire_and_activate(harness, admin, "wang.agent", ["agent"], ["after_sales"])
    hire_and_activate(harness, admin, "li.super", ["supervisor"], code="team-lead")
    agent, supervisor = login(harness, "wang.agent"), login(harness, "li.super")

    with harness.rpc(agent) as rpc:
        opened = rpc.ticket.open_ticket(NEW_TICKET, idempotency_key="visit-1")
        assert opened["state"] == "open" and opened["assignee_id"] == agent_id
        assert opened["note_id"] == "note-1" and opened["first_response_due_at"] and opened["resolution_due_at"]
        again = rpc.ticket.open_ticket(NEW_TICKET, idempotency_key="visit-1")  # a retry: the first result
        assert again == opened and len(NOTES) == 1
        assert len(rpc.ticket.list_tickets({"client_id": "client-42"})) == 1
        ticket_id = opened["ticket_id"]

        responded = rpc.ticket.respond(ticket_id, MESSAGE)
        assert responded["state"] == "in_progress" and responded["first_responded_at"]
        waiting = rpc.ticket.wait_for_customer(ticket_id)
        assert waiting["state"] == "waiting_customer" and waiting["resolution_due_at"] is None
        resumed = rpc.ticket.resume(ticket_id)
        assert resumed["state"] == "in_progress" and resumed["resolution_due_at"] >= opened["resolution_due_at"]
        resolved = rpc.ticket.resolve(ticket_id, RESOLUTION)
        assert resolved["state"] == "resolved" and resolved["follow_up"]["ticket_id"] == ticket_id
        follow_up = rpc.ticket.complete_follow_up(resolved["follow_up"]["follow_up_id"], FOLLOW_UP_NOTES)
        assert follow_up["completed_at"] and follow_up["note_id"]
        assert rpc.ticket.record_satisfaction(ticket_id, 5, COMMENT)["score"] == 5
        assert "satisfaction" in refused(lambda: rpc.ticket.record_satisfaction(ticket_id, 4), "Conflict")
        closed = rpc.ticket.close(ticket_id)
        assert closed["state"] == "closed"
        message = refused(lambda: rpc.ticket.wait_for_customer(ticket_id), "Conflict")
        assert "closed" in message and "waiting_customer" in message
    with harness.rpc(supervisor) as rpc:
        report = rpc.ticket.sla_report("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "agent")
    assert [(g["group"], g["tickets"], g["mean_satisfaction"]) for g in report["groups"]] == [(agent_id, 1, 5.0)]
    assert report["groups"][0]["first_response"]["compliance_percent"] == 100.0

    assert [(kind, text) for _, kind, text in NOTES] == [
        ("ticket", DESCRIPTION), ("ticket", MESSAGE), ("ticket", RESOLUTION), ("follow_up", FOLLOW_UP_NOTES),
        ("survey", COMMENT)]
    # the texts are in no table of ticket ...
    for table, rows in table_dump(ticket.config["DATABASE_URL"]).items():
        for row in rows:
            assert not any(text in row or text.split()[-1] in row for text in TEXTS), table
    # ... and in no message on the broker but the requests that bring them in
    messages = spy.drain()
    carriers = {m.routing_key for m in messages if any(t.split()[-1] in m.body for t in TEXTS)}
    assert carriers and carriers <= set(TEXT_CARRIERS), carriers
    events = {e["type"]: e["data"] for e in ticket_events(messages)}
    assert set(events) >= {"ticket.opened", "ticket.assigned", "ticket.first_responded", "ticket.resolved",
                           "ticket.satisfaction_recorded", "ticket.closed"}
    assert events["ticket.opened"] == {"ticket_id": ticket_id, "category": "after_sales", "priority": "high",
                                       "assignee_id": agent_id, "client_id": "client-42", "channel": "phone"}
    assert events["ticket.assigned"]["assigned_by"] == "auto"
    assert events["ticket.first_responded"]["within_sla"] in (True, False)
    assert isinstance(events["ticket.resolved"]["business_seconds"], int)
    assert events["ticket.satisfaction_recorded"] == {"ticket_id": ticket_id, "category": "after_sales",
                                                      "priority": "high", "assignee_id": agent_id,
                                                      "staff_id": agent_id, "score": 5}


def test_another_agent_may_not_act_and_invalid_transitions_name_both_states(harness, admin, ticket, client_vault):
    hire_and_activate(harness, admin, "wang.agent", ["agent"], ["repair"])
    hire_and_activate(harness, admin, "zhao.other", ["agent"], ["inquiry"], code="other-agent")
    agent, other = login(harness, "wang.agent"), login(harness, "zhao.other")
    with harness.rpc(other) as rpc:
        opened = rpc.ticket.open_ticket(dict(NEW_TICKET, category="repair"))
        refused(lambda: rpc.ticket.respond(opened["ticket_id"], MESSAGE), "Forbidden")
    with harness.rpc(agent) as rpc:
        message = refused(lambda: rpc.ticket.resolve(opened["ticket_id"], RESOLUTION), "Conflict")
        assert "open" in message and "resolved" in message
        message = refused(lambda: rpc.ticket.resume(opened["ticket_id"]), "Conflict")
        assert "from open to in_progress" in message
        bad = refused(lambda: rpc.ticket.open_ticket({"category": "gossip", "description": DESCRIPTION}),
                      "ValidationError")
        assert "ticket.category" in bad and "ticket.client_id" in bad and DESCRIPTION not in bad


def test_client_vault_down_is_dependency_unavailable_and_writes_no_ticket(harness, admin, ticket):
    with harness.rpc(admin) as rpc:
        refused(lambda: rpc.ticket.open_ticket(NEW_TICKET), "DependencyUnavailable")
    assert table_dump(ticket.config["DATABASE_URL"])["tickets"] == []
