"""The staff contract end to end over the real broker, Vault and each database dialect."""
from contextlib import contextmanager
from datetime import date, timedelta

import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from anchang_common.entrypoints import UnitOfWork, event_handler
from anchang_common.events import make_envelope
from tests.integration.accounts import ADMIN_PASSWORD

FIRST_PASSWORD = "onboard-2026-ok"  # one-time: changed at the first login
PASSWORD = "settled-in-2026"
received = []


def position(code="service-agent", min_assessors=1, **requirements):
    return {
        "code": code, "title": "Sales-site customer service agent",
        "requirements": {"min_age": 18, "max_age": 35, "min_education": "college",
                         "majors": ["Hospitality", "Marketing"], "certificates": ["putonghua-2b"],
                         **requirements},
        "scorecard": {"criteria": [
            {"key": "communication", "label": "Communication", "weight": 40, "max_score": 10},
            {"key": "service_attitude", "label": "Service attitude", "weight": 35, "max_score": 10},
            {"key": "operations", "label": "Operating skill", "weight": 25, "max_score": 5},
        ], "pass_score": 70, "min_assessors": min_assessors},
    }


def candidate(**changes):
    return {"name": "张三", "birth_date": "2000-05-01", "education": "bachelor", "major": "marketing",
            "certificates": ["putonghua-2b"], **changes}


GOOD_SCORES = {"communication": 9, "service_attitude": 8, "operations": 4}  # 36 + 28 + 20 = 84 %


class Listener:
    """Records the staff events another service would receive."""

    name = "listener"
    unit_of_work = UnitOfWork()

    @event_handler("staff", "certificate_expiring")
    def on_expiring(self, envelope):
        received.append(envelope)

    @event_handler("staff", "security_acknowledgment_lapsed")
    def on_lapsed(self, envelope):
        received.append(envelope)


def hire(harness, admin, username, roles, skills=None, code="service-agent"):
    """A passed candidate hired with ``FIRST_PASSWORD``; returns the staff id."""
    with harness.rpc(admin) as rpc:
        try:
            rpc.staff.create_position(position(code=code))
        except RemoteError as error:
            assert error.exc_type == "Conflict"
        applied = rpc.staff.apply(code, candidate())
        rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        assert rpc.staff.decide(applied["candidate_id"])["decision"] == "pass"
        return rpc.staff.hire(applied["candidate_id"], username, FIRST_PASSWORD, roles, skills)["staff_id"]


def settle_in(harness, username):
    """The new member's own first steps: the one-time password changed to ``PASSWORD``, the
    security rules acknowledged. Returns their (onboarding) token."""
    with harness.rpc() as rpc:
        first = rpc.staff.login(username, FIRST_PASSWORD)
    assert first["must_change_password"] is True
    with harness.rpc(first["token"]) as rpc:
        token = rpc.staff.change_password(FIRST_PASSWORD, PASSWORD)["token"]
    with harness.rpc(token) as rpc:
        rpc.staff.acknowledge_security_rules()
    return token


def hire_and_activate(harness, admin, username, roles, skills=None, code="service-agent"):
    """The whole path for one person; returns their staff id."""
    staff_id = hire(harness, admin, username, roles, skills, code)
    settle_in(harness, username)
    with harness.rpc(admin) as rpc:
        for module in ("culture", "service_process", "privacy_security"):
            result = rpc.staff.complete_training(staff_id, module, 80)
    assert result["status"] == "active"
    return staff_id


