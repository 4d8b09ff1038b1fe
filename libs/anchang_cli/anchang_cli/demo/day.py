"""The demo day from start to end; ``play`` returns what it did, the SLA report and the ranking.

Before the day: the admin logs in (password from ``ANCHANG_ADMIN_PASSWORD`` or ``.run/admin-password``)
and the staff of an earlier demo day leave (``set_status left``), so that today's tickets go to
today's agents and a run never clashes with the last one (codes and usernames carry the run's id).
Urgent repairs get a one-minute policy on a 24/7 calendar for the day, the one way to see SLA breaches
within two minutes; the stack's own policy is put back at the end, even when the day fails."""
import secrets
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from anchang_cli import reports
from anchang_cli.demo import crew as hiring
from anchang_cli.demo import desk
from anchang_cli.demo import script as story
from anchang_cli.demo.calls import Calls
from anchang_cli.errors import DemoFailed

DEMO_CALENDAR = "demo-24x7"
URGENT_REPAIR = ("repair", "urgent")
#: the seeded policy of urgent tickets (docs/contract/ticket.md#sla), put back if an interrupted demo
#: left its own in place
SEEDED_URGENT = {"first_response_minutes": 15, "resolution_minutes": 240, "calendar": "default"}
DEMO_PREFIX = "demo."
APPRAISAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
#: seconds to wait for appraisal to have counted every ticket event of the day
APPRAISAL_CATCH_UP = 60


