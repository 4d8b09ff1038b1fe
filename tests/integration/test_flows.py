"""The four real services talking to each other over the real broker, Vault and each database dialect:
no stand-in plays another service here (the services' own tests use them).

- ticket and client_vault: a ticket's texts become client_vault notes; whether an agent may see a
  client's phone is what the real ``ticket.has_open_assignment`` answers; ``ticket`` stopped, the
  reveal is ``DependencyUnavailable``, never allowed.
- ticket and appraisal: tickets handled and rated through ``ticket`` move the agent's scorecard; a
  promotion is recommended for the agent holding the next position's certificate only.
- ticket without staff: the ticket still opens, unassigned and at risk.
"""
import time
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_waiter

from anchang_common.types import utc_today
from tests.integration.flows_support import (
    COMMENT,
    DESCRIPTION,
    E164,
    MESSAGE,
    RESOLUTION,
    TEXTS,
    AppraisalListener,
    error_of,
    heard,
    member,
    new_ticket,
    profile,
    refused,
    start_appraisal,
    start_client_vault,
    start_ticket,
)
from tests.integration.test_ticket import table_dump

SCORECARD_TIMEOUT = 30
RUBRIC = {"1": "poor", "2": "fair", "3": "good", "4": "very good", "5": "excellent"}
DEFAULT_RATINGS = {k: 4 for k in ("service_attitude", "product_knowledge", "initiative", "teamwork",
                                  "confidentiality", "conduct")}


@pytest.fixture
def client_vault(harness, staff):
    return start_client_vault(harness)


@pytest.fixture
def ticket(harness, staff, client_vault):
    return start_ticket(harness)


@pytest.fixture
def appraisal(harness, staff):
    return start_appraisal(harness)


@pytest.fixture
def listener(harness):
    heard.clear()
    return harness.start("flows_listener", AppraisalListener, harness.config_for("appraisal"))


# --- ticket and client_vault --------------------------------------------------------------------
def test_ticket_texts_go_to_client_vault_and_only_the_assigned_agent_of_an_open_ticket_sees_the_phone(
        harness, admin, ticket, dialect):
    agent = member(harness, admin, "wang.agent", ["agent"], ["after_sales"])
    other = member(harness, admin, "zhao.other", ["agent"], ["inquiry"])
    supervisor = member(harness, admin, "li.super", ["supervisor"])

    def reveal(token):
        with harness.rpc(token, timeout=60) as rpc:
            return rpc.client_vault.reveal(client_id, ["phone"], "ticket_handling")

    with harness.rpc(agent.token) as rpc:
        client_id = rpc.client_vault.register_client(profile())["client_id"]
    assert refused(lambda: reveal(agent.token)) == "Forbidden"  # no ticket of this client yet

    with harness.rpc(agent.token) as rpc:
        opened = rpc.ticket.open_ticket(new_ticket(client_id), idempotency_key="walk-in-1")
    assert (opened["state"], opened["assignee_id"]) == ("open", agent.staff_id)
    assert reveal(agent.token) == {"phone": E164}  # the real ticket says: an open ticket assigned to them
    assert refused(lambda: reveal(other.token)) == "Forbidden"
    assert refused(lambda: reveal(admin)) == "Forbidden"
    with harness.rpc(supervisor.token) as rpc:
        notes = rpc.client_vault.get_notes(client_id, "complaint_investigation")
    assert [(n["note_id"], n["kind"], n["text"]) for n in notes] == [(opened["note_id"], "ticket", DESCRIPTION)]

    ticket_id = opened["ticket_id"]
    with harness.rpc(agent.token) as rpc:
        assert rpc.ticket.respond(ticket_id, MESSAGE)["state"] == "in_progress"
        assert rpc.ticket.wait_for_customer(ticket_id)["state"] == "waiting_customer"
        assert reveal(agent.token) == {"phone": E164}  # waiting for the customer is still open
        assert rpc.ticket.resume(ticket_id)["state"] == "in_progress"
        assert rpc.ticket.resolve(ticket_id, RESOLUTION)["state"] == "resolved"
        assert rpc.ticket.record_satisfaction(ticket_id, 5, COMMENT)["score"] == 5
        assert rpc.ticket.close(ticket_id)["state"] == "closed"
    assert refused(lambda: reveal(agent.token)) == "Forbidden"  # closed: no open ticket any more

    with harness.rpc(supervisor.token) as rpc:
        notes = rpc.client_vault.get_notes(client_id, "complaint_investigation")
    assert [(n["kind"], n["text"]) for n in notes] == [
        ("ticket", DESCRIPTION), ("ticket", MESSAGE), ("ticket", RESOLUTION), ("survey", COMMENT)]
    assert {n["created_by"] for n in notes} == {agent.staff_id}  # added on the agent's behalf
    with harness.rpc(admin) as rpc:
        audit = rpc.client_vault.audit_log(client_id=client_id)
    members = {agent.staff_id, other.staff_id, supervisor.staff_id}  # (admin is stopped by the permission gate)
    assert [(e["staff_id"], e["action"], e["outcome"], e["reason"]) for e in audit if e["staff_id"] in members] == [
        (agent.staff_id, "reveal", "refused", "no_open_assignment"),
        (agent.staff_id, "reveal", "allowed", None),
        (other.staff_id, "reveal", "refused", "no_open_assignment"),
        (supervisor.staff_id, "notes", "allowed", None),
        (agent.staff_id, "reveal", "allowed", None),
        (agent.staff_id, "reveal", "refused", "no_open_assignment"),
        (supervisor.staff_id, "notes", "allowed", None)]

    for table, rows in table_dump(ticket.config["DATABASE_URL"]).items():  # the texts are client_vault's
        for row in rows:
            assert not any(text.split()[-1] in row for text in TEXTS), table

    with harness.rpc(agent.token) as rpc:  # a new ticket: the agent may again ...
        rpc.ticket.open_ticket(new_ticket(client_id, description="又漏水了 FLOW-DESC-5105"))
    assert reveal(agent.token) == {"phone": E164}
    ticket.container.kill()  # ... until ticket cannot say: never allowed then
    assert refused(lambda: reveal(agent.token)) == "DependencyUnavailable"
    with harness.rpc(admin) as rpc:
        last = rpc.client_vault.audit_log(client_id=client_id)[-1]
    assert (last["staff_id"], last["outcome"], last["reason"]) == (
        agent.staff_id, "refused", "dependency_unavailable")


