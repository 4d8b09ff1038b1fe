"""The published contract against the real services, on the wire: the four services run on this
test's vhost (each dialect), a day of work calls every RPC method, and a queue bound to ``nameko-rpc``
and to every events exchange sees each request, reply and event as it travelled. Each one is checked
against ``docs/asyncapi.yaml`` itself (its message payloads, resolved with their ``$ref``s), the
document is checked with the official AsyncAPI parser, and a running service that serves a method the
document lacks (or lacks one it lists) is found."""
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from jsonschema import Draft202012Validator
from nameko.exceptions import RemoteError
from nameko.rpc import Rpc
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import replace_dependencies
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from anchang_common.contract import load
from anchang_common.entrypoints import rpc
from anchang_common.permissions import SERVICES, PermissionTable, allow
from anchang_common.testing.broker import BrokerTap
from anchang_common.types import utc_today
from appraisal.bootstrap import seed_default_template
from tests.conftest import REPO
from tests.integration.test_staff import PASSWORD, hire, hire_and_activate, settle_in
from ticket.bootstrap import seed as seed_ticket
from ticket.service import Service as TicketService

DOCUMENT_PATH = REPO / "docs" / "asyncapi.yaml"
URN = "urn:anchang:asyncapi"
VALIDATOR = REPO / "deploy" / "contract" / "validator"
RUBRIC = {str(level): f"level {level}" for level in range(1, 6)}
PROFILE = {"name": "张三", "phone": "+86 138-0013-8000", "id_number": "110101199003071233",
           "address": "北京市朝阳区建国路88号", "source": "walk_in",
           "consent": {"purpose": "service", "granted_at": "2026-03-01T08:00:00+08:00"}}


def document():
    return yaml.safe_load(DOCUMENT_PATH.read_text())


