"""Staff accounts under attack and in incidents, over the real broker, Vault and each database:
who may grant what, login without enumeration, atomic lockout, the last admin, one-time passwords,
sessions ended, the security rules acknowledged and lapsing, codes in any case, wrong calls."""
import inspect
import statistics
import time
from datetime import date, timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_waiter

from staff.permissions import PERMISSIONS
from staff.service import Service
from tests.integration.test_staff import (
    ADMIN_PASSWORD,
    FIRST_PASSWORD,
    GOOD_SCORES,
    PASSWORD,
    Listener,
    _engine,
    candidate,
    hire,
    hire_and_activate,
    position,
    received,
    settle_in,
)

BAD_LOGIN = "wrong username or password"


def refused(call):
    with pytest.raises(RemoteError) as raised:
        call()
    return raised.value


def login(harness, username, password):
    with harness.rpc() as rpc:
        return rpc.staff.login(username, password)


def test_hr_hires_agents_but_grants_no_other_role(harness, admin):
    """Not `supervisor` either: a supervisor may reveal customer PII, and an HR member who could make
    one would know its first password."""
    hr_id = hire_and_activate(harness, admin, "hr.wang", ["hr"])
    hr = login(harness, "hr.wang", PASSWORD)["token"]
    with harness.rpc(hr) as rpc:
        rpc.staff.create_position(position(code="HR-Agent"))
        applied = rpc.staff.apply("hr-agent", candidate())
        rpc.staff.record_assessment(applied["candidate_id"], GOOD_SCORES)
        for roles in (["admin"], ["agent", "hr"], ["auditor"], ["supervisor"], ["agent", "supervisor"]):
            error = refused(partial(rpc.staff.hire, applied["candidate_id"], "li.lei", FIRST_PASSWORD, roles))
            assert error.exc_type == "Forbidden", roles
        hired = rpc.staff.hire(applied["candidate_id"], "li.lei", FIRST_PASSWORD, ["agent"])
        assert hired["status"] == "onboarding"
        # nor through set_roles, for anyone, themselves included
        assert refused(lambda: rpc.staff.set_roles(hr_id, ["hr", "admin"])).exc_type == "Forbidden"
    with harness.rpc(admin) as rpc:
        assert rpc.staff.get_staff(hr_id)["roles"] == ["hr"]


def test_unknown_user_wrong_password_and_locked_account_look_alike(harness, admin):
    with harness.rpc() as rpc:
        for _ in range(5):
            refused(lambda: rpc.staff.login("admin", "wrong-password-1"))
        answers = [refused(partial(rpc.staff.login, username, password)) for username, password in (
            ("nobody.here", "whatever-123"), ("admin", "wrong-password-2"), ("admin", ADMIN_PASSWORD))]
    assert {(e.exc_type, e.value) for e in answers} == {("Unauthenticated", BAD_LOGIN)}


def test_login_takes_as_long_for_unknown_users_as_for_existing_ones(harness, admin):
    hire_and_activate(harness, admin, "timing.one", ["agent"])
    durations = {"existing": [], "unknown": []}
    with harness.rpc() as rpc:
        def attempt(kind):
            username = "timing.one" if kind == "existing" else "timing.none"
            started = time.perf_counter()
            refused(lambda: rpc.staff.login(username, "not-the-password-9"))
            return time.perf_counter() - started
        for kind in ("existing", "unknown") * 2:  # warm-up
            attempt(kind)
        rpc.staff.login("timing.one", PASSWORD)  # clears the failures
        for _ in range(15):  # alternating, below the lockout (failures of timing.one are cleared)
            for kind in ("existing", "unknown"):
                durations[kind].append(attempt(kind))
            if len(durations["existing"]) % 4 == 0:
                rpc.staff.login("timing.one", PASSWORD)
    # each pair ran back to back, so a busy machine slows both of a pair alike: their ratio, not the
    # absolute times, is compared (without the dummy argon2 work an unknown user answers ~50x faster)
    ratios = [e / u for e, u in zip(durations["existing"], durations["unknown"], strict=True)]
    assert 0.8 < statistics.median(ratios) < 1.25, ratios


def test_parallel_guesses_do_not_pass_the_lockout_limit(harness, admin, staff):
    with harness.rpc() as rpc:
        guesses = [rpc.staff.login.call_async("admin", f"wrong-password-{i}") for i in range(12)]
        for guess in guesses:
            assert refused(guess.result).value == BAD_LOGIN
        # the account is locked: even the right password is refused
        assert refused(lambda: rpc.staff.login("admin", ADMIN_PASSWORD)).value == BAD_LOGIN
    # and no more than the limit of guesses was ever tried against the password
    with sa.create_engine(staff.config["DATABASE_URL"]).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM login_failures")).scalar() == 5


