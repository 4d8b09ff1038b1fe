"""The appraisal service's methods over the real storage and domain, without a broker (see conftest)."""
import pytest

from anchang_common.errors import Conflict, DependencyUnavailable, Forbidden, NotFound, ValidationError
from anchang_common.events import make_envelope
from appraisal.default_template import DEFAULT_TEMPLATE
from tests.unit.appraisal.conftest import principal
from tests.unit.appraisal.events_for_tests import feed, handled_ticket
from tests.unit.appraisal.templates_for_tests import small_template

ADMIN = principal("root", "admin")
HR = principal("hr1", "hr")
BOSS = principal("boss", "supervisor")
OTHER_BOSS = principal("boss2", "supervisor")
ANN = principal("ann")
BOB = principal("bob")
MARCH = {"code": "2026-03", "period_start": "2026-03-01", "period_end": "2026-03-31", "template_code": "SMALL-1"}


def staffed(world, *agents, template=None):
    for agent in agents:
        world.staff.add(agent, position_code="CS-AGENT", certificates=("CS-L1",))
    world.staff.add("boss", roles=("supervisor",))
    world.staff.add("gone", status="left")
    world.as_(HR).create_template(template or small_template())


def rate(world, who, staff_id, level, cycle="2026-03", **kwargs):
    return world.as_(who).submit_rating(cycle, staff_id, {"courtesy": level}, **kwargs)


# -- templates -------------------------------------------------------------------------------------
def test_template_errors_name_the_path_and_codes_are_found_in_any_case(world):
    bad = small_template()
    bad["dimensions"][1]["kpis"][1]["weight"] = "heavy"
    with pytest.raises(ValidationError) as refused:
        world.as_(HR).create_template(bad)
    assert refused.value.errors == {"template.dimensions[1].kpis[1].weight": "must be an integer between 1 and 100"}
    assert "heavy" not in str(refused.value)
    created = world.as_(HR).create_template(small_template("Small-Team"))
    assert created["code"] == "Small-Team" and created["created_at"]
    assert world.as_(ANN).get_template("SMALL-TEAM")["code"] == "Small-Team"
    with pytest.raises(Conflict):
        world.as_(HR).create_template(small_template("small-team"))
    with pytest.raises(NotFound):
        world.as_(ANN).get_template("nothing-here")
    with pytest.raises(Forbidden):
        world.as_(ANN).create_template(small_template("mine"))


def test_the_default_template_is_served_as_seeded(world):
    world.as_(ADMIN).create_template(DEFAULT_TEMPLATE)
    template = world.as_(ANN).get_template("DEFAULT")
    assert [d["key"] for d in template["dimensions"]] == [d["key"] for d in DEFAULT_TEMPLATE["dimensions"]]
    assert [t["code"] for t in world.as_(ANN).list_templates()] == ["default"]


# -- cycles and ratings ----------------------------------------------------------------------------
def test_a_cycle_has_one_appraisal_per_active_member(world):
    staffed(world, "ann", "bob")
    cycle = world.as_(BOSS).open_cycle(MARCH)
    assert cycle["staff_ids"] == ["ann", "bob", "boss"] and cycle["status"] == "open"
    assert ("list_staff", "active") in world.staff.calls
    with pytest.raises(Conflict):
        world.as_(BOSS).open_cycle(MARCH)
    assert world.as_(BOSS).open_cycle(MARCH | {"code": "Spring-A"})["code"] == "Spring-A"
    with pytest.raises(Conflict):  # codes are the same regardless of case
        world.as_(BOSS).open_cycle(MARCH | {"code": "spring-a"})
    assert world.as_(ANN).get_cycle("SPRING-A")["code"] == "Spring-A"
    with pytest.raises(NotFound):
        world.as_(BOSS).open_cycle(MARCH | {"code": "2026-04", "template_code": "nope"})
    with pytest.raises(ValidationError) as bad:
        world.as_(BOSS).open_cycle(MARCH | {"code": "2026-05", "period_end": "2026-02-01"})
    assert set(bad.value.errors) == {"cycle.period_end"}


