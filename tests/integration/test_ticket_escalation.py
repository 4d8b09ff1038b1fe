"""The escalation timer, driven by a clock the test moves: ``ticket.sla_at_risk`` and
``ticket.sla_breached`` exactly once per ticket and kind, with one ``ticket`` instance and with two
instances on one database (PostgreSQL: ``FOR UPDATE SKIP LOCKED`` and conditional claims; SQLite:
the conditional claims alone). Follow-ups that fall due are announced once too."""
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import replace_dependencies
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.testing.broker import BrokerTap
from tests.integration.test_ticket import SPIED_EXCHANGES, ticket_events
from ticket import domain
from ticket.bootstrap import seed
from ticket.service import Service
from ticket.storage import TicketStorage

OPENED = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


class MovableClock:
    """The clock every instance of the test reads."""

    instant = OPENED

    def now(self):
        return MovableClock.instant


def start_ticket(harness, config):
    container = harness.container_factory(Service, config)
    replace_dependencies(container, clock=MovableClock())
    container.start()
    return container


def add_tickets(url, count):
    """``count`` assigned normal inquiries opened at ``OPENED`` (first response 2 h, resolution 24 h)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            store = TicketStorage(session)
            return [store.add_ticket(domain.Ticket(
                ticket_id=None, client_id=f"c{i}", category="inquiry", priority="normal", channel="phone",
                subject="s", state="open", assignee_id="agent-1", opened_at=OPENED, note_id=f"n{i}")).ticket_id
                for i in range(count)]
    finally:
        engine.dispose()


def announced(spy, expected, timeout=60):
    """The SLA events on the broker, once ``expected`` arrived and nothing more for a while."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spy.drain(quiet=0.5, deadline=2)
        if len(ticket_events(spy.messages)) >= expected:
            break
    spy.drain(quiet=2, deadline=10)  # anything announced twice would arrive now
    return Counter((e["data"]["ticket_id"], e["data"]["kind"], e["type"]) for e in ticket_events(spy.messages)
                   if e["type"] in ("ticket.sla_at_risk", "ticket.sla_breached"))


@pytest.mark.parametrize("instances", [1, 2])
def test_at_risk_and_breach_are_announced_exactly_once(harness, dialect, instances):
    MovableClock.instant = OPENED
    config = harness.config_for("ticket")
    config["TICKET"] = {"ESCALATION_SECONDS": 0.05}
    seed(config["DATABASE_URL"])
    for _ in range(instances):
        start_ticket(harness, config)
    spy = BrokerTap(harness.amqp_uri, SPIED_EXCHANGES)
    ticket_ids = add_tickets(config["DATABASE_URL"], 15)
    try:
        MovableClock.instant = OPENED + timedelta(minutes=100)  # 80 % of the first response's 2 h is 96 min
        first = announced(spy, len(ticket_ids))
        assert first == Counter({(t, "first_response", "ticket.sla_at_risk"): 1 for t in ticket_ids})
        MovableClock.instant = OPENED + timedelta(days=10)  # every budget spent
        every = announced(spy, 4 * len(ticket_ids))
    finally:
        spy.close()
    assert every == Counter({(t, kind, event): 1 for t in ticket_ids for kind in ("first_response", "resolution")
                             for event in ("ticket.sla_at_risk", "ticket.sla_breached")})
    breach = next(e for e in ticket_events(spy.messages, "ticket.sla_breached") if e["data"]["kind"] == "resolution")
    # 24 business hours from Monday 09:00, 9 hours a day: Wednesday 15:00 in Shanghai
    assert breach["data"]["due_at"] == "2026-01-07T07:00:00+00:00"
    assert breach["data"]["assignee_id"] == "agent-1" and breach["data"]["category"] == "inquiry"