class Contract:
    """Checks instances against the schemas of the AsyncAPI document, ``$ref``s resolved inside it."""

    def __init__(self, doc):
        self.doc = doc
        self.registry = Registry().with_resource(URN, Resource.from_contents(doc, default_specification=DRAFT202012))

    def problems(self, pointer, instance):
        """What is wrong with ``instance`` against the schema at ``pointer`` of the document."""
        try:
            self.registry.resolver(URN).lookup(f"#/{pointer}")
        except LookupError:
            return [f"{pointer}: the document has no such schema"]
        validator = Draft202012Validator({"$ref": f"{URN}#/{pointer}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [f"{pointer} at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                for e in validator.iter_errors(instance)]

    def methods(self, service):
        """The methods the document lists for ``service``."""
        return sorted(name.split(".", 1)[1] for name, operation in self.doc["operations"].items()
                      if operation["action"] == "send" and name.startswith(f"{service}."))


#: the RPC exchange (every request and reply) and every service's events exchange
EXCHANGES = ("nameko-rpc", *(f"{s}.events" for s in SERVICES))


def as_checked(message):
    """A tapped message as ``check_wire`` reads it, its JSON body decoded."""
    return {"exchange": message.exchange, "routing_key": message.routing_key, "properties": message.properties,
            "headers": message.headers, "body": message.json()}


def check_wire(contract, messages):
    """``(problems, methods answered with a result, error types seen)`` of the RPC traffic and events.

    A request off the contract must be refused with ``ValidationError``, and one that keeps to it must
    not be: the schemas are neither looser nor stricter than the services."""
    problems, answered, errors, asked, off_contract = [], set(), set(), {}, {}
    for message in messages:
        body, key = message["body"], message["routing_key"]
        if message["exchange"] != "nameko-rpc":
            event_type = body.get("type", "?")
            problems += contract.problems(f"components/messages/{event_type}/payload", body)
            problems += contract.problems("components/schemas/eventHeaders", message["headers"])
            continue
        if "." in key:  # a request: <service>.<method>
            correlation_id = message["properties"].get("correlation_id")
            asked[correlation_id] = key
            wrong = contract.problems(f"components/messages/{key}.request/payload", body)
            if body.get("args"):  # the positional form: bound to the names in order, then checked
                service, method = key.split(".", 1)
                names = load(service)[0][method].argument_names
                wrong += contract.problems(f"components/schemas/{key}.params",
                                           dict(zip(names, body["args"], strict=False)) | body["kwargs"])
            off_contract[correlation_id] = wrong
            problems += contract.problems("components/schemas/rpcRequestHeaders", message["headers"])
            if message["properties"].get("content_type") != "application/json":
                problems.append(f"{key}: content type {message['properties'].get('content_type')}")
            continue
        correlation_id = message["properties"].get("correlation_id")
        method = asked.get(correlation_id)
        if method is None:
            problems.append(f"a reply on {key} to no request seen")
            continue
        problems += contract.problems(f"components/messages/{method}.reply/payload", body)
        refused_as_invalid = (body.get("error") or {}).get("exc_type") == "ValidationError"
        if off_contract[correlation_id] and not refused_as_invalid:
            problems += off_contract[correlation_id]
        if refused_as_invalid and not off_contract[correlation_id]:
            problems.append(f"{method}: a request within the contract refused: {body['error'].get('value')}")
        if body.get("error") is None:
            answered.add(method)
        else:
            errors.add(body["error"].get("exc_type"))
    return problems, answered, errors


class MovableClock:
    """ticket's clock: now, until the test moves it on."""

    instant = None

    def now(self):
        return MovableClock.instant


def login(harness, username, password=PASSWORD):
    with harness.rpc() as proxy:
        return proxy.staff.login(username=username, password=password)["token"]


def refused(call):
    try:
        call()
    except RemoteError as error:
        return error.exc_type
    raise AssertionError("the call was not refused")


def start_everything(harness):
    """client_vault (two reveals an hour, so the anomaly shows), ticket on a movable clock with a quick
    escalation timer, appraisal with its default template; staff runs already."""
    config = harness.config_for("client_vault")
    config["CLIENT_VAULT"] = {"REVEAL_LIMIT_PER_HOUR": 2}
    harness.start("client_vault", config=config)
    config = harness.config_for("ticket")
    config["TICKET"] = {"ESCALATION_SECONDS": 0.2}
    seed_ticket(config["DATABASE_URL"])
    MovableClock.instant = datetime.now(UTC).replace(microsecond=0)
    container = harness.container_factory(TicketService, config)
    replace_dependencies(container, clock=MovableClock())
    container.start()
    appraisal = harness.start("appraisal")
    seed_default_template(appraisal.config["DATABASE_URL"])
    return container


def staff_day(harness, admin):
    """Recruitment, onboarding, accounts: every staff method. Returns tokens and ids."""
    agent = hire_and_activate(harness, admin, "wang.agent", ["agent"], ["inquiry", "complaint", "after_sales"])
    boss = hire_and_activate(harness, admin, "li.super", ["supervisor"])
    temp = hire(harness, admin, "zhao.temp", ["agent"])
    settle_in(harness, "zhao.temp")
    tokens = {"agent": login(harness, "wang.agent"), "boss": login(harness, "li.super"), "admin": admin}
    today = utc_today()
    with harness.rpc(admin) as proxy:
        staff = proxy.staff
        assert staff.create_position(position={
            "code": "CS-Senior", "title": "Senior agent",
            "requirements": {"min_age": 18, "max_age": 60, "min_education": "college", "certificates": ["cs-senior"]},
            "scorecard": {"criteria": [{"key": "overall", "label": "Overall", "weight": 100, "max_score": 10}],
                          "pass_score": 60, "min_assessors": 1}}, idempotency_key="senior-1")["code"] == "CS-Senior"
        assert staff.get_position(code="cs-senior")["requirements"]["certificates"] == ["cs-senior"]
        applied = staff.apply(position_code="service-agent", candidate={
            "name": "李四", "birth_date": "1950-01-01", "education": "junior_high"})
        assert applied["eligible"] is False
        assert staff.decide(candidate_id=applied["candidate_id"])["decision"] == "fail"
        staff.add_certificate(staff_id=agent, certificate={"code": "cs-senior", "name": "Senior service",
                                                           "issued_on": "2024-01-01"})
        staff.add_certificate(staff_id=agent, certificate={
            "code": "first-aid", "name": "First aid", "issued_on": "2024-01-01",
            "expires_on": (today + timedelta(days=10)).isoformat()})
        assert staff.scan_certificates(today=today.isoformat())["notified"] == 1
        assert staff.scan_security_acknowledgments(today=(today + timedelta(days=400)).isoformat())["notified"] >= 3
        assert staff.get_staff(staff_id=agent)["username"] == "wang.agent"
        assert {m["username"] for m in staff.list_staff(status="active", role="agent")} == {"wang.agent"}
        assert [a["staff_id"] for a in staff.available_agents(category="complaint")] == [agent]
        staff.set_roles(staff_id=temp, roles=["agent", "supervisor"])
        staff.set_status(staff_id=temp, status="suspended")
        assert len(staff.reset_password(staff_id=temp)["one_time_password"]) == 16
    with harness.rpc(login(harness, "li.super")) as proxy:
        assert proxy.staff.logout() == {"logged_out": True}
    tokens["boss"] = login(harness, "li.super")
    return tokens, {"agent": agent, "boss": boss, "temp": temp}


def client_vault_day(harness, tokens, ids):
    with harness.rpc(tokens["agent"]) as proxy:
        cv = proxy.client_vault
        client_id = cv.register_client(profile=PROFILE, idempotency_key="zhang-1")["client_id"]
        assert cv.find_by_phone(phone="13800138000")["client_id"] == client_id
        assert cv.get_client(client_id=client_id)["phone"] == "138****8000"
        cv.update_client(client_id=client_id, changes={"address": "上海市浦东新区世纪大道1号"})
        cv.add_note(client_id=client_id, kind="feedback", text="希望周末也能看房")
        other = cv.register_client(PROFILE | {"phone": "13900139000", "name": "王五"})["client_id"]
        third = cv.register_client(PROFILE | {"phone": "13700137000", "name": "赵六", "id_number": None})["client_id"]
    with harness.rpc(tokens["boss"]) as proxy:
        cv = proxy.client_vault
        assert cv.reveal(client_id=client_id, fields=["name", "phone"], purpose="client_request")["name"] == "张三"
        assert [n["kind"] for n in cv.get_notes(client_id=client_id, purpose="client_request")] == ["feedback"]
        assert cv.export_client(client_id=client_id, purpose="client_request")["notes"][0]["kind"] == "feedback"
        assert cv.reveal(client_id=other, fields=["address"], purpose="follow_up")["address"]
        # the hourly limit is 2 here: a third client is refused, audited and announced
        assert refused(lambda: cv.reveal(client_id=third, fields=["name"], purpose="follow_up")) == "Forbidden"
        imported = cv.import_clients(rows=[PROFILE | {"phone": f"1361234{n:04d}"} for n in range(3)]
                                     + [PROFILE | {"phone": "12345"}])
        assert (imported["created"], len(imported["rejected"])) == (3, 1)
    with harness.rpc(tokens["admin"]) as proxy:
        cv = proxy.client_vault
        assert cv.rotate_key()["key_version"] >= 2
        assert cv.rewrap(batch_size=100)["rewrapped"] >= 1
        assert cv.rewrap(batch_size=None)["rewrapped"] == 0  # an optional argument sent as null
        assert cv.erase_client(client_id=third, reason="client_request")["erased"] is True
        assert cv.audit_log(client_id=client_id, since="2020-01-01T00:00:00+00:00")
        assert cv.verify_audit_log()["valid"] is True
    return client_id


def ticket_day(harness, tokens, ids, client_id, ticket_container):
    with harness.rpc(tokens["boss"]) as proxy:
        t = proxy.ticket
        t.set_calendar(calendar={"code": "round-the-clock", "timezone": "UTC",
                                 "hours": {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri",
                                                                               "sat", "sun")}})
        assert t.get_calendar(code="round-the-clock")["timezone"] == "UTC"
        t.set_sla_policy(policy={"category": "repair", "priority": "urgent", "first_response_minutes": 15,
                                 "resolution_minutes": 60, "calendar": "round-the-clock"})
        assert len(t.list_sla_policies()) == 16
    with harness.rpc(tokens["agent"]) as proxy:
        t = proxy.ticket
        ticket = t.open_ticket(ticket={"client_id": client_id, "category": "complaint", "priority": "high",
                                       "channel": "hotline", "subject": "Viewing appointment missed",
                                       "description": "约好的看房没人接待"}, idempotency_key="complaint-1")
        ticket_id = ticket["ticket_id"]
        assert ticket["assignee_id"] == ids["agent"]
        # the agent holds an open ticket of the client: client_vault asks ticket.has_open_assignment
        assert t.get_ticket(ticket_id=ticket_id)["state"] == "open"
        assert proxy.client_vault.reveal(client_id=client_id, fields=["phone"], purpose="ticket_handling")
        t.respond(ticket_id=ticket_id, message="已联系客户，重新安排")
        t.wait_for_customer(ticket_id=ticket_id)
        t.resume(ticket_id=ticket_id)
        resolved = t.resolve(ticket_id=ticket_id, resolution="已道歉并重新安排看房")
        assert resolved["follow_up"]["ticket_id"] == ticket_id
        t.record_satisfaction(ticket_id=ticket_id, score=4, comment="处理及时")
        t.complete_follow_up(follow_up_id=resolved["follow_up"]["follow_up_id"], notes="回访客户满意")
        assert t.reopen(ticket_id=ticket_id, reason="客户又来电")["reopened_as_new_ticket"] is False
        past = (MovableClock.instant - timedelta(hours=1)).isoformat()
        t.schedule_follow_up(ticket_id=ticket_id, due_at=past)
    with harness.rpc(tokens["boss"]) as proxy:
        t = proxy.ticket
        t.assign(ticket_id=ticket_id, staff_id=ids["agent"])
        t.resolve(ticket_id=ticket_id, resolution="已解决")
        t.close(ticket_id=ticket_id)
        # nobody has the repair skill: the urgent repair opens unassigned, at risk at once
        repair = t.open_ticket(ticket={"client_id": client_id, "category": "repair", "priority": "urgent",
                                       "channel": "wechat", "subject": "Leaking tap", "description": "厨房漏水"})
        assert repair["assignee_id"] is None
        assert {x["ticket_id"] for x in t.list_tickets(filters={"client_id": client_id, "limit": 10})} == {
            ticket_id, repair["ticket_id"]}
        MovableClock.instant += timedelta(days=2)  # past both deadlines of the repair
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not t.get_ticket(ticket_id=repair["ticket_id"])["breaches"]:
            time.sleep(0.2)
        since = (MovableClock.instant - timedelta(days=3)).isoformat()
        report = t.sla_report(since=since, until=MovableClock.instant.isoformat(), group_by="category")
        assert {g["group"] for g in report["groups"]} == {"complaint", "repair"}