def test_who_rates_whom(world):
    staffed(world, "ann", "bob")
    world.as_(BOSS).open_cycle(MARCH)
    assert rate(world, BOSS, "ann", 4)["kind"] == "supervisor"
    assert rate(world, ANN, "ann", 5)["kind"] == "self"
    with pytest.raises(Forbidden):  # an agent rates nobody else
        rate(world, BOB, "ann", 1)
    # a supervisor rating themselves gives a self-assessment, never a supervisor rating
    assert rate(world, BOSS, "boss", 5)["kind"] == "self"
    card = world.as_(BOSS).get_scorecard("2026-03", "boss")
    courtesy = card["dimensions"][0]["kpis"][1]
    assert courtesy["score"] is None and courtesy["events"] == 1  # a self-assessment alone does not count


def test_ratings_are_validated_against_the_cycles_template(world):
    staffed(world, "ann")
    world.as_(BOSS).open_cycle(MARCH)
    with pytest.raises(ValidationError) as bad:
        world.as_(BOSS).submit_rating("2026-03", "ann", {"courtesy": 6, "charm": 3})
    assert bad.value.errors == {"ratings.courtesy": "must be an integer level 1..5",
                                "ratings.charm": "not a rating KPI of the cycle's template"}
    with pytest.raises(ValidationError) as bad:
        rate(world, BOSS, "ann", 4, comment="called her on 138 0013 8000")
    assert set(bad.value.errors) == {"comment"} and "138" not in str(bad.value)
    with pytest.raises(NotFound):
        rate(world, BOSS, "outsider", 4)


def test_a_later_rating_by_the_same_supervisor_replaces_the_earlier_one(world):
    staffed(world, "ann")
    world.as_(BOSS).open_cycle(MARCH)
    rate(world, BOSS, "ann", 1)
    rate(world, BOSS, "ann", 4)
    rate(world, OTHER_BOSS, "ann", 5)
    courtesy = world.as_(BOSS).get_scorecard("2026-03", "ann")["dimensions"][0]["kpis"][1]
    assert (courtesy["raw"], courtesy["score"], courtesy["events"]) == (4.5, 90, 2)


# -- scorecards ------------------------------------------------------------------------------------
def test_events_change_the_scorecard_and_every_number_says_where_it_came_from(world):
    staffed(world, "ann", "bob")
    world.as_(BOSS).open_cycle(MARCH)
    # ann: 4 first responses, 3 within (75 % of 90 -> 83.33); 2 resolved tickets, one reopened (50 %)
    feed(world, handled_ticket("t1", "ann", "2026-03-02") + handled_ticket("t2", "ann", "2026-03-03")
         + handled_ticket("t3", "ann", "2026-03-04", first_within=False, reopened=True)
         + handled_ticket("t4", "ann", "2026-03-05")[:3])
    rate(world, BOSS, "ann", 4)
    rate(world, ANN, "ann", 5)
    card = world.as_(ANN).get_scorecard("2026-03", "ann")
    service, quality = card["dimensions"]
    frt, courtesy = service["kpis"]
    assert frt == {"key": "frt", "label": "frt", "source": "metric:first_response_compliance", "rule": "linear",
                   "raw": 75.0, "target": 90.0, "score": 83.33, "weight": 50, "events": 4, "measured": True}
    assert (courtesy["raw"], courtesy["score"], courtesy["events"]) == (4.2, 84, 2)
    reopen, certs = quality["kpis"]
    # reopen 1 of 3 resolved = 33.33 % against 10 % -> 30; one certificate held -> 100
    assert (reopen["raw"], reopen["score"], reopen["events"]) == (33.33, 30, 5)
    assert (certs["raw"], certs["score"]) == (1, 100)
    # service (83.33 + 84) / 2 = 83.67; quality 65; final 0.6 * 83.666.. + 0.4 * 65 = 76.2 -> B
    assert (service["score"], quality["score"], card["final_score"], card["grade"]) == (83.67, 65, 76.2, "B")
    assert card["rank"] is None and card["finalized"] is False


