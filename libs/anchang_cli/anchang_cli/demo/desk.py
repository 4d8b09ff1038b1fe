"""The front desk and the agents: clients registered and imported, tickets opened, answered, paused,
resolved, reopened, visited, surveyed and closed.

Urgent repairs run on a one-minute policy for the day (``day``). They come in first, at the desk,
before the agents of the day have started, so that a minute has passed by the time the rest of the
day is done: half of them are answered at once when the agents start, the other half only after their
minute ran out, and breach."""
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from anchang_cli import clients_csv
from anchang_cli.commands.clients import run_import
from anchang_cli.demo import script as story
from anchang_cli.errors import DemoFailed

#: seconds past an urgent repair's one-minute budget before the late ones are answered
LATE_MARGIN = 5
#: calls per ticket, for the progress bar's estimate
CALLS_PER_TICKET = 5


@dataclass
class Ticket:
    plan: story.TicketPlan
    view: dict = None
    agent: object = None        # the crew member who works it
    opened_at: float = 0.0      # time.monotonic() when it was opened
    follow_up: dict = None
    score: int = None


@dataclass
class Ledger:
    """What the day did: for the story at the end, and to know when appraisal has counted it all."""
    imported: dict = None
    walk_ins: int = 0
    client_ids: dict = field(default_factory=dict)             # script index -> client id
    opened: Counter = field(default_factory=Counter)          # by category
    by_state: Counter = field(default_factory=Counter)
    first_responses: Counter = field(default_factory=Counter)  # by staff id
    resolutions: Counter = field(default_factory=Counter)
    surveys: Counter = field(default_factory=Counter)
    reassigned: int = 0
    paused: int = 0
    reopened: int = 0
    visits: int = 0
    late: int = 0
    since: str = None
    until: str = None


