"""``anchang demo`` over the real stack (the four services on the test's vhost, each dialect): the day
finishes, what it prints agrees with ``ticket.sla_report`` and ``appraisal`` asked directly, urgent
repairs answered late breach, and a second day runs without clashing with the first (whose staff
leave). ``tests/system/test_demo.py`` does the same with ``make demo`` on ``make run``'s stack."""
import json

from tests.integration import cli_fixtures
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.cli_tables import asked, assert_demo_tables_agree

four_services, anchang = cli_fixtures.four_services, cli_fixtures.anchang  # the fixtures, used by name


def direct(harness, since, until, cycle_code):
    """The SLA report, every member's username and the cycle's scorecards, asked of the services."""
    with harness.rpc() as rpc:
        token = rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
    with harness.rpc(token) as rpc:
        report = rpc.ticket.sla_report(since, until, "agent")
        names = {m["staff_id"]: m["username"] for m in rpc.staff.list_staff()}
        cycle = rpc.appraisal.get_cycle(cycle_code)
        cards = {staff_id: rpc.appraisal.get_scorecard(cycle_code, staff_id) for staff_id in cycle["staff_ids"]}
    return report, names, cards


def test_a_demo_day_then_another(anchang, four_services, dialect):
    env = {"ANCHANG_ADMIN_PASSWORD": ADMIN_PASSWORD}
    first = anchang.run("demo", "--tickets", 60, "--clients", 40, "--agents", 4, "--seed", 5, "--json", env=env)
    assert first.exit_code == 0, first.output
    day = json.loads(first.stdout)
    report, names, cards = direct(four_services, day["since"], day["until"], day["cycle_code"])
    assert day["sla_report"] == report
    assert {r["staff_id"]: (r["rank"], r["final_score"], r["grade"]) for r in day["ranking"]["ranking"]} == {
        staff_id: (card["rank"], card["final_score"], card["grade"]) for staff_id, card in cards.items()}
    story = day["story"]
    assert story["tickets"]["opened"] == 60 == sum(g["tickets"] for g in report["groups"])
    assert story["screened_out"] and story["failed_assessment"] and story["clients"]["rejected_rows"]
    assert story["tickets"]["answered_late"] >= 1
    assert sum(g["breaches"] for g in report["groups"]) >= 2 * story["tickets"]["answered_late"]
    crew = {staff_id for staff_id, name in names.items() if name.startswith(f"demo.{day['run']}.")}
    assert len(crew) == 2 + 4 and crew <= set(cards)
    assert all(cards[s]["rank"] is not None for s in crew)
    assert {p["calendar"] for p in _policies(four_services) if (p["category"], p["priority"]) == ("repair", "urgent")} \
        == {"default"}, "the stack's own policy of urgent repairs is back"

    second = anchang.run("demo", "--tickets", 20, "--clients", 10, "--agents", 2, "--no-breaches", env=env)
    assert second.exit_code == 0, second.output
    printed = second.stdout
    since, until, cycle_code = asked(printed)
    assert cycle_code != day["cycle_code"]
    report, names, cards = direct(four_services, since, until, cycle_code)
    assert_demo_tables_agree(printed, report, names, cards)
    assert not crew & set(cards), "the first day's staff left before the second cycle opened"
    assert f"{len(crew)} left" in printed


def _policies(harness):
    with harness.rpc() as rpc:
        token = rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
    with harness.rpc(token) as rpc:
        return rpc.ticket.list_sla_policies()