def test_staff_stopped_a_ticket_still_opens_unassigned_and_at_risk(harness, admin, ticket, dialect):
    agent = member(harness, admin, "wang.agent", ["agent"], ["repair"])
    with harness.rpc(agent.token) as rpc:
        client_id = rpc.client_vault.register_client(profile())["client_id"]
        assert rpc.ticket.open_ticket(new_ticket(client_id, "repair"))["assignee_id"] == agent.staff_id
    harness.services["staff"].container.kill()
    with harness.rpc(agent.token, timeout=60) as rpc:
        opened = rpc.ticket.open_ticket(new_ticket(client_id, "repair", description="门锁坏了 FLOW-DESC-5106"))
        assert (opened["state"], opened["assignee_id"], opened["at_risk"]) == ("open", None, True)
        assert opened["note_id"] and opened["first_response_due_at"]
        assert rpc.ticket.get_ticket(opened["ticket_id"])["assignee_id"] is None


def test_new_tickets_go_to_the_least_loaded_agent_as_staff_counts_them_from_ticket_events(
        harness, admin, ticket, dialect):
    first = member(harness, admin, "wang.agent", ["agent"], ["repair"])
    second = member(harness, admin, "zhao.agent", ["agent"], ["repair"])
    staff = harness.services["staff"]
    with harness.rpc(admin) as rpc:
        client_id = rpc.client_vault.register_client(profile())["client_id"]

    def open_one():
        with entrypoint_waiter(staff.container, "on_ticket_assigned"), harness.rpc(admin) as rpc:
            return rpc.ticket.open_ticket(new_ticket(client_id, "repair"))

    one, two = open_one(), open_one()  # both free: the tie goes to the lower staff id, then the other
    assert {one["assignee_id"], two["assignee_id"]} == {first.staff_id, second.staff_id}
    with entrypoint_waiter(staff.container, "on_ticket_resolved"), harness.rpc(admin) as rpc:
        rpc.ticket.respond(two["ticket_id"], MESSAGE)
        rpc.ticket.resolve(two["ticket_id"], RESOLUTION)
    three = open_one()  # the second's agent is free again (a tie would have gone to the first's)
    assert three["assignee_id"] == two["assignee_id"]
    with harness.rpc(admin) as rpc:
        loads = {a["staff_id"]: a["load"] for a in rpc.staff.available_agents("repair")}
    assert loads == {first.staff_id: 1, second.staff_id: 1}