def test_a_member_reads_their_own_scorecard_supervisors_and_admins_all(world):
    staffed(world, "ann", "bob")
    world.as_(BOSS).open_cycle(MARCH)
    assert world.as_(ANN).get_scorecard("2026-03", "ann")["staff_id"] == "ann"
    assert world.as_(BOSS).get_scorecard("2026-03", "bob")["staff_id"] == "bob"
    assert world.as_(ADMIN).get_scorecard("2026-03", "bob")["staff_id"] == "bob"
    with pytest.raises(Forbidden):
        world.as_(BOB).get_scorecard("2026-03", "ann")
    with pytest.raises(Forbidden):
        world.as_(HR).get_scorecard("2026-03", "ann")


# -- calibration and finalisation ------------------------------------------------------------------
def test_calibration_shows_harsh_and_lenient_supervisors(world):
    staffed(world, "ann", "bob", "cai", "dan")
    world.as_(BOSS).open_cycle(MARCH)
    for agent in ("ann", "bob"):
        rate(world, BOSS, agent, 2)
    for agent in ("cai", "dan"):
        rate(world, OTHER_BOSS, agent, 5)
    view = world.as_(HR).calibration("2026-03")
    assert view["department_mean_rating"] == 3.5 and view["unrated"] == 1  # boss himself
    by_id = {s["supervisor_id"]: s for s in view["supervisors"]}
    assert by_id["boss"]["mean_rating"] == 2 and by_id["boss"]["difference"] == -1.5
    assert by_id["boss"]["tendency"] == "harsh" and by_id["boss2"]["tendency"] == "lenient"
    # courtesy 2 -> 40; service 40 (no first responses) -> 24; quality: certificate 100 -> 40: 64 -> C
    assert by_id["boss"]["grades"] == {"A": 0, "B": 0, "C": 2, "D": 0} and by_id["boss"]["rated"] == 2
    # courtesy 5 -> 100: 60 + 40 = 100 -> A
    assert by_id["boss2"]["grades"] == {"A": 2, "B": 0, "C": 0, "D": 0}
    with pytest.raises(Forbidden):
        world.as_(ANN).calibration("2026-03")


def test_finalising_computes_grades_and_ranks_locks_the_cycle_and_announces_it(world):
    staffed(world, "ann", "bob", "cai")
    world.as_(BOSS).open_cycle(MARCH)
    rate(world, BOSS, "ann", 5)
    rate(world, BOSS, "bob", 3)
    rate(world, BOSS, "cai", 5)
    world.staff.members["cai"]["status"] = "left"  # left during the cycle: kept, marked, not ranked
    result = world.as_(BOSS).finalize_cycle("2026-03")
    assert result["status"] == "finalized" and result["staff_count"] == 4
    assert world.events.of("appraisal.finalized") == [{"cycle_code": "2026-03", "staff_count": 4}]
    cards = {s: world.as_(ADMIN).get_scorecard("2026-03", s) for s in ("ann", "bob", "cai", "boss")}
    # ann 100 (A), bob: courtesy 60 -> 36 + 40 = 76 (B), boss: quality only (no certificate) -> 0 (D)
    assert [(cards[s]["final_score"], cards[s]["grade"], cards[s]["rank"]) for s in ("ann", "bob", "boss")] == [
        (100, "A", 1), (76, "B", 2), (0, "D", 3)]
    assert cards["cai"]["left"] is True and cards["cai"]["rank"] is None and cards["cai"]["grade"] == "A"
    with pytest.raises(Conflict):
        rate(world, BOSS, "bob", 5)
    with pytest.raises(Conflict):
        world.as_(BOSS).finalize_cycle("2026-03")
    # facts arriving later do not move a finalised scorecard
    feed(world, handled_ticket("t9", "bob", "2026-03-20", first_within=False))
    assert world.as_(ADMIN).get_scorecard("2026-03", "bob") == cards["bob"]