def appraisal_day(harness, tokens, ids):
    today = utc_today()
    with harness.rpc(tokens["admin"]) as proxy:
        a = proxy.appraisal
        a.create_template(template={
            "code": "Ladder", "label": "One rating", "grades": {"A": 90, "B": 75, "C": 60},
            "self_assessment_weight": 20, "promotion_ladder": {"service-agent": "cs-senior"},
            "dimensions": [{"key": "overall", "label": "Overall", "weight": 100, "kpis": [
                {"key": "work", "label": "Work", "source": "rating", "weight": 60, "rubric": RUBRIC},
                {"key": "certified", "source": "metric:certificates_held", "weight": 40, "target": 1,
                 "rule": "threshold"}]}]}, idempotency_key="ladder-1")
        assert a.get_template(code="ladder")["code"] == "Ladder"
        assert {t["code"] for t in a.list_templates()} >= {"default", "Ladder"}
    for code, start, end in (("Q-1", today - timedelta(days=60), today - timedelta(days=31)),
                             ("Q-2", today - timedelta(days=30), today + timedelta(days=3))):
        with harness.rpc(tokens["boss"]) as proxy:
            a = proxy.appraisal
            a.open_cycle(cycle={"code": code, "period_start": start.isoformat(), "period_end": end.isoformat(),
                                "template_code": "ladder"})
            assert ids["agent"] in a.get_cycle(cycle_code=code)["staff_ids"]
            a.submit_rating(cycle_code=code, staff_id=ids["agent"], ratings={"work": 5}, comment="steady")
        with harness.rpc(tokens["agent"]) as proxy:
            proxy.appraisal.submit_rating(cycle_code=code, staff_id=ids["agent"], ratings={"work": 5})
            assert proxy.appraisal.get_scorecard(cycle_code=code, staff_id=ids["agent"])["finalized"] is False
        with harness.rpc(tokens["boss"]) as proxy:
            assert proxy.appraisal.calibration(cycle_code=code)["supervisors"]
            finalized = proxy.appraisal.finalize_cycle(cycle_code=code)
    assert finalized["promotions_recommended"] == [ids["agent"]]


