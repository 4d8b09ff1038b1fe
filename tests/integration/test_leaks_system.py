"""Leak scan of a system run: the four services as ``nameko run`` processes (their production
logging), on each database dialect, given known personal data through every path that takes it in
(registration, import, update, notes, ticket texts, satisfaction comments, follow-up notes) and
through bad input; meanwhile a tap queue bound with ``#`` to every exchange of the vhost records all
RabbitMQ traffic (requests, replies, events).

The personal data may appear only in the requests of the methods that bring it in and in the replies
of the methods that disclose it (``reveal``, ``export_client``, ``get_notes``, each audited); never in
another request or reply, an event, a message header, a database table, a log line or ``/metrics``.
(The test's own requests are the caller's business, bad input with PII included: what is checked is
everything the services publish, and the requests they make of each other.)
"""
import json

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from anchang_common.testing.broker import BrokerTap
from tests.fault.stack import SERVICES, ProcessStack, admin_token, scalar, wait_until
from tests.integration.test_staff import PASSWORD, hire_and_activate
from tests.integration.test_staff_logs import _decoded

NAME, NEW_NAME, IMPORT_NAME = "欧阳娜娜", "司马相如", "诸葛孔明"
PHONE, NEW_PHONE, IMPORT_PHONE = "13812345678", "13987654321", "13611112222"
ID_NUMBER = "11010519491231002X"
ADDRESS, NEW_ADDRESS = "上海市浦东新区世纪大道100号3栋", "广州市天河区体育西路55号"
NOTE = "住在隔壁的王先生投诉物业噪音"
DESCRIPTION, RESPONSE, RESOLUTION = "电梯每晚十点后异响扰民", "已联系维保单位上门检查", "更换了曳引机轴承"
COMMENT, FOLLOW_UP, REASON = "师傅态度很好非常满意", "回访时业主表示噪音消失", "业主说异响又出现了"
TEXTS = (NAME, NEW_NAME, IMPORT_NAME, ID_NUMBER, ADDRESS, NEW_ADDRESS, NOTE, DESCRIPTION, RESPONSE, RESOLUTION,
         COMMENT, FOLLOW_UP, REASON)
PII = TEXTS + tuple(form for phone in (PHONE, NEW_PHONE, IMPORT_PHONE) for form in (phone, f"+86{phone}"))
EXCHANGES = ("nameko-rpc", "staff.events", "client_vault.events", "ticket.events", "appraisal.events")
#: the requests that bring personal data in (a ticket's texts go on to client_vault.add_note)
CARRY_IN = {"client_vault.register_client", "client_vault.import_clients", "client_vault.update_client",
            "client_vault.add_note", "client_vault.find_by_phone", "ticket.open_ticket", "ticket.respond",
            "ticket.resolve", "ticket.reopen", "ticket.record_satisfaction", "ticket.complete_follow_up"}
#: the methods whose replies disclose it, each audited
DISCLOSE = {"client_vault.reveal", "client_vault.export_client", "client_vault.get_notes"}


def as_scanned(message):
    """A tapped message as the scan reads it: text, with JSON's escapes of non-ASCII text undone."""
    body = message.body
    try:
        body = json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        pass
    return {"exchange": message.exchange, "routing_key": message.routing_key,
            "correlation_id": message.properties.get("correlation_id"),
            "reply_to": message.properties.get("reply_to"),
            "headers": json.dumps(message.headers, ensure_ascii=False), "body": body}