def test_a_member_who_leaves_is_marked_by_the_staff_event_while_the_cycle_is_open(world):
    staffed(world, "ann")
    world.as_(BOSS).open_cycle(MARCH)
    changed = {"staff_id": "ann", "token_version": 3, "status": "left", "roles": ["agent"]}
    earlier = {"staff_id": "ann", "token_version": 2, "status": "active", "roles": ["agent"]}
    worker = world.handler()
    for data, at in ((changed, "2026-03-10T00:00:00+00:00"), (earlier, "2026-03-09T00:00:00+00:00")):
        worker.on_member_status_changed(make_envelope("staff.changed", data) | {"occurred_at": at})
    card = world.as_(BOSS).get_scorecard("2026-03", "ann")
    assert card["member_status"] == "left" and card["left"] is True


# -- promotions ------------------------------------------------------------------------------------
def two_cycles(world, ladder, ann_level=5, bob_level=5):
    staffed(world, "ann", "bob", template=small_template(ladder=ladder))
    # bob holds a certificate, but not the one the next position asks for
    world.staff.members["bob"]["certificates"][0]["code"] = "OTHER-1"
    world.staff.positions["CS-SENIOR"] = ["CS-L1"]
    for code, start, end in (("2026-02", "2026-02-01", "2026-02-28"), ("2026-03", "2026-03-01", "2026-03-31")):
        world.as_(BOSS).open_cycle({"code": code, "period_start": start, "period_end": end,
                                    "template_code": "SMALL-1"})
        rate(world, BOSS, "ann", ann_level, cycle=code)
        rate(world, BOSS, "bob", bob_level, cycle=code)
        world.as_(BOSS).finalize_cycle(code)


def test_a_promotion_is_recommended_after_two_good_cycles_with_the_certificates(world):
    two_cycles(world, {"cs-agent": "CS-SENIOR"})
    # after the first cycle nobody has two cycles yet; after the second ann qualifies, bob lacks CS-L1
    assert world.events.of("appraisal.promotion_recommended") == [
        {"cycle_code": "2026-03", "staff_id": "ann", "grade": "A", "position_code": "CS-SENIOR",
         "current_position_code": "CS-AGENT"}]
    bob = world.as_(ADMIN).get_scorecard("2026-03", "bob")
    assert bob["grade"] == "A"  # graded well enough: the certificate is what he lacks


def test_no_promotion_after_a_c_or_without_a_ladder_step(world):
    two_cycles(world, {"CS-AGENT": "CS-SENIOR"}, ann_level=1)  # ann: courtesy 20 -> 12 + 20 = 32 -> D
    assert world.events.of("appraisal.promotion_recommended") == []


def test_a_ladder_naming_an_unknown_position_recommends_nobody(world):
    two_cycles(world, {"CS-AGENT": "CS-GHOST"})
    assert world.events.of("appraisal.promotion_recommended") == []
    assert ("get_position", "CS-GHOST") in world.staff.calls


def test_staff_unavailable_leaves_nothing_half_written(world):
    staffed(world, "ann")
    world.as_(BOSS).open_cycle(MARCH)
    rate(world, BOSS, "ann", 5)

    def down(status=None):
        raise DependencyUnavailable("a service this call needs is unavailable")
    world.staff.list_staff = down
    with pytest.raises(DependencyUnavailable):
        world.as_(BOSS).finalize_cycle("2026-03")
    with pytest.raises(DependencyUnavailable):
        world.as_(BOSS).open_cycle(MARCH | {"code": "2026-04"})
    assert world.as_(BOSS).get_cycle("2026-03")["status"] == "open" and world.events.published == []
    with pytest.raises(NotFound):
        world.as_(BOSS).get_cycle("2026-04")
    assert rate(world, BOSS, "ann", 4)["kind"] == "supervisor"  # still open for ratings