def test_apply_assess_decide_hire_train_activate_login(harness, admin):
    with harness.rpc(admin) as rpc:
        rpc.staff.create_position(position(min_assessors=1))
        applied = rpc.staff.apply("service-agent", candidate())
        assert applied["eligible"] is True and applied["reasons"] == []
        assert rpc.staff.decide(applied["candidate_id"])["decision"] == "pending"
        assessed = rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES, "clear and warm")
        assert assessed["weighted_score"] == 84.0
        decision = rpc.staff.decide(applied["candidate_id"])
        assert (decision["decision"], decision["total_score"]) == ("pass", 84.0)
        hired = rpc.staff.hire(applied["candidate_id"], "zhang.san", FIRST_PASSWORD, ["agent"], ["repair"])
        assert hired["status"] == "onboarding"
    onboarding = {"token": settle_in(harness, "zhang.san")}  # an onboarding account may not work yet
    with harness.rpc(onboarding["token"]) as rpc, pytest.raises(RemoteError) as raised:
        rpc.staff.available_agents("repair")
    assert raised.value.exc_type == "Forbidden"
    with harness.rpc(admin) as rpc:
        failed = rpc.staff.complete_training(hired["staff_id"], "culture", 45)
        assert failed["passed"] is False and failed["status"] == "onboarding"
        for module in ("culture", "service_process"):
            assert rpc.staff.complete_training(hired["staff_id"], module, 75)["status"] == "onboarding"
        done = rpc.staff.complete_training(hired["staff_id"], "privacy_security", 60)
        assert done["status"] == "active" and done["remaining_modules"] == []
        record = rpc.staff.get_staff(hired["staff_id"])
    assert [t["passed"] for t in record["trainings"]] == [False, True, True, True]
    with harness.rpc() as rpc:
        session = rpc.staff.login("zhang.san", PASSWORD)
    assert session["roles"] == ["agent"]
    with harness.rpc(session["token"]) as rpc:  # the agent works now
        assert rpc.staff.get_staff(hired["staff_id"])["status"] == "active"
    with harness.rpc(admin) as rpc:
        agents = rpc.staff.available_agents("repair")
        assert [a["staff_id"] for a in agents] == [hired["staff_id"]]
        assert rpc.staff.available_agents("complaint") == []
    with harness.rpc(onboarding["token"]) as rpc, pytest.raises(RemoteError) as raised:
        rpc.staff.get_staff(hired["staff_id"])  # activation bumped the token version
    assert raised.value.exc_type == "Unauthenticated"


def test_two_assessors_are_averaged_and_an_ineligible_candidate_goes_no_further(harness, admin):
    supervisor_id = hire_and_activate(harness, admin, "li.si", ["supervisor"])
    with harness.rpc() as rpc:
        supervisor = rpc.staff.login("li.si", PASSWORD)["token"]
    with harness.rpc(admin) as rpc:
        rpc.staff.create_position(position(code="senior-agent", min_assessors=2))
        applied = rpc.staff.apply("senior-agent", candidate())
        rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        assert rpc.staff.decide(applied["candidate_id"])["decision"] == "pending"
        with pytest.raises(RemoteError) as again:
            rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        assert again.value.exc_type == "Conflict"
    with harness.rpc(supervisor) as rpc:
        # 16 + 14 + 10 = 40 %; mean of 84 and 40 is 62, under the pass score of 70
        rpc.staff.record_assessment(applied["candidate_id"],
                                    {"communication": 4, "service_attitude": 4, "operations": 2})
        decision = rpc.staff.decide(applied["candidate_id"])
    assert (decision["decision"], decision["total_score"]) == ("fail", 62.0)
    assert {a["assessor_id"] for a in decision["assessments"]} >= {supervisor_id}
    with harness.rpc(admin) as rpc:
        with pytest.raises(RemoteError) as not_passed:
            rpc.staff.hire(applied["candidate_id"], "wang.wu", FIRST_PASSWORD, ["agent"])
        assert not_passed.value.exc_type == "Conflict"
        too_young = rpc.staff.apply("senior-agent", candidate(
            birth_date=(date.today().replace(year=date.today().year - 17)).isoformat(),
            education="high_school", major="physics", certificates=[]))
        assert too_young["eligible"] is False
        assert [r["code"] for r in too_young["reasons"]] == ["age", "education", "major", "certificate"]
        with pytest.raises(RemoteError) as ineligible:
            rpc.staff.record_assessment(too_young["candidate_id"], GOOD_SCORES)
        assert ineligible.value.exc_type == "Conflict"


def test_bad_input_names_its_fields_and_writes_nothing(harness, admin, staff):
    bad = position()
    bad["requirements"]["min_education"] = "kindergarten"
    bad["scorecard"]["criteria"][0]["weight"] = 30
    with harness.rpc(admin) as rpc:
        with pytest.raises(RemoteError) as raised:
            rpc.staff.create_position(bad)
        assert raised.value.exc_type == "ValidationError"
        assert "position.requirements.min_education" in raised.value.value
        assert "position.scorecard.criteria" in raised.value.value
        with pytest.raises(RemoteError) as missing:
            rpc.staff.get_position("service-agent")
        assert missing.value.exc_type == "NotFound"

        rpc.staff.create_position(position())
        applied = rpc.staff.apply("service-agent", candidate())
        rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        with pytest.raises(RemoteError) as weak:
            rpc.staff.hire(applied["candidate_id"], "zhao.liu", "short", ["agent", "janitor"])
        assert weak.value.exc_type == "ValidationError"
        assert "password" in weak.value.value and "roles[1]" in weak.value.value
        assert "short" not in weak.value.value.replace("too short", "")
        with pytest.raises(RemoteError) as bad_candidate:
            rpc.staff.apply("service-agent", candidate(name="", birth_date="2000-13-40"))
        assert "candidate.name" in bad_candidate.value.value
        assert "candidate.birth_date" in bad_candidate.value.value
        assert [s["username"] for s in rpc.staff.list_staff()] == ["admin"]
    with sa.create_engine(staff.config["DATABASE_URL"]).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM candidates")).scalar() == 1