def every_value(url):
    """Every value of every table of the database, as text (JSON documents also decoded: JSON escapes
    non-ASCII text)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    texts = []
    try:
        with engine.connect() as connection:
            for table in sa.inspect(connection).get_table_names():
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        texts.append(str(value))
                        if isinstance(value, (dict, list)):
                            texts.append(json.dumps(value, ensure_ascii=False))
                        elif isinstance(value, str) and value[:1] in "[{":
                            try:
                                texts.append(json.dumps(json.loads(value), ensure_ascii=False))
                            except ValueError:
                                pass
    finally:
        engine.dispose()
    return "\n".join(texts)


def from_the_test(message):
    """A request the test itself sent (its call id stack holds the standalone proxy's call only)."""
    stack = json.loads(message["headers"]).get("nameko.call_id_stack", [])
    return len(stack) == 1 and stack[0].startswith("standalone_rpc_proxy")


def leaks_in(text):
    return sorted(value for value in PII if value in text)


def profile(phone=PHONE, name=NAME):
    return {"name": name, "phone": phone, "id_number": ID_NUMBER, "address": ADDRESS, "source": "hotline",
            "consent": {"purpose": "service", "granted_at": "2026-02-01T10:00:00Z"}}


def scenario(stack, admin):
    """Everything that takes personal data in, the disclosures, and bad input carrying it."""
    agent_id = hire_and_activate(stack, admin, "leak.agent", ["agent"])
    hire_and_activate(stack, admin, "leak.super", ["supervisor"])
    agent, supervisor = (stack.login(name, PASSWORD)["token"] for name in ("leak.agent", "leak.super"))
    errors = []
    with stack.rpc(supervisor, timeout=60) as rpc:
        client_id = rpc.client_vault.register_client(profile(), idempotency_key="r-1")["client_id"]
        rpc.client_vault.import_clients([profile(IMPORT_PHONE, IMPORT_NAME), profile(NAME, PHONE)])
        rpc.client_vault.update_client(client_id, {"name": NEW_NAME, "phone": NEW_PHONE, "address": NEW_ADDRESS})
        rpc.client_vault.add_note(client_id, "complaint", NOTE)
        assert rpc.client_vault.find_by_phone(NEW_PHONE)["client_id"] == client_id
        rpc.client_vault.get_client(client_id)
        ticket = rpc.ticket.open_ticket({"client_id": client_id, "category": "complaint", "channel": "phone",
                                         "subject": "noise", "description": DESCRIPTION})
        assert ticket["assignee_id"] == agent_id
    with stack.rpc(agent, timeout=60) as rpc:
        rpc.ticket.respond(ticket["ticket_id"], RESPONSE)
        assert rpc.client_vault.reveal(client_id, ["phone"], "ticket_handling") == {"phone": f"+86{NEW_PHONE}"}
        resolved = rpc.ticket.resolve(ticket["ticket_id"], RESOLUTION)
        rpc.ticket.reopen(ticket["ticket_id"], REASON)
        rpc.ticket.resolve(ticket["ticket_id"], RESOLUTION)
        rpc.ticket.record_satisfaction(ticket["ticket_id"], 5, COMMENT)
        rpc.ticket.complete_follow_up(resolved["follow_up"]["follow_up_id"], FOLLOW_UP)
    with stack.rpc(supervisor, timeout=60) as rpc:
        assert rpc.client_vault.export_client(client_id, "client_request")["client_id"] == client_id
        assert NOTE in json.dumps(rpc.client_vault.get_notes(client_id, "complaint_investigation"), ensure_ascii=False)
        rpc.ticket.get_ticket(ticket["ticket_id"])
        for bad in (lambda: rpc.client_vault.register_client({**profile(), "phone": ID_NUMBER, "id_number": PHONE}),
                    lambda: rpc.client_vault.get_client(PHONE),
                    lambda: rpc.client_vault.find_by_phone(f"{NAME}{PHONE}"),
                    lambda: rpc.client_vault.reveal(client_id, [NAME], ADDRESS),
                    lambda: rpc.ticket.open_ticket({"client_id": PHONE, "category": NAME, "channel": "phone",
                                                    "subject": ID_NUMBER, "description": NOTE}),
                    lambda: rpc.ticket.get_ticket(ID_NUMBER),
                    lambda: rpc.staff.get_staff(PHONE),
                    lambda: rpc.appraisal.get_scorecard(NAME, PHONE),
                    lambda: rpc.ticket.list_tickets(**{NAME: ID_NUMBER})):
            try:
                bad()
            except RemoteError as error:
                errors.append(error.exc_type)
    assert len(errors) == 9 and "InternalError" not in errors, errors
    return client_id, ticket["ticket_id"]


@pytest.fixture
def stack(rabbit_config, vault_server, service_tokens, database_url, tmp_path):
    """The four services as processes (not started yet) on this test's vhost and fresh databases."""
    stack = ProcessStack(tmp_path / "logs", rabbit_config["AMQP_URI"], vault_server.addr, service_tokens,
                         {service: database_url(service) for service in SERVICES}).seed()
    yield stack
    stack.stop()


def test_personal_data_only_where_the_contract_lets_it_travel(stack):
    with BrokerTap(stack.amqp_uri, EXCHANGES) as tap:
        stack.start()
        admin = admin_token(stack)
        client_id, ticket_id = scenario(stack, admin)
        urls = stack.database_urls
        wait_until(lambda: scalar(urls["appraisal"], "SELECT count(*) FROM ticket_facts WHERE ticket_id = :id",
                                  id=ticket_id) >= 6, 60, "appraisal handled the ticket's events")
        messages = [as_scanned(m) for m in tap.drain()]

    requests = {m["correlation_id"]: m["routing_key"] for m in messages
                if m["exchange"] == "nameko-rpc" and m["reply_to"]}
    seen = {"requests": set(), "replies": set(), "events": set()}
    problems = []
    for message in messages:
        if message["exchange"] != "nameko-rpc":
            kind, method, allowed = "events", message["routing_key"], False
        elif message["reply_to"]:
            kind, method = "requests", message["routing_key"]
            allowed = method in CARRY_IN or from_the_test(message)
        else:
            kind, method = "replies", requests.get(message["correlation_id"], "?")
            allowed = method in DISCLOSE
        seen[kind].add(method)
        leaked = leaks_in(message["headers"]) + ([] if allowed else leaks_in(message["body"]))
        if leaked:
            problems.append((kind, method, leaked))
    assert not problems, problems
    # the scan saw what it must have: the PII on its way in and out, events of every service
    carried = " ".join(m["body"] for m in messages)
    assert all(value in carried for value in TEXTS), [value for value in TEXTS if value not in carried]
    assert {"client_vault.reveal", "client_vault.export_client"} <= seen["replies"]
    assert {"client_vault.add_note", "ticket.open_ticket"} <= seen["requests"]
    assert {"opened", "resolved", "satisfaction_recorded", "changed", "client_registered"} <= seen["events"]

    for service, url in urls.items():
        stored = every_value(url)
        assert stored.strip() and not leaks_in(stored), (service, leaks_in(stored))
    for name, process in stack.processes.items():
        metrics = process.get("/metrics").text
        assert "anchang_rpc_duration_seconds" in metrics and not leaks_in(metrics), name
    for name, text in stack.logs().items():
        logged = _decoded(text)
        assert logged.strip() and not leaks_in(logged), (
            name, [line for line in logged.splitlines() if leaks_in(line)][:5])
    assert client_id and ticket_id