# --- ticket and appraisal -----------------------------------------------------------------------
def kpis_of(card):
    return {k["key"]: k for d in card["dimensions"] for k in d["kpis"]}


def scorecard_when(harness, token, cycle_code, staff_id, expected):
    """The scorecard once its KPIs show ``expected`` (``{kpi: (raw, events)}``): appraisal hears the
    ticket events after ticket committed them, so the test polls, with a deadline."""
    deadline = time.monotonic() + SCORECARD_TIMEOUT
    while True:
        with harness.rpc(token) as rpc:
            card = rpc.appraisal.get_scorecard(cycle_code, staff_id)
        seen = {key: (kpi["raw"], kpi["events"]) for key, kpi in kpis_of(card).items() if key in expected}
        if seen == expected:
            return card
        assert time.monotonic() < deadline, f"the scorecard shows {seen}, not {expected}"
        time.sleep(0.2)


def handle(harness, agent, client_id, category, satisfaction, reopen=False):
    """A ticket of ``category`` opened, answered and resolved by ``agent`` through ``ticket`` (reopened
    and resolved again if ``reopen``), then rated ``satisfaction``."""
    with harness.rpc(agent.token) as rpc:
        opened = rpc.ticket.open_ticket(new_ticket(client_id, category, "normal"))
        assert opened["assignee_id"] == agent.staff_id
        ticket_id = opened["ticket_id"]
        rpc.ticket.respond(ticket_id, MESSAGE)
        rpc.ticket.resolve(ticket_id, RESOLUTION)
        if reopen:
            assert rpc.ticket.reopen(ticket_id, "还是漏水 FLOW-REOPEN-5107")["reopened_as_new_ticket"] is False
            rpc.ticket.resolve(ticket_id, RESOLUTION)
        rpc.ticket.record_satisfaction(ticket_id, satisfaction)
    return ticket_id


def test_tickets_handled_and_rated_through_ticket_move_the_agents_scorecard(harness, admin, ticket, appraisal,
                                                                           dialect):
    agent = member(harness, admin, "an.agent", ["agent"])
    boss = member(harness, admin, "su.pervisor", ["supervisor"])
    today = utc_today()
    with harness.rpc(boss.token) as rpc:
        rpc.appraisal.open_cycle({"code": "Cycle-A", "period_start": (today - timedelta(days=1)).isoformat(),
                                  "period_end": (today + timedelta(days=1)).isoformat(),
                                  "template_code": "default"})
        client_id = rpc.client_vault.register_client(profile())["client_id"]
    scorecard_when(harness, agent.token, "Cycle-A", agent.staff_id, {
        "tickets_resolved": (0, 0), "mean_satisfaction": (None, 0), "training_score": (80, 3)})

    handle(harness, agent, client_id, "complaint", satisfaction=5)
    card = scorecard_when(harness, agent.token, "Cycle-A", agent.staff_id, {
        "tickets_resolved": (1, 1), "complaints_handled": (1, 1), "first_response_compliance": (100, 1),
        "resolution_compliance": (100, 1), "mean_satisfaction": (5, 1), "reopen_rate": (0, 1)})
    assert card["final_score"] is not None

    handle(harness, agent, client_id, "inquiry", satisfaction=3, reopen=True)
    # two tickets resolved (three resolutions), one of them reopened, rated 5 and 3, all within the SLA
    card = scorecard_when(harness, boss.token, "Cycle-A", agent.staff_id, {
        "tickets_resolved": (2, 3), "complaints_handled": (1, 1), "first_response_compliance": (100, 2),
        "resolution_compliance": (100, 3), "mean_satisfaction": (4, 2), "reopen_rate": (50, 4)})
    satisfaction = kpis_of(card)["mean_satisfaction"]
    assert (satisfaction["target"], satisfaction["score"]) == (4.5, 88.89)  # linear: 4 / 4.5

    with harness.rpc(boss.token) as rpc:
        assert rpc.appraisal.submit_rating("Cycle-A", agent.staff_id, DEFAULT_RATINGS)["kind"] == "supervisor"
        assert rpc.appraisal.finalize_cycle("Cycle-A")["status"] == "finalized"
        late = error_of(lambda: rpc.appraisal.submit_rating("Cycle-A", agent.staff_id, DEFAULT_RATINGS))
    assert late.exc_type == "Conflict" and "finalised" in late.value
    with harness.rpc(agent.token) as rpc:
        assert refused(lambda: rpc.appraisal.submit_rating("Cycle-A", agent.staff_id, DEFAULT_RATINGS)) == "Conflict"
        with entrypoint_waiter(appraisal.container, "on_ticket_satisfaction_recorded"):
            handle(harness, agent, client_id, "inquiry", satisfaction=1)  # heard after finalising: ...
        final = rpc.appraisal.get_scorecard("Cycle-A", agent.staff_id)  # ... the card stays as finalised
    assert final["finalized"] is True and kpis_of(final)["tickets_resolved"]["raw"] == 2