def test_suspended_staff_token_is_refused_by_another_service(harness, admin):
    appraisal = harness.start("appraisal")
    staff_id = hire_and_activate(harness, admin, "zhou.qi", ["agent"])
    with harness.rpc() as rpc:
        token = rpc.staff.login("zhou.qi", PASSWORD)["token"]
    with harness.rpc(token) as rpc:
        assert rpc.appraisal.list_templates() == []
    with entrypoint_waiter(appraisal.container, "on_staff_changed"):
        with harness.rpc(admin) as rpc:
            rpc.staff.set_status(staff_id, "suspended")
    with harness.rpc(token) as rpc:
        with pytest.raises(RemoteError) as at_appraisal:
            rpc.appraisal.list_templates()
        with pytest.raises(RemoteError) as at_staff:
            rpc.staff.get_staff(staff_id)
    assert at_appraisal.value.exc_type == at_staff.value.exc_type == "Unauthenticated"
    with harness.rpc() as rpc, pytest.raises(RemoteError) as login:
        rpc.staff.login("zhou.qi", PASSWORD)
    assert login.value.exc_type == "Unauthenticated" and "suspended" in login.value.value


def test_repeated_failed_logins_lock_the_account_without_telling(harness, admin):
    with harness.rpc() as rpc:
        for _ in range(5):
            with pytest.raises(RemoteError):
                rpc.staff.login("admin", "wrong-password-1")
        with pytest.raises(RemoteError) as locked:
            rpc.staff.login("admin", ADMIN_PASSWORD)
    # the same answer as a wrong password or an unknown user: a locked account is not disclosed
    assert (locked.value.exc_type, locked.value.value) == ("Unauthenticated", "wrong username or password")


def test_only_admin_changes_roles(harness, admin):
    staff_id = hire_and_activate(harness, admin, "sun.ba", ["agent"])
    with harness.rpc() as rpc:
        token = rpc.staff.login("sun.ba", PASSWORD)["token"]
    with harness.rpc(token) as rpc, pytest.raises(RemoteError) as raised:
        rpc.staff.set_roles(staff_id, ["admin"])
    assert raised.value.exc_type == "Forbidden"
    with harness.rpc(admin) as rpc:
        assert rpc.staff.set_roles(staff_id, ["agent", "supervisor"])["roles"] == ["agent", "supervisor"]
        assert [s["username"] for s in rpc.staff.list_staff(role="supervisor")] == ["sun.ba"]


def test_certificate_expiry_is_announced_once(harness, admin):
    received.clear()
    listener = harness.start("listener", Listener, harness.config_for("ticket"))
    staff_id = hire_and_activate(harness, admin, "wu.jiu", ["agent"])
    soon = date.today() + timedelta(days=10)
    with harness.rpc(admin) as rpc:
        rpc.staff.add_certificate(staff_id, {"code": "putonghua-2b", "name": "Putonghua 2B",
                                             "issued_on": "2024-01-01", "expires_on": soon.isoformat()})
        rpc.staff.add_certificate(staff_id, {"code": "first-aid", "name": "First aid",
                                             "issued_on": "2024-01-01", "expires_on": "2099-01-01"})
        with entrypoint_waiter(listener.container, "on_expiring"):
            assert rpc.staff.scan_certificates() == {"notified": 1}
        assert rpc.staff.scan_certificates() == {"notified": 0}
    assert [e["data"] for e in received] == [
        {"staff_id": staff_id, "certificate_code": "putonghua-2b", "expires_on": soon.isoformat()}]