def run_id():
    """Four characters that make the day's codes and usernames unique."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(4))


def play(amqp_uri, admin_password, progress, *, tickets=300, clients=300, agents=8, breaches=True, seed=None):
    started = time.monotonic()
    seed = secrets.randbelow(2**31) if seed is None else seed
    run = run_id()
    script = story.write(run, seed, agents=agents, clients=clients, tickets=tickets)
    calls = Calls(amqp_uri, progress)
    try:
        session = calls.anonymous.call("staff", "login", "admin", admin_password)
        admin = calls.door(session["token"])
        retired = _retire_earlier_crews(calls, admin)
        original = _demo_policy(admin)
        try:
            crew = hiring.Crew()
            hiring.recruit_supervisors(calls, admin, script, crew)
            front = desk.Desk(calls, crew, script, breaches=breaches)
            front.register_walk_ins()
            front.open_urgent_repairs()
            hiring.recruit_agents(calls, admin, script, crew)
            front.import_clients()
            front.work_tickets()
            ledger = front.ledger
        finally:
            admin.call("ticket", "set_sla_policy", original)
        cycle_code = _appraise(calls, crew, script, ledger)
        report = admin.call("ticket", "sla_report", ledger.since, ledger.until, "agent")
        ranking = reports.ranking(admin, cycle_code)
    finally:
        calls.close()
    return {
        "run": run, "seed": seed, "seconds": round(time.monotonic() - started, 1),
        "since": ledger.since, "until": ledger.until, "cycle_code": cycle_code,
        "story": _story(script, crew, ledger, retired),
        "names": {m.staff_id: m.username for m in crew.supervisors + crew.agents},
        "sla_report": report, "ranking": ranking,
    }


def _retire_earlier_crews(calls, admin):
    """Members of earlier demo days leave: today's tickets go to today's agents."""
    earlier = [m for m in admin.call("staff", "list_staff")
               if m["username"].startswith(DEMO_PREFIX) and m["status"] != "left"]
    if earlier:
        stage = calls.stage("Earlier demo staff leaving", len(earlier))
        stage.run([lambda m=m: admin.send("staff", "set_status", m["staff_id"], "left") for m in earlier])
        stage.done()
    return len(earlier)


def _demo_policy(admin):
    """Put urgent repairs on one minute, 24/7; return the stack's own policy to put back."""
    current = next(p for p in admin.call("ticket", "list_sla_policies")
                   if (p["category"], p["priority"]) == URGENT_REPAIR)
    if current["calendar"] == DEMO_CALENDAR:  # an interrupted demo left it: the seeded one goes back
        current = {**current, **SEEDED_URGENT}
    admin.call("ticket", "set_calendar", {"code": DEMO_CALENDAR, "timezone": "Asia/Shanghai",
                                          "hours": {day: ["00:00", "24:00"] for day in
                                                    ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
    admin.call("ticket", "set_sla_policy", {"category": "repair", "priority": "urgent", "first_response_minutes": 1,
                                            "resolution_minutes": 1, "calendar": DEMO_CALENDAR})
    return current


def _appraise(calls, crew, script, ledger):
    """An appraisal cycle over the day: opened, the supervisors' ratings and some self-assessments once
    appraisal has counted the day's events, then finalised."""
    rng = script.texts
    lead = crew.supervisors[0].door
    today = datetime.now(APPRAISAL_TIMEZONE).date()
    code = f"DEMO-{today:%Y%m%d}-{script.run.upper()}"
    stage = calls.stage("Appraisal: cycle, ratings, final scores", 3 + len(crew.agents) * (len(crew.supervisors) + 2))
    cycle = stage.one(lambda: lead.send("appraisal", "open_cycle", {
        "code": code, "period_start": (today - timedelta(days=1)).isoformat(),
        "period_end": (today + timedelta(days=1)).isoformat(), "template_code": "default"}))
    template = lead.call("appraisal", "get_template", cycle["template_code"])
    rated = [k["key"] for d in template["dimensions"] for k in d["kpis"] if k["source"] == "rating"]
    _wait_for_facts(lead, code, crew, ledger)
    stage.run([lambda s=s, a=a: s.door.send("appraisal", "submit_rating", code, a.staff_id,
                                            {key: story.rating(rng, a.quality) for key in rated})
               for s in crew.supervisors for a in crew.agents])
    if template.get("self_assessment_weight"):
        stage.run([lambda a=a: a.door.send("appraisal", "submit_rating", code, a.staff_id,
                                           {key: min(5, story.rating(rng, a.quality) + 1) for key in rated})
                   for a in crew.agents[::2]])
    stage.one(lambda: lead.send("appraisal", "finalize_cycle", code))
    stage.done()
    return code


def _wait_for_facts(door, code, crew, ledger):
    """Until appraisal has counted, for every agent, the first responses, resolutions and surveys the day
    made (it learns them from ticket events, a moment after each call)."""
    deadline = time.monotonic() + APPRAISAL_CATCH_UP
    expected = {a.staff_id: (ledger.first_responses[a.staff_id], ledger.resolutions[a.staff_id],
                             ledger.surveys[a.staff_id]) for a in crew.agents}
    while True:
        cards = [door.send("appraisal", "get_scorecard", code, staff_id) for staff_id in expected]
        counted = {card["staff_id"]: _counts(card) for card in (c.result() for c in cards)}
        behind = [staff_id for staff_id, counts in expected.items() if counted[staff_id] != counts]
        if not behind:
            return
        if time.monotonic() > deadline:
            raise DemoFailed(f"appraisal has not counted the day's ticket events of {len(behind)} agents "
                             f"after {APPRAISAL_CATCH_UP} s")
        time.sleep(0.5)


def _counts(card):
    events = {k["key"]: k["events"] for d in card["dimensions"] for k in d["kpis"]}
    return (events.get("first_response_compliance"), events.get("resolution_compliance"),
            events.get("mean_satisfaction"))


def _story(script, crew, ledger, retired):
    imported = ledger.imported
    return {
        "earlier_demo_staff_left": retired,
        "candidates": len(script.supervisors) + len(script.agents),
        "screened_out": [reason["code"] for reason in crew.screened_out],
        "failed_assessment": crew.failed,
        "hired": {"supervisors": len(crew.supervisors), "agents": len(crew.agents)},
        "training_retakes": crew.retakes,
        "clients": {"imported": imported["created"], "already_registered": imported["existing"],
                    "rejected_rows": imported["rejected"], "walk_ins": ledger.walk_ins},
        "tickets": {"opened": sum(ledger.opened.values()), "by_category": dict(ledger.opened),
                    "reassigned_to_the_crew": ledger.reassigned, "paused": ledger.paused,
                    "reopened": ledger.reopened, "follow_up_visits": ledger.visits,
                    "surveys": sum(ledger.surveys.values()), "answered_late": ledger.late,
                    "states_at_end": dict(ledger.by_state)},
    }