class Desk:
    def __init__(self, calls, crew, script, breaches=True):
        self.calls, self.crew, self.script = calls, crew, script
        self.rng = script.texts
        self.ledger = Ledger()
        self.tickets = [Ticket(plan) for plan in script.tickets]
        if not breaches:
            for ticket in self.tickets:
                ticket.plan.late = False
        self.urgent = [t for t in self.tickets if t.plan.urgent_repair]
        self.others = [t for t in self.tickets if not t.plan.urgent_repair]
        self.stage = None

    def front_desk(self, index):
        supervisors = self.crew.supervisors
        return supervisors[index % len(supervisors)].door

    # -- clients ---------------------------------------------------------------------------------
    def register_walk_ins(self):
        """Walk-ins registered at the desk, one by one."""
        walk_ins = self.script.walk_ins
        stage = self.calls.stage("Registering walk-in clients", len(walk_ins))
        replies = stage.run([lambda i=i, p=p: self.front_desk(i).send("client_vault", "register_client", p)
                             for i, p in enumerate(walk_ins)])
        stage.done()
        self.ledger.walk_ins = sum(1 for reply in replies if not reply["existing"])
        first = len(self.script.clients)
        self.ledger.client_ids |= {first + i: reply["client_id"] for i, reply in enumerate(replies)}

    def import_clients(self):
        """The sales team's CSV imported as ``anchang client import`` does it (a few rows rejected); then
        the ids of everyone who will call, looked up by phone as an agent would."""
        script, lead = self.script, self.crew.supervisors[0].door
        rows = script.clients + script.bad_rows
        random.Random(script.seed).shuffle(rows)
        self.ledger.imported = run_import(lead, clients_csv.read(clients_csv.write(rows)), progress=self.calls.progress)
        callers = sorted({plan.client for plan in script.tickets if plan.client < len(script.clients)})
        stage = self.calls.stage("Looking clients up by phone", len(callers))
        found = stage.run([lambda i=i: lead.send("client_vault", "find_by_phone", script.clients[i]["phone"])
                           for i in callers])
        stage.done()
        self.ledger.client_ids |= dict(zip(callers, (client["client_id"] for client in found), strict=True))

    # -- tickets ---------------------------------------------------------------------------------
    def open_urgent_repairs(self):
        """The urgent repairs called in first; nobody of the day's crew is there to take them yet."""
        self.stage = self.calls.stage("Tickets: open, respond, resolve", len(self.tickets) * CALLS_PER_TICKET)
        self.ledger.since = _now()
        self._open(self.urgent)

    def work_tickets(self):
        """Every ticket of the script through its day."""
        rng, ledger, urgent, others = self.rng, self.ledger, self.urgent, self.others
        self._assign_to_crew(urgent)
        prompt = [t for t in urgent if not t.plan.late]
        self._respond(prompt)
        self._resolve(prompt)
        self._open(others)
        self._assign_to_crew(others)
        ledger.until = _now(ceil=True)
        self._respond(others)
        paused = [t for t in others if t.plan.pause]
        self._act(paused, "wait_for_customer")
        self._act([t for t in paused if not t.plan.stays_waiting], "resume")
        ledger.paused = len(paused)
        resolved = [t for t in others if not (t.plan.stays_open or t.plan.stays_waiting)]
        self._resolve(resolved)
        reopening = [t for t in resolved if t.plan.reopens]
        self._act(reopening, "reopen", lambda t: rng.choice(story.REOPEN_REASONS))
        self._resolve(reopening)
        ledger.reopened = len(reopening)
        done = prompt + resolved
        visits = [t for t in done if t.follow_up and t.plan.visit_done]
        self.stage.run([lambda t=t: t.agent.door.send("ticket", "complete_follow_up", t.follow_up["follow_up_id"],
                                                      rng.choice(story.VISIT_NOTES)) for t in visits])
        ledger.visits = len(visits)
        self._survey([t for t in done if t.plan.survey])
        self._act([t for t in done if t.plan.closes], "close")
        late = [t for t in urgent if t.plan.late]
        if late:
            self._wait_for_breach(late)
            self._respond(late)
            self._resolve(late)
            self._survey([t for t in late if t.plan.survey])
            ledger.late = len(late)
        self.stage.done()
        ledger.by_state = Counter(t.view["state"] for t in self.tickets)

    def _open(self, batch):
        replies = self.stage.run([lambda t=t: self.front_desk(t.plan.index).send("ticket", "open_ticket", {
            "client_id": self.ledger.client_ids[t.plan.client], "category": t.plan.category,
            "priority": t.plan.priority, "channel": t.plan.channel, "subject": t.plan.subject,
            "description": t.plan.description}) for t in batch])
        for ticket, view in zip(batch, replies, strict=True):
            ticket.view, ticket.opened_at = view, time.monotonic()
            self.ledger.opened[ticket.plan.category] += 1

    def _act(self, batch, method, *arguments):
        """``ticket.<method>(ticket_id, *arguments(ticket))`` by each ticket's agent."""
        replies = self.stage.run([lambda t=t: t.agent.door.send("ticket", method, t.view["ticket_id"],
                                                                *(make(t) for make in arguments)) for t in batch])
        for ticket, reply in zip(batch, replies, strict=True):
            if "state" in reply:  # a ticket view (record_satisfaction answers something else)
                ticket.view = {**ticket.view, **reply}
        return replies

    def _respond(self, batch):
        self._act(batch, "respond", lambda t: self.rng.choice(story.RESPONSES))
        for ticket in batch:
            self.ledger.first_responses[ticket.agent.staff_id] += 1

    def _resolve(self, batch):
        replies = self._act(batch, "resolve", lambda t: self.rng.choice(story.RESOLUTIONS))
        for ticket, reply in zip(batch, replies, strict=True):
            ticket.follow_up = reply.get("follow_up") or ticket.follow_up
            self.ledger.resolutions[ticket.agent.staff_id] += 1

    def _survey(self, batch):
        self._act(batch, "record_satisfaction", self._score, self._comment)
        for ticket in batch:
            self.ledger.surveys[ticket.agent.staff_id] += 1

    def _score(self, ticket):
        score = story.satisfaction(self.rng, ticket.agent.quality)
        ticket.score = score - 1 if ticket.plan.late and score > 1 else score  # a late repair costs a point
        return ticket.score

    def _comment(self, ticket):
        return story.SURVEY_COMMENTS[ticket.score] if ticket.plan.survey_comment else None

    def _assign_to_crew(self, batch):
        """A ticket assigned to nobody, or to someone outside the day's crew, goes to the crew's least
        loaded agent with the skill, by the lead supervisor."""
        crew = self.crew
        load = Counter(t.view["assignee_id"] for t in self.tickets if t.view and crew.agent(t.view["assignee_id"]))
        strays, targets = [t for t in batch if crew.agent(t.view["assignee_id"]) is None], []
        for ticket in strays:
            able = [a for a in crew.agents if ticket.plan.category in a.skills]
            if not able:
                raise DemoFailed(f"no agent of the day handles {ticket.plan.category}")
            target = min(able, key=lambda a: (load[a.staff_id], a.username))
            load[target.staff_id] += 1
            targets.append(target)
        if strays:
            self.stage.grow(len(strays))
            lead = crew.supervisors[0].door
            replies = self.stage.run([lambda t=t, a=a: lead.send("ticket", "assign", t.view["ticket_id"], a.staff_id)
                                      for t, a in zip(strays, targets, strict=True)])
            for ticket, view in zip(strays, replies, strict=True):
                ticket.view = view
            self.ledger.reassigned += len(strays)
        for ticket in batch:
            ticket.agent = crew.agent(ticket.view["assignee_id"])

    def _wait_for_breach(self, late):
        """Until every late repair's one-minute first-response budget has run out (a 24/7 calendar)."""
        until = max(t.opened_at for t in late) + 60 + LATE_MARGIN
        seconds = round(until - time.monotonic())
        if seconds <= 0:
            return
        stage = self.calls.stage("Urgent repairs waiting past their SLA", seconds)
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            stage.progress.update(stage.task, completed=min(seconds, seconds - left))
        stage.done()


def _now(ceil=False):
    """Now in UTC to the second (the next second with ``ceil``): the SLA report's window of the day."""
    seconds = datetime.now(UTC).timestamp()
    return datetime.fromtimestamp(int(seconds) + (1 if ceil else 0), UTC).isoformat()