LADDER = {"code": "Ladder", "grades": {"A": 90, "B": 75, "C": 60}, "self_assessment_weight": 0,
          "promotion_ladder": {"service-agent": "senior-agent"},
          "dimensions": [{"key": "service", "label": "Service", "weight": 100, "kpis": [
              {"key": "tickets_resolved", "source": "metric:tickets_resolved", "weight": 20, "target": 1,
               "rule": "linear"},
              {"key": "work", "source": "rating", "weight": 80, "rubric": RUBRIC}]}]}


def test_a_promotion_is_recommended_for_the_agent_holding_the_next_positions_certificate_only(
        harness, admin, ticket, appraisal, listener, dialect):
    """Two cycles graded by ``LADDER``: ratings of 5 score 80 (B) in the first, where no ticket was
    handled; in the second each agent resolves a ticket through ``ticket``, 100 (A). Both qualify on
    grades; only the one holding the senior position's certificate is recommended."""
    ready = member(harness, admin, "ready.agent", ["agent"], ["inquiry"])
    lacking = member(harness, admin, "lacking.agent", ["agent"], ["repair"])
    boss = member(harness, admin, "su.pervisor", ["supervisor"])
    with harness.rpc(admin) as rpc:
        rpc.staff.create_position({
            "code": "Senior-Agent", "title": "Senior agent",
            "requirements": {"min_age": 18, "max_age": 60, "min_education": "college", "certificates": ["CS-SENIOR"]},
            "scorecard": {"criteria": [{"key": "overall", "label": "Overall", "weight": 100, "max_score": 10}],
                          "pass_score": 60, "min_assessors": 1}})
        rpc.staff.add_certificate(ready.staff_id, {"code": "cs-senior", "name": "Senior service",
                                                   "issued_on": "2024-01-01"})
        rpc.appraisal.create_template(LADDER)
        client_id = rpc.client_vault.register_client(profile())["client_id"]
    today = utc_today()
    for code, start, end in (("Q-1", today - timedelta(days=60), today - timedelta(days=31)),
                             ("Q-2", today - timedelta(days=30), today + timedelta(days=1))):
        with harness.rpc(boss.token) as rpc:
            rpc.appraisal.open_cycle({"code": code, "period_start": start.isoformat(),
                                      "period_end": end.isoformat(), "template_code": "ladder"})
        if code == "Q-2":
            handle(harness, ready, client_id, "inquiry", satisfaction=4)
            handle(harness, lacking, client_id, "repair", satisfaction=4)
            for agent in (ready, lacking):
                scorecard_when(harness, boss.token, code, agent.staff_id, {"tickets_resolved": (1, 1)})
        with harness.rpc(boss.token) as rpc:
            for agent in (ready, lacking):
                rpc.appraisal.submit_rating(code, agent.staff_id, {"work": 5})
            heard_last = "on_finalized" if code == "Q-1" else "on_promotion_recommended"
            with entrypoint_waiter(listener.container, heard_last):
                finalized = rpc.appraisal.finalize_cycle(code)
            grades = {a.staff_id: rpc.appraisal.get_scorecard(code, a.staff_id)["grade"] for a in (ready, lacking)}
        assert grades == dict.fromkeys((ready.staff_id, lacking.staff_id), "B" if code == "Q-1" else "A"), code
    assert finalized["promotions_recommended"] == [ready.staff_id]
    recommended = [e["data"] for e in heard if e["type"] == "appraisal.promotion_recommended"]
    assert recommended == [{"cycle_code": "Q-2", "staff_id": ready.staff_id, "grade": "A",
                            "position_code": "senior-agent", "current_position_code": "service-agent"}]
