"""Recruitment and onboarding, as a sales site does it: positions with requirements, candidates
screened (some out, with the reasons), assessed by the admin and a supervisor, hired, then each new
member's first steps (their own password, the security rules) and training (a module failed and
retaken here and there) until they are active."""
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from anchang_cli.demo import script as story
from anchang_cli.errors import DemoFailed

MODULES = ("culture", "service_process", "privacy_security")


@dataclass
class Member:
    username: str
    roles: list
    skills: list
    quality: float
    first_password: str
    password: str
    staff_id: str = None
    door: object = None          # signed in as the active member


@dataclass
class Crew:
    supervisors: list = field(default_factory=list)
    agents: list = field(default_factory=list)
    screened_out: list = field(default_factory=list)   # [{code, message}] of the candidates screened out
    failed: int = 0                                    # candidates who failed the assessment
    retakes: int = 0                                   # training modules failed, then passed

    def agent(self, staff_id):
        return next((a for a in self.agents if a.staff_id == staff_id), None)


def password():
    """A first or own password that passes the policy: 16 characters with letters and digits."""
    return f"{secrets.token_urlsafe(10)}a7"


def position(code, title, *, low_age, high_age, education, certificates, criteria, min_assessors):
    return {"code": code, "title": title,
            "requirements": {"min_age": low_age, "max_age": high_age, "min_education": education,
                             "certificates": certificates},
            "scorecard": {"criteria": [{"key": k, "label": label, "weight": w, "max_score": 10}
                                       for k, label, w in criteria],
                          "pass_score": 70, "min_assessors": min_assessors}}


SUPERVISOR_CRITERIA = (("leadership", "带队能力 Leadership", 40), ("communication", "沟通表达 Communication", 30),
                       ("operations", "业务流程 Operations", 30))
AGENT_CRITERIA = (("communication", "沟通表达 Communication", 40), ("service_attitude", "服务意识 Attitude", 35),
                  ("operations", "系统操作 Operations", 25))


def scores(rng, criteria, passes):
    low, high = (7, 10) if passes else (3, 6)
    return {key: rng.randint(low, high) for key, _, _ in criteria}


def codes(script):
    return f"DEMO-{script.run.upper()}-SUPERVISOR", f"DEMO-{script.run.upper()}-AGENT"


def recruit_supervisors(calls, admin, script, crew):
    """The two positions of the day, then the supervisors: screened, assessed by the admin, hired,
    onboarded (the admin records their training)."""
    supervisor_code, agent_code = codes(script)
    stage = calls.stage("Recruiting supervisors", 2 + len(script.supervisors) * 4)
    stage.run([
        lambda: admin.send("staff", "create_position", position(
            supervisor_code, "客服主管 Customer service supervisor", low_age=25, high_age=50, education="bachelor",
            certificates=[story.SUPERVISOR_CERTIFICATE[0]], criteria=SUPERVISOR_CRITERIA, min_assessors=1)),
        lambda: admin.send("staff", "create_position", position(
            agent_code, "案场客服 Sales-site customer service agent", low_age=18, high_age=35, education="college",
            certificates=[story.LANGUAGE_CERTIFICATE[0]], criteria=AGENT_CRITERIA, min_assessors=2)),
    ])
    supervisors = _hire(stage, admin, [admin], supervisor_code, script.supervisors, SUPERVISOR_CRITERIA,
                        lambda i: f"demo.{script.run}.super{i + 1:02d}", lambda i: (["supervisor"], None), crew,
                        script.texts)
    stage.done()
    stage = calls.stage("Onboarding supervisors", len(supervisors) * 9)
    _onboard(calls, stage, admin, supervisors, crew, script.texts)
    stage.done()
    crew.supervisors = supervisors


def recruit_agents(calls, admin, script, crew):
    """The agents: screened, assessed by the admin and the lead supervisor (two assessors), hired with
    their skills, onboarded (the lead supervisor records their training); then everyone's certificates."""
    _, agent_code = codes(script)
    lead = crew.supervisors[0].door
    stage = calls.stage("Recruiting agents", len(script.agents) * 5)
    agents = _hire(stage, admin, [admin, lead], agent_code, script.agents, AGENT_CRITERIA,
                   lambda i: f"demo.{script.run}.agent{i + 1:02d}", lambda i: (["agent"], story.skills(i)), crew,
                   script.texts)
    stage.done()
    stage = calls.stage("Onboarding agents", len(agents) * 9)
    _onboard(calls, stage, lead, agents, crew, script.texts)
    stage.done()
    crew.agents = agents
    _certify(calls, admin, crew, script.texts)