def mistakes(harness, tokens, ids):
    """A few error replies, so that their shape is checked too."""
    with harness.rpc(tokens["agent"]) as proxy:
        assert refused(lambda: proxy.staff.get_staff(staff_id="")) == "ValidationError"
        assert refused(lambda: proxy.ticket.get_ticket(ticket_id="no-such-ticket")) == "NotFound"
        assert refused(lambda: proxy.staff.revoke_all_tokens()) == "Forbidden"
    with harness.rpc() as proxy:
        assert refused(lambda: proxy.staff.login("wang.agent", "wrong-password-1")) == "Unauthenticated"


def test_every_request_reply_and_event_of_a_day_matches_the_published_contract(harness, staff, admin, dialect):
    contract = Contract(document())
    with BrokerTap(harness.amqp_uri, EXCHANGES) as tap:
        ticket_container = start_everything(harness)
        tokens, ids = staff_day(harness, admin)
        client_id = client_vault_day(harness, tokens, ids)
        ticket_day(harness, tokens, ids, client_id, ticket_container)
        appraisal_day(harness, tokens, ids)
        mistakes(harness, tokens, ids)
        with harness.rpc(tokens["admin"]) as proxy:
            assert proxy.staff.revoke_all_tokens()["revoked"] >= 4
        messages = [as_checked(m) for m in tap.drain(quiet=3, deadline=60)]
    problems, answered, errors = check_wire(contract, messages)
    assert problems == []
    every_method = {f"{s}.{m}" for s in SERVICES for m in load(s)[0]}
    assert every_method - answered == set()
    every_event = {t for s in SERVICES for t in load(s)[1]}
    assert every_event - {m["body"]["type"] for m in messages if m["exchange"] != "nameko-rpc"} == set()
    assert {"ValidationError", "NotFound", "Forbidden", "Unauthenticated"} <= errors


