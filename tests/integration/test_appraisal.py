"""The appraisal contract end to end over the real broker, Vault, the real staff service and each
database dialect. ``ticket`` is played by the test: it dispatches the ticket events of the agreed
contract (docs/contract/events.md) on the broker as the service ``ticket`` would."""
import contextlib
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from anchang_common.entrypoints import UnitOfWork, event_handler
from anchang_common.events import make_envelope
from anchang_common.types import utc_today
from appraisal.bootstrap import seed_default_template
from tests.integration.test_staff import PASSWORD, hire_and_activate

heard = []
RUBRIC = {"1": "poor", "2": "fair", "3": "good", "4": "very good", "5": "excellent"}


class AppraisalListener:
    """Records the appraisal events another service would receive."""

    name = "appraisal_listener"
    unit_of_work = UnitOfWork()

    @event_handler("appraisal", "finalized")
    def on_finalized(self, envelope):
        heard.append(envelope)

    @event_handler("appraisal", "promotion_recommended")
    def on_promotion_recommended(self, envelope):
        heard.append(envelope)


@pytest.fixture
def appraisal(harness, staff):
    service = harness.start("appraisal")
    assert seed_default_template(service.config["DATABASE_URL"]) == "created"
    return service


@pytest.fixture
def listener(harness):
    heard.clear()
    return harness.start("appraisal_listener", AppraisalListener, harness.config_for("ticket"))


def login(harness, username):
    with harness.rpc() as rpc:
        return rpc.staff.login(username, PASSWORD)["token"]


def call(harness, token, method, *args):
    """The result of ``appraisal.<method>(*args)`` as ``token``, or the error type it raised."""
    with harness.rpc(token) as rpc:
        try:
            return getattr(rpc.appraisal, method)(*args)
        except RemoteError as error:
            return error.exc_type


def this_period(code, days_back=1):
    today = utc_today()
    return {"code": code, "period_start": (today - timedelta(days=days_back)).isoformat(),
            "period_end": (today + timedelta(days=1)).isoformat(), "template_code": "default"}


class TicketStandIn:
    """Dispatches ticket events on the broker as ``ticket``, waiting until appraisal handled each."""

    def __init__(self, harness, appraisal):
        self.dispatch = event_dispatcher({"AMQP_URI": harness.amqp_uri})
        self.appraisal = appraisal

    def send(self, name, ticket_id, agent, category="inquiry", **data):
        envelope = make_envelope(f"ticket.{name}", {
            "ticket_id": ticket_id, "category": category, "priority": "normal", "assignee_id": agent, **data})
        with entrypoint_waiter(self.appraisal.container, f"on_ticket_{name}"):
            self.dispatch("ticket", name, envelope)
        return envelope

    def handled(self, ticket_id, agent, category="inquiry", within=True, satisfaction=None):
        self.send("opened", ticket_id, None, category, client_id="c-1", channel="phone")
        self.send("assigned", ticket_id, agent, category, staff_id=agent, previous_assignee_id=None,
                  assigned_by="auto")
        self.send("first_responded", ticket_id, agent, category, staff_id=agent, business_seconds=300,
                  within_sla=within)
        self.send("resolved", ticket_id, agent, category, staff_id=agent, business_seconds=3600, within_sla=within)
        if satisfaction is not None:
            self.send("satisfaction_recorded", ticket_id, agent, category, staff_id=agent, score=satisfaction)


def kpis_of(card):
    return {k["key"]: k for d in card["dimensions"] for k in d["kpis"]}


def test_tickets_change_the_scorecard_and_a_finalised_cycle_refuses_ratings(harness, admin, appraisal, listener):
    agent = hire_and_activate(harness, admin, "an.agent", ["agent"])
    boss = hire_and_activate(harness, admin, "su.pervisor", ["supervisor"])
    agent_token, boss_token = login(harness, "an.agent"), login(harness, "su.pervisor")
    opened = call(harness, boss_token, "open_cycle", this_period("Cycle-A"))
    assert set(opened["staff_ids"]) >= {agent, boss}

    before = kpis_of(call(harness, agent_token, "get_scorecard", "cycle-a", agent))
    assert before["tickets_resolved"]["raw"] == 0 and before["mean_satisfaction"]["measured"] is False

    ticket = TicketStandIn(harness, appraisal)
    ticket.handled("t-1", agent, "complaint", within=True, satisfaction=5)
    ticket.handled("t-2", agent, within=False, satisfaction=3)
    # the same resolution delivered again (at-least-once delivery) counts once
    again = ticket.send("resolved", "t-3", agent, staff_id=agent, business_seconds=60, within_sla=True)
    with entrypoint_waiter(appraisal.container, "on_ticket_resolved"):
        ticket.dispatch("ticket", "resolved", again)

    after = kpis_of(call(harness, agent_token, "get_scorecard", "Cycle-A", agent))
    assert (after["tickets_resolved"]["raw"], after["tickets_resolved"]["events"]) == (3, 3)
    assert (after["resolution_compliance"]["raw"], after["resolution_compliance"]["events"]) == (66.67, 3)
    assert (after["first_response_compliance"]["raw"], after["first_response_compliance"]["events"]) == (50, 2)
    assert (after["mean_satisfaction"]["raw"], after["mean_satisfaction"]["events"]) == (4, 2)
    assert after["complaints_handled"]["raw"] == 1
    assert after["training_score"]["raw"] == 80 and after["training_score"]["events"] == 3  # from staff
    assert call(harness, boss_token, "get_scorecard", "Cycle-A", agent)["staff_id"] == agent
    assert call(harness, agent_token, "get_scorecard", "Cycle-A", boss) == "Forbidden"

    ratings = {k: 4 for k in ("service_attitude", "product_knowledge", "initiative", "teamwork",
                              "confidentiality", "conduct")}
    assert call(harness, boss_token, "submit_rating", "Cycle-A", agent, ratings)["kind"] == "supervisor"
    assert call(harness, agent_token, "submit_rating", "Cycle-A", agent, ratings | {"teamwork": 5})["kind"] == "self"
    assert call(harness, agent_token, "submit_rating", "Cycle-A", boss, ratings) == "Forbidden"

    with entrypoint_waiter(listener.container, "on_finalized"):
        result = call(harness, boss_token, "finalize_cycle", "Cycle-A")
    assert result["status"] == "finalized"
    assert heard[-1]["data"] == {"cycle_code": "Cycle-A", "staff_count": len(opened["staff_ids"])}
    card = call(harness, agent_token, "get_scorecard", "Cycle-A", agent)
    assert card["finalized"] is True and card["grade"] in "ABCD" and card["rank"] >= 1
    assert call(harness, boss_token, "submit_rating", "Cycle-A", agent, ratings) == "Conflict"
    assert call(harness, agent_token, "submit_rating", "Cycle-A", agent, ratings) == "Conflict"