def test_the_last_active_admin_keeps_admin_and_stays_active(harness, admin):
    admin_id = login(harness, "admin", ADMIN_PASSWORD)["staff_id"]
    other = hire_and_activate(harness, admin, "admin.two", ["agent"])
    with harness.rpc(admin) as rpc:
        assert refused(lambda: rpc.staff.set_roles(admin_id, ["agent"])).exc_type == "Conflict"
        rpc.staff.set_roles(other, ["admin"])
    second = login(harness, "admin.two", PASSWORD)["token"]
    with harness.rpc(second) as rpc:
        rpc.staff.set_status(admin_id, "suspended")
        assert refused(lambda: rpc.staff.set_roles(other, ["agent"])).exc_type == "Conflict"
        assert refused(lambda: rpc.staff.set_status(other, "left")).exc_type == "Conflict"
        rpc.staff.set_status(admin_id, "active")
        rpc.staff.set_roles(admin_id, ["admin"])
    first = login(harness, "admin", ADMIN_PASSWORD)["token"]
    with harness.rpc(first) as rpc:
        rpc.staff.set_status(other, "suspended")  # another active admin remains: allowed
        assert refused(lambda: rpc.staff.set_roles(admin_id, ["hr"])).exc_type == "Conflict"


def test_codes_are_taken_as_written_unique_regardless_of_case(harness, admin):
    staff_id = hire_and_activate(harness, admin, "code.case", ["agent"], code="CS-AGENT-01")
    with harness.rpc(admin) as rpc:
        assert rpc.staff.get_position("cs-agent-01")["code"] == "CS-AGENT-01"
        assert refused(lambda: rpc.staff.create_position(position(code="cs-Agent-01"))).exc_type == "Conflict"
        assert rpc.staff.apply("Cs-Agent-01", candidate(certificates=["PUTONGHUA-2B"]))["eligible"] is True
        rpc.staff.add_certificate(staff_id, {"code": "First_Aid-2", "name": "First aid",
                                             "issued_on": "2024-01-01"})
        duplicate = {"code": "first_aid-2", "name": "First aid", "issued_on": "2024-01-01"}
        assert refused(lambda: rpc.staff.add_certificate(staff_id, duplicate)).exc_type == "Conflict"
        assert [c["code"] for c in rpc.staff.get_staff(staff_id)["certificates"]] == ["First_Aid-2"]


def _required(method):
    signature = inspect.signature(getattr(Service, method))
    return [name for name, p in signature.parameters.items()
            if name != "self" and p.default is inspect.Parameter.empty]


def test_every_method_names_missing_and_unknown_arguments(harness, staff):
    assert set(PERMISSIONS) == {m for m in PERMISSIONS if hasattr(Service, m)}
    with harness.rpc() as rpc:
        for method in sorted(PERMISSIONS):
            required = _required(method)
            if required:
                error = refused(getattr(rpc.staff, method))
                assert error.exc_type == "ValidationError", method
                assert all(name in error.value for name in required), (method, error.value)
            arguments = {name: "x1" for name in required}
            error = refused(partial(getattr(rpc.staff, method), **arguments, surplus_argument=1))
            assert error.exc_type == "ValidationError" and "surplus_argument" in error.value, method


def test_a_one_time_password_must_be_changed_first_and_the_change_ends_old_sessions(harness, admin):
    staff_id = hire(harness, admin, "one.time", ["agent"])
    first = login(harness, "one.time", FIRST_PASSWORD)
    assert first["must_change_password"] is True
    with harness.rpc(first["token"]) as rpc:
        error = refused(rpc.staff.acknowledge_security_rules)
        assert error.exc_type == "Forbidden" and "change_password" in error.value
        weak = refused(lambda: rpc.staff.change_password(FIRST_PASSWORD, "password1234"))
        assert weak.exc_type == "ValidationError" and "new_password" in weak.value
        assert "password1234" not in weak.value
        changed = rpc.staff.change_password(FIRST_PASSWORD, PASSWORD)
    assert changed["must_change_password"] is False
    with harness.rpc(first["token"]) as rpc:  # the token of the one-time password died
        assert refused(rpc.staff.logout).exc_type == "Unauthenticated"
    with harness.rpc(admin) as rpc:
        one_time = rpc.staff.reset_password(staff_id)["one_time_password"]
    assert refused(lambda: login(harness, "one.time", PASSWORD)).value == BAD_LOGIN
    assert login(harness, "one.time", one_time)["must_change_password"] is True