def test_a_reply_or_event_off_the_contract_is_found():
    """The wire check can fail: a reply missing a field, an event with an extra one, a request with an
    unknown argument."""
    contract = Contract(document())
    request = {"exchange": "nameko-rpc", "routing_key": "staff.get_staff", "headers": {},
               "properties": {"correlation_id": "c1", "content_type": "application/json"},
               "body": {"args": [], "kwargs": {"staff_id": "s1", "extra": 1}}}
    reply = {"exchange": "nameko-rpc", "routing_key": "3f1e", "headers": {}, "properties": {"correlation_id": "c1"},
             "body": {"result": {"staff_id": "s1"}, "error": None}}
    event = {"exchange": "staff.events", "routing_key": "activated", "headers": {}, "properties": {},
             "body": {"event_id": "0" * 32, "type": "staff.activated", "occurred_at": "2026-03-01T08:00:00+00:00",
                      "version": 1, "data": {"staff_id": "s1", "name": "张三"}}}
    problems, answered, _ = check_wire(contract, [request, reply, event])
    assert any("staff.get_staff.request/payload" in p for p in problems)
    assert any("staff.get_staff.reply/payload" in p for p in problems)
    assert any("staff.activated/payload" in p for p in problems)
    assert answered == {"staff.get_staff"}