def test_a_promotion_for_the_agent_who_holds_the_next_positions_certificate_only(harness, admin, appraisal,
                                                                                 listener):
    with harness.rpc(admin) as rpc:
        rpc.staff.create_position({
            "code": "Senior-Agent", "title": "Senior agent",
            "requirements": {"min_age": 18, "max_age": 60, "min_education": "college",
                             "certificates": ["CS-SENIOR"]},
            "scorecard": {"criteria": [{"key": "overall", "label": "Overall", "weight": 100, "max_score": 10}],
                          "pass_score": 60, "min_assessors": 1}})
    ready = hire_and_activate(harness, admin, "ready.agent", ["agent"])
    lacking = hire_and_activate(harness, admin, "lacking.agent", ["agent"])
    boss = admin  # an admin holds a supervisor's right to rate
    with harness.rpc(admin) as rpc:
        rpc.staff.add_certificate(ready, {"code": "cs-senior", "name": "Senior service", "issued_on": "2024-01-01"})
    template = {"code": "Ladder", "grades": {"A": 90, "B": 75, "C": 60}, "self_assessment_weight": 0,
                "promotion_ladder": {"service-agent": "senior-agent"},
                "dimensions": [{"key": "overall", "label": "Overall", "weight": 100, "kpis": [
                    {"key": "work", "source": "rating", "weight": 100, "rubric": RUBRIC}]}]}
    assert call(harness, admin, "create_template", template)["code"] == "Ladder"
    today = utc_today()
    periods = [("Q-1", today - timedelta(days=60), today - timedelta(days=31)),
               ("Q-2", today - timedelta(days=30), today)]
    for code, start, end in periods:
        call(harness, admin, "open_cycle", {"code": code, "period_start": start.isoformat(),
                                            "period_end": end.isoformat(), "template_code": "ladder"})
        for member in (ready, lacking):
            assert call(harness, boss, "submit_rating", code, member, {"work": 5})["kind"] == "supervisor"
        # the promotion is dispatched after `finalized`, in the same commit: Q-2 waits for both
        with entrypoint_waiter(listener.container, "on_finalized"), (
                entrypoint_waiter(listener.container, "on_promotion_recommended") if code == "Q-2"
                else contextlib.nullcontext()):
            call(harness, admin, "finalize_cycle", code)
    recommended = [e["data"] for e in heard if e["type"] == "appraisal.promotion_recommended"]
    assert recommended == [{"cycle_code": "Q-2", "staff_id": ready, "grade": "A", "position_code": "senior-agent",
                            "current_position_code": "service-agent"}]
    assert call(harness, admin, "get_scorecard", "Q-2", lacking)["grade"] == "A"


def test_a_member_who_leaves_mid_cycle_is_kept_and_marked(harness, admin, appraisal):
    agent = hire_and_activate(harness, admin, "leaving.agent", ["agent"])
    call(harness, admin, "open_cycle", this_period("Cycle-L"))
    with entrypoint_waiter(appraisal.container, "on_member_status_changed"), harness.rpc(admin) as rpc:
        rpc.staff.set_status(agent, "left")
    card = call(harness, admin, "get_scorecard", "Cycle-L", agent)
    assert card["left"] is True and card["member_status"] == "left"
    call(harness, admin, "finalize_cycle", "Cycle-L")
    card = call(harness, admin, "get_scorecard", "Cycle-L", agent)
    assert card["left"] is True and card["rank"] is None and card["final_score"] is not None


def test_bad_input_names_its_fields(harness, admin, appraisal):
    with harness.rpc(admin) as rpc:
        with pytest.raises(RemoteError) as bad:
            rpc.appraisal.create_template({"code": "x y", "dimensions": [], "grades": {}})
        assert bad.value.exc_type == "ValidationError"
        assert "template.code" in bad.value.value and "template.dimensions" in bad.value.value
        with pytest.raises(RemoteError) as bad:
            rpc.appraisal.open_cycle({"code": "C-1", "period_start": "2026-13-01", "period_end": "soon"})
        assert "cycle.period_start" in bad.value.value and "cycle.period_end" in bad.value.value
        assert rpc.appraisal.get_template("DEFAULT")["code"] == "default"
