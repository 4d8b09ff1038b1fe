"""The staff service's methods over the real storage and domain, without a broker (see conftest)."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from anchang_common.errors import Conflict, Forbidden, Unauthenticated, ValidationError
from staff.accounts import BAD_LOGIN
from staff.models import LoginFailure, Staff
from tests.unit.staff.conftest import ADMIN_PASSWORD

PASSWORD = "onboard-2026-ok"
NEW_PASSWORD = "blue-lantern-77"
GOOD_SCORES = {"communication": 9, "knowledge": 4}


def position(code="CS-AGENT-01"):
    return {"code": code, "title": "Service agent",
            "requirements": {"min_age": 18, "max_age": 40, "min_education": "college",
                             "certificates": ["Putonghua-2B"]},
            "scorecard": {"criteria": [
                {"key": "communication", "label": "Communication", "weight": 60, "max_score": 10},
                {"key": "knowledge", "label": "Business knowledge", "weight": 40, "max_score": 5}],
                "pass_score": 70, "min_assessors": 1}}


CANDIDATE = {"name": "张三", "birth_date": "2000-05-01", "education": "bachelor",
             "certificates": ["putonghua-2b"]}


def hire(world, admin, username="zhang.san", roles=("agent",), code="CS-AGENT-01"):
    service = world.as_(admin)
    try:
        service.create_position(position(code))
    except Conflict:
        pass
    candidate_id = service.apply(code, CANDIDATE)["candidate_id"]
    service.record_assessment(candidate_id, GOOD_SCORES)
    return service.hire(candidate_id, username, PASSWORD, list(roles))["staff_id"]


def onboard(world, admin, username="zhang.san", roles=("agent",)):
    """Hired, first password changed, rules acknowledged, every module passed: active."""
    staff_id = hire(world, admin, username, roles)
    member = world.login(username, PASSWORD)
    member = world.as_(member).change_password(PASSWORD, NEW_PASSWORD)["token"]
    world.as_(member).acknowledge_security_rules()
    for module in ("culture", "service_process", "privacy_security"):
        result = world.as_(admin).complete_training(staff_id, module, 80)
    assert result["status"] == "active"
    return staff_id


def test_codes_are_kept_as_written_unique_regardless_of_case_and_found_in_any_case(world, admin):
    service = world.as_(admin)
    assert service.create_position(position("CS-AGENT-01"))["code"] == "CS-AGENT-01"
    assert service.get_position("cs-agent-01")["code"] == "CS-AGENT-01"
    with pytest.raises(Conflict):
        service.create_position(position("cs-Agent-01"))
    with pytest.raises(ValidationError) as bad:
        service.create_position(position("CS AGENT/01"))
    assert "position.code" in bad.value.errors
    # a required certificate written in another case is the same certificate
    assert service.apply("cs-agent-01", CANDIDATE)["eligible"] is True


def test_a_new_hire_must_change_the_one_time_password_before_anything_else(world, admin):
    hire(world, admin)
    session = world.as_().login("zhang.san", PASSWORD)
    assert session["must_change_password"] is True and session["token"].must_change_password is True
    with pytest.raises(Forbidden) as refused:
        world.as_(session["token"]).acknowledge_security_rules()
    assert "change_password" in str(refused.value)
    with pytest.raises(ValidationError) as common:
        world.as_(session["token"]).change_password(PASSWORD, "password123")
    assert "new_password" in common.value.errors and "common" in common.value.errors["new_password"]
    renewed = world.as_(session["token"]).change_password(PASSWORD, NEW_PASSWORD)
    assert renewed["must_change_password"] is False
    with pytest.raises(Unauthenticated):  # the one-time session ended with the change
        world.as_(session["token"]).logout()
    assert world.as_().login("zhang.san", NEW_PASSWORD)["must_change_password"] is False


def test_activation_needs_every_module_and_a_current_security_acknowledgment(world, admin):
    staff_id = hire(world, admin)
    member = world.as_(world.login("zhang.san", PASSWORD)).change_password(PASSWORD, NEW_PASSWORD)["token"]
    for module in ("culture", "service_process", "privacy_security"):
        assert world.as_(admin).complete_training(staff_id, module, 80)["status"] == "onboarding"
    with pytest.raises(Conflict):
        world.as_(admin).set_status(staff_id, "active")
    acknowledged = world.as_(member).acknowledge_security_rules()
    assert acknowledged["status"] == "active" and acknowledged["current"] is True
    record = world.as_(admin).get_staff(staff_id)["security_acknowledgment"]
    assert record["current"] is True
    assert record["expires_on"] == (date.today() + timedelta(days=365)).isoformat()
    assert world.events.of("staff.activated") == [{"staff_id": staff_id}]
    assert [e["staff_id"] for e in world.events.of("staff.security_acknowledged")] == [staff_id]


def test_a_lapsed_acknowledgment_is_announced_once(world, admin):
    staff_id = onboard(world, admin)
    service = world.as_(admin)
    later = date.today() + timedelta(days=364)
    assert service.scan_security_acknowledgments(later.isoformat()) == {"notified": 0}
    lapsed = (date.today() + timedelta(days=365)).isoformat()
    assert service.scan_security_acknowledgments(lapsed) == {"notified": 1}
    assert service.scan_security_acknowledgments(lapsed) == {"notified": 0}
    assert world.events.of("staff.security_acknowledgment_lapsed") == [
        {"staff_id": staff_id, "expired_on": lapsed}]


def test_hr_hires_agents_only(world, admin):
    hr_id = onboard(world, admin, "hr.one", ("hr",))
    hr = world.principal(hr_id)
    service = world.as_(hr)
    service.create_position(position("HR-POS"))
    candidate_id = service.apply("hr-pos", CANDIDATE)["candidate_id"]
    service.record_assessment(candidate_id, GOOD_SCORES)
    for roles in (["admin"], ["agent", "hr"], ["auditor"], ["supervisor"], ["agent", "supervisor"]):
        with pytest.raises(Forbidden):
            service.hire(candidate_id, "wang.wu", PASSWORD, roles)
    assert service.hire(candidate_id, "wang.wu", PASSWORD, ["agent"])["status"] == "onboarding"


def test_the_last_active_admin_keeps_admin_and_stays_active(world, admin):
    service = world.as_(admin)
    with pytest.raises(Conflict):
        service.set_roles("admin0", ["agent"])
    second = onboard(world, admin, "admin.two", ("agent",))
    service.set_roles(second, ["admin"])
    world.as_(world.principal(second)).set_status("admin0", "suspended")
    with pytest.raises(Conflict):  # admin.two is the last active admin now
        world.as_(world.principal(second)).set_roles(second, ["agent"])



def test_login_refuses_unknown_wrong_and_locked_alike_and_counts_failures(world, admin, engine):
    for username, password in (("nobody", "whatever-123"), ("admin", "wrong-password-1")):
        with pytest.raises(Unauthenticated) as refused:
            world.as_().login(username, password)
        assert str(refused.value) == BAD_LOGIN
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            world.as_().login("admin", "wrong-password-1")
    with pytest.raises(Unauthenticated) as locked:
        world.as_().login("admin", ADMIN_PASSWORD)
    assert str(locked.value) == BAD_LOGIN
    with engine.connect() as connection:  # a guess at a locked account is not even tried
        assert connection.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 5


def test_reset_password_gives_a_one_time_password_and_ends_the_sessions(world, admin):
    staff_id = onboard(world, admin)
    member = world.login("zhang.san", NEW_PASSWORD)
    reset = world.as_(admin).reset_password(staff_id)
    with pytest.raises(Unauthenticated):
        world.as_(member).acknowledge_security_rules()
    assert world.as_().login("zhang.san", reset["one_time_password"])["must_change_password"] is True


def test_logout_and_revoke_all_tokens_end_sessions(world, admin):
    staff_id = onboard(world, admin)
    member = world.login("zhang.san", NEW_PASSWORD)
    world.as_(member).logout()
    with pytest.raises(Unauthenticated):
        world.as_(member).get_staff(staff_id)
    member = world.login("zhang.san", NEW_PASSWORD)
    before = len(world.events.of("staff.changed"))
    assert world.as_(admin).revoke_all_tokens() == {"revoked": 2}
    assert {e["staff_id"] for e in world.events.of("staff.changed")[before:]} == {"admin0", staff_id}
    for principal in (member, admin):
        with pytest.raises(Unauthenticated):
            world.as_(principal).get_staff(staff_id)


def test_get_staff_shows_the_record_and_no_secret(world, admin):
    staff_id = onboard(world, admin)
    world.as_(admin).add_certificate(staff_id, {"code": "First-Aid", "name": "First aid",
                                                "issued_on": "2024-01-01"})
    with pytest.raises(Conflict):
        world.as_(admin).add_certificate(staff_id, {"code": "first-aid", "name": "First aid",
                                                    "issued_on": "2024-01-01"})
    record = world.as_(admin).get_staff(staff_id)
    assert [c["code"] for c in record["certificates"]] == ["First-Aid"]
    assert [t["module_code"] for t in record["trainings"]] == ["culture", "service_process", "privacy_security"]
    assert "password" not in str(record).replace("must_change_password", "")
    assert world.session.get(Staff, staff_id).password_hash not in str(record)


def test_suspending_a_new_hire_is_no_way_around_onboarding(world, admin):
    staff_id = hire(world, admin)
    world.as_(admin).set_status(staff_id, "suspended")
    with pytest.raises(Conflict):
        world.as_(admin).set_status(staff_id, "active")
    assert world.as_(admin).get_staff(staff_id)["status"] == "suspended"
    assert world.events.of("staff.activated") == []