def test_agent_load_follows_ticket_events_and_orders_available_agents(harness, admin, staff):
    first = hire_and_activate(harness, admin, "zheng.shi", ["agent"])
    second = hire_and_activate(harness, admin, "feng.yi", ["agent"])
    dispatch = event_dispatcher({"AMQP_URI": harness.amqp_uri})
    assigned = make_envelope("ticket.assigned", {"ticket_id": "t-1", "assignee_id": second})
    with entrypoint_waiter(staff.container, "on_ticket_assigned"):
        dispatch("ticket", "assigned", assigned)
    with harness.rpc(admin) as rpc:
        loads = [(a["staff_id"], a["load"]) for a in rpc.staff.available_agents("repair")]
        assert loads == [(first, 0), (second, 1)]
        with entrypoint_waiter(staff.container, "on_ticket_resolved"):
            dispatch("ticket", "resolved", make_envelope("ticket.resolved", {"ticket_id": "t-1"}))
        assert [a["load"] for a in rpc.staff.available_agents("repair")] == [0, 0]
        # the assignment delivered again after the ticket was resolved: handled once, it must not
        # bring the released ticket back
        with entrypoint_waiter(staff.container, "on_ticket_assigned"):
            dispatch("ticket", "assigned", assigned)
        assert [a["load"] for a in rpc.staff.available_agents("repair")] == [0, 0]


def test_idempotency_key_returns_the_first_result(harness, admin):
    with harness.rpc(admin) as rpc:
        first = rpc.staff.create_position(position(), idempotency_key="pos-1")
        again = rpc.staff.create_position(position(), idempotency_key="pos-1")
        applied = rpc.staff.apply("service-agent", candidate(), idempotency_key="cand-1")
        assert rpc.staff.apply("service-agent", candidate(), idempotency_key="cand-1") == applied
    assert first == again


def test_every_method_names_the_bad_field(harness, admin):
    staff_id = hire_and_activate(harness, admin, "han.shi", ["agent"])
    with harness.rpc(admin) as rpc:
        before = rpc.staff.get_staff(staff_id)
        applied = rpc.staff.apply("service-agent", candidate())
        calls = [
            (lambda: rpc.staff.complete_training(staff_id, "cooking", 80), "module_code"),
            (lambda: rpc.staff.complete_training(staff_id, "culture", 101), "score"),
            (lambda: rpc.staff.add_certificate(staff_id, {"code": "x1", "name": "X", "issued_on": "2025-01-01",
                                                          "expires_on": "2024-01-01"}), "certificate.expires_on"),
            (lambda: rpc.staff.set_status(staff_id, "retired"), "status"),
            (lambda: rpc.staff.set_roles(staff_id, []), "roles"),
            (lambda: rpc.staff.available_agents("gardening"), "category"),
            (lambda: rpc.staff.list_staff(status="asleep"), "status"),
            (lambda: rpc.staff.record_assessment(applied["candidate_id"], {"communication": 11}), "scores."),
            (lambda: rpc.staff.get_staff(""), "staff_id"),
            (lambda: rpc.staff.create_position(position(), idempotency_key=""), "idempotency_key"),
        ]
        for call, field in calls:
            with pytest.raises(RemoteError) as raised:
                call()
            assert raised.value.exc_type == "ValidationError", field
            assert field in raised.value.value, (field, raised.value.value)
        assert rpc.staff.get_staff(staff_id) == before
        assert rpc.staff.decide(applied["candidate_id"])["assessments"] == []


def _engine(service):
    """The engine of a running service's storage (to watch its statements)."""
    return next(d for d in service.container.dependencies if d.attr_name == "store").sessions.engine


@contextmanager
def statements_meeting_at(engine, prefix, parties=2, timeout=10):
    """Holds each statement starting with ``prefix`` until ``parties`` of them are about to run:
    the workers that issue them are then all past their checks, none committed."""
    arrived, released = [], eventlet.event.Event()

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(prefix):
            arrived.append(statement)
            if len(arrived) >= parties:
                released.send(True) if not released.ready() else None
            with eventlet.Timeout(timeout, False):
                released.wait()
    sa.event.listen(engine, "before_cursor_execute", hold)
    try:
        yield arrived
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold)


def test_two_concurrent_hires_of_one_candidate_make_one_account(harness, admin, staff):
    with harness.rpc(admin) as rpc:
        rpc.staff.create_position(position())
        applied = rpc.staff.apply("service-agent", candidate())
        rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        # both hires pass their checks and reach their INSERT before either commits
        with statements_meeting_at(_engine(staff), "INSERT INTO STAFF") as arrived:
            racing = [rpc.staff.hire.call_async(applied["candidate_id"], username, FIRST_PASSWORD, ["agent"])
                      for username in ("chen.yi", "chen.er")]
            outcomes = []
            for reply in racing:
                try:
                    outcomes.append(reply.result()["status"])
                except RemoteError as error:
                    outcomes.append(error.exc_type)
        assert len(arrived) == 2  # they did overlap
        assert sorted(outcomes) == ["Conflict", "onboarding"]
        assert sorted(s["username"] for s in rpc.staff.list_staff()) in (
            ["admin", "chen.er"], ["admin", "chen.yi"])