def test_logout_and_revoke_all_tokens_end_sessions_everywhere(harness, admin):
    appraisal = harness.start("appraisal")
    staff_id = hire_and_activate(harness, admin, "logout.me", ["agent"])
    token = login(harness, "logout.me", PASSWORD)["token"]
    with entrypoint_waiter(appraisal.container, "on_staff_changed"):
        with harness.rpc(token) as rpc:
            assert rpc.staff.logout() == {"logged_out": True}
    with harness.rpc(token) as rpc:
        assert refused(lambda: rpc.staff.get_staff(staff_id)).exc_type == "Unauthenticated"
        assert refused(rpc.appraisal.list_templates).exc_type == "Unauthenticated"
    token = login(harness, "logout.me", PASSWORD)["token"]
    with entrypoint_waiter(appraisal.container, "on_staff_changed"):
        with harness.rpc(admin) as rpc:
            assert rpc.staff.revoke_all_tokens() == {"revoked": 2}
    for stale in (token, admin):
        with harness.rpc(stale) as rpc:
            assert refused(lambda: rpc.staff.get_staff(staff_id)).exc_type == "Unauthenticated"
    fresh = login(harness, "admin", ADMIN_PASSWORD)["token"]
    with harness.rpc(fresh) as rpc:
        assert rpc.staff.get_staff(staff_id)["username"] == "logout.me"


def test_the_security_rules_are_acknowledged_to_start_and_a_lapse_is_announced_once(harness, admin):
    received.clear()
    listener = harness.start("listener", Listener, harness.config_for("ticket"))
    staff_id = hire(harness, admin, "ack.me", ["agent"])
    with harness.rpc(admin) as rpc:
        for module in ("culture", "service_process", "privacy_security"):
            assert rpc.staff.complete_training(staff_id, module, 80)["status"] == "onboarding"
        assert refused(lambda: rpc.staff.set_status(staff_id, "active")).exc_type == "Conflict"
    settle_in(harness, "ack.me")  # acknowledges: every module passed too, so now active
    with harness.rpc(admin) as rpc:
        record = rpc.staff.get_staff(staff_id)
        assert record["status"] == "active"
        acknowledgment = record["security_acknowledgment"]
        assert acknowledgment["current"] is True
        expires_on = date.fromisoformat(acknowledgment["expires_on"])
        assert expires_on == date.today() + timedelta(days=365)
        assert rpc.staff.scan_security_acknowledgments(
            (expires_on - timedelta(days=1)).isoformat()) == {"notified": 0}
        with entrypoint_waiter(listener.container, "on_lapsed"):
            assert rpc.staff.scan_security_acknowledgments(expires_on.isoformat()) == {"notified": 1}
        assert rpc.staff.scan_security_acknowledgments(expires_on.isoformat()) == {"notified": 0}
    assert [e["data"] for e in received] == [{"staff_id": staff_id, "expired_on": expires_on.isoformat()}]


def test_get_staff_is_the_token_check_and_one_query(harness, admin, staff):
    """The first call of a member after their version changed reads it (``token_versions``); later
    calls take it from the instance's memory, kept current by ``staff.changed``: one query each."""
    staff_id = hire_and_activate(harness, admin, "reads.once", ["agent"])  # activation bumped the version
    with harness.rpc(admin) as rpc:
        rpc.staff.add_certificate(staff_id, {"code": "first-aid", "name": "First aid", "issued_on": "2024-01-01"})
    with harness.rpc() as rpc:
        token = rpc.staff.login("reads.once", PASSWORD)["token"]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    sa.event.listen(_engine(staff), "before_cursor_execute", count)
    try:
        with harness.rpc(token) as rpc:
            record = rpc.staff.get_staff(staff_id)
            cold = list(statements)
            statements.clear()
            rpc.staff.get_staff(staff_id)
            warm = list(statements)
    finally:
        sa.event.remove(_engine(staff), "before_cursor_execute", count)
    assert len(record["trainings"]) == 3 and len(record["certificates"]) == 1
    assert len(cold) == 2, cold
    assert "token_versions" in cold[0] and "JOIN" in cold[1].upper()
    assert len(warm) == 1 and "JOIN" in warm[0].upper(), warm