def served(container):
    return sorted(e.method_name for e in container.entrypoints if isinstance(e, Rpc))


def disagreements(contract, service, container):
    """``(served but not in the document, in the document but not served)``."""
    running, documented = served(container), contract.methods(service)
    return sorted(set(running) - set(documented)), sorted(set(documented) - set(running))


def test_each_running_service_serves_exactly_the_methods_the_document_lists(harness, staff, dialect):
    """Asked over the broker with no arguments and no token, every method the document lists answers
    (a ``ValidationError`` or an authentication refusal, never nameko's ``MethodNotFound``), and the
    methods each running container serves are the document's."""
    contract = Contract(document())
    containers = {"staff": staff.container}
    for service in ("client_vault", "ticket", "appraisal"):
        containers[service] = harness.start(service).container
    with ClusterRpcProxy({"AMQP_URI": harness.amqp_uri}, timeout=20) as proxy:
        for service, container in containers.items():
            assert disagreements(contract, service, container) == ([], [])
            for method in contract.methods(service):
                outcome = refused(lambda: getattr(getattr(proxy, service), method)())  # noqa: B023
                assert outcome in ("ValidationError", "Unauthenticated", "Forbidden"), (service, method, outcome)


def test_a_running_service_with_a_method_the_document_lacks_disagrees(harness, staff):
    """The check above can fail: a staff service that serves one method more than the document."""
    from staff.permissions import PERMISSIONS
    from staff.service import Service

    class Extended(Service):
        permissions = PermissionTable({**PERMISSIONS, "fire": allow("admin")})

        @rpc
        def fire(self, staff_id):
            return None

    contract = Contract(document())
    extended = harness.container_factory(Extended, harness.config_for("staff"))
    assert disagreements(contract, "staff", extended) == (["fire"], [])
    assert disagreements(Contract(document() | {"operations": {
        k: v for k, v in document()["operations"].items() if k != "staff.login"}}), "staff", staff.container) == (
        ["login"], [])


def test_the_document_is_valid_asyncapi_3_for_the_official_parser():
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("deploy/contract/validator has no node_modules: run `make node-deps` (make test does)")
    done = subprocess.run(["node", "validate.mjs", str(DOCUMENT_PATH)], cwd=VALIDATOR, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    methods = sum(len(load(s)[0]) for s in SERVICES)
    events = sum(len(load(s)[1]) for s in SERVICES)
    assert summary == {"valid": True, "version": "3.0.0", "channels": methods + events + 1,
                       "operations": methods + events, "messages": 2 * methods + events}
    assert "warning" not in done.stdout


def test_an_invalid_document_is_refused_by_the_parser(tmp_path):
    broken = document()
    broken["operations"]["staff.login"]["action"] = "publish"  # AsyncAPI 2's word, not 3's
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(broken))
    done = subprocess.run(["node", "validate.mjs", str(path)], cwd=VALIDATOR, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and '"severity":"error"' in done.stdout