def _hire(stage, admin, assessors, code, candidates, criteria, username, roles_and_skills, crew, rng):
    """Apply every candidate, assess the eligible ones, hire those who pass; the hired as ``Member``s."""
    applied = stage.run([lambda c=c: admin.send("staff", "apply", code, c.as_contract()) for c in candidates])
    for reply in applied:
        crew.screened_out += reply["reasons"]
    eligible = [(c, a) for c, a in zip(candidates, applied, strict=True) if a["eligible"]]
    stage.run([lambda c=c, a=a, door=door: door.send("staff", "record_assessment", a["candidate_id"],
                                                     scores(rng, criteria, c.passes))
               for c, a in eligible for door in assessors])
    decisions = stage.run([lambda a=a: admin.send("staff", "decide", a["candidate_id"]) for _, a in eligible])
    passed = [(c, a) for (c, a), d in zip(eligible, decisions, strict=True) if d["decision"] == "pass"]
    crew.failed += len(eligible) - len(passed)
    members = []
    for index, (candidate, _) in enumerate(passed):
        roles, skills = roles_and_skills(index)
        members.append(Member(username=username(index), roles=roles, skills=skills or list(story.CATEGORIES),
                              quality=candidate.quality, first_password=password(), password=password()))
    hired = stage.run([lambda m=m, a=a: admin.send("staff", "hire", a["candidate_id"], m.username,
                                                   m.first_password, m.roles, m.skills)
                       for m, (_, a) in zip(members, passed, strict=True)])
    for member, reply in zip(members, hired, strict=True):
        member.staff_id = reply["staff_id"]
    return members


def _onboard(calls, stage, trainer, members, crew, rng):
    """Each new member changes the one-time password and acknowledges the security rules; the trainer
    records the three modules (a third fail ``culture`` first and retake it); then they log in again."""
    anonymous = calls.anonymous
    first = stage.run([lambda m=m: anonymous.send("staff", "login", m.username, m.first_password) for m in members])
    own_doors = [calls.door(session["token"]) for session in first]
    changed = stage.run([lambda d=d, m=m: d.send("staff", "change_password", m.first_password, m.password)
                         for d, m in zip(own_doors, members, strict=True)])
    for door in own_doors:  # the one-time sessions ended with the password change
        door.close()
    doors = [calls.door(session["token"]) for session in changed]
    stage.run([lambda d=d: d.send("staff", "acknowledge_security_rules") for d in doors])
    rounds = {}  # attempt number -> [(member, module, score)]: one member's attempts one after the other
    for index, member in enumerate(members):
        attempts = [(module, story.training_score(rng, member.quality)) for module in MODULES]
        if index % 3 == 1:
            attempts.insert(0, ("culture", 52.0))
            crew.retakes += 1
        for number, (module, score) in enumerate(attempts):
            rounds.setdefault(number, []).append((member, module, score))
    status = {}
    for number in sorted(rounds):
        results = stage.run([lambda m=m, mod=mod, s=s: trainer.send("staff", "complete_training", m.staff_id, mod, s)
                             for m, mod, s in rounds[number]])
        status |= {m.username: r["status"] for (m, _, _), r in zip(rounds[number], results, strict=True)}
    inactive = sorted(name for name, state in status.items() if state != "active")
    if inactive:
        raise DemoFailed(f"still onboarding after their training: {', '.join(inactive)}")
    for door in doors:  # activation ended the onboarding sessions: they log in again
        door.close()
    sessions = stage.run([lambda m=m: anonymous.send("staff", "login", m.username, m.password) for m in members])
    for member, session in zip(members, sessions, strict=True):
        member.door = calls.door(session["token"])


def _certify(calls, admin, crew, rng):
    """The certificates the new members hold (the language certificate every agent was hired with; first
    aid for some; the supervisors' property-management certificate)."""
    today = date.today()
    certificates = [(m, story.SUPERVISOR_CERTIFICATE) for m in crew.supervisors]
    certificates += [(m, story.LANGUAGE_CERTIFICATE) for m in crew.agents]
    certificates += [(m, story.FIRST_AID_CERTIFICATE) for m in crew.agents if m.quality > 0.7]
    stage = calls.stage("Recording certificates", len(certificates))
    stage.run([lambda m=m, c=c: admin.send("staff", "add_certificate", m.staff_id, {
        "code": c[0], "name": c[1], "issued_on": (today - timedelta(days=rng.randint(60, 900))).isoformat(),
        "expires_on": (today + timedelta(days=rng.randint(200, 1500))).isoformat()}) for m, c in certificates])
    stage.done()
