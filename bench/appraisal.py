"""Appraisal (docs/architecture.md#performance): ticket events handled per second by ``appraisal``
(N events dispatched on the broker as ``ticket``, timed until every one is stored), and
``appraisal.get_scorecard`` throughput with 10 concurrent callers against the echo service of
``bench.rpc_overhead`` on the same broker in the same run."""
import time

import eventlet
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.db import make_engine
from anchang_common.events import make_envelope
from anchang_common.tables import processed_events
from anchang_common.types import utc_today
from appraisal.bootstrap import seed_default_template
from appraisal.service import Service as AppraisalService
from bench.rpc_overhead import CALLERS, PASSWORD, EchoService, throughput
from bench.stack import PG_URL, bench_stack
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService

EVENTS = 2000
QUICK_EVENTS = 40
DISPATCHERS = 10
WAIT_SECONDS = 600


def run(calls_per_caller=300, quick=False):
    for dialect in ("sqlite", "postgresql") if PG_URL and not quick else ("sqlite",):
        yield from measure(dialect, calls_per_caller, QUICK_EVENTS if quick else EVENTS)


def ticket_events(agent, count):
    """``count`` ticket events of one agent, the kinds a day of work brings, ``count // 4`` tickets."""
    kinds = [("first_responded", {"business_seconds": 300, "within_sla": True}),
             ("resolved", {"business_seconds": 3600, "within_sla": True}),
             ("satisfaction_recorded", {"score": 4}),
             ("closed", {})]
    events = []
    for number in range(count):
        name, extra = kinds[number % len(kinds)]
        events.append((name, make_envelope(f"ticket.{name}", {
            "ticket_id": f"t-{number // len(kinds)}", "category": "inquiry", "priority": "normal",
            "assignee_id": agent, "staff_id": agent, **extra})))
    return events


def stored(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(processed_events)).scalar()


def event_rate(amqp_uri, database_url, events):
    """Events per second from the first dispatch until appraisal has stored them all."""
    engine = make_engine(database_url)
    before = stored(engine)
    dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
    pool = eventlet.GreenPool(DISPATCHERS)
    started = time.perf_counter()
    list(pool.imap(lambda event: dispatch("ticket", event[0], event[1]), events))
    dispatched = time.perf_counter() - started
    deadline = started + WAIT_SECONDS
    while stored(engine) - before < len(events):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"appraisal stored {stored(engine) - before} of {len(events)} events in time")
        eventlet.sleep(0.05)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(events) / elapsed, dispatched


def measure(dialect, calls_per_caller, events):
    with bench_stack(dialect) as (start, amqp_uri):
        start(EchoService, "ticket")
        staff = start(StaffService, "staff")
        appraisal = start(AppraisalService, "appraisal")
        seed_admin(staff.config["DATABASE_URL"], PASSWORD)
        seed_default_template(appraisal.config["DATABASE_URL"])
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
            session = proxy.staff.login("admin", PASSWORD)
        agent = session["staff_id"]
        rate, dispatched = event_rate(amqp_uri, appraisal.config["DATABASE_URL"], ticket_events(agent, events))
        yield {"figure": "appraisal_event_throughput", "database": dialect, "events": events,
               "events_per_second": round(rate, 1), "dispatch_seconds": round(dispatched, 2)}

        today = utc_today().isoformat()
        with ClusterRpcProxy({"AMQP_URI": amqp_uri},
                             context_data={"authorization": f"Bearer {session['token']}"}) as proxy:
            proxy.appraisal.open_cycle({"code": "bench", "period_start": today, "period_end": today})
        echo_rate = throughput(amqp_uri, lambda p: p.echo.echo("x"), calls_per_caller)
        card_rate = throughput(amqp_uri, lambda p: p.appraisal.get_scorecard("bench", agent),
                               calls_per_caller, session["token"])
        yield {"figure": "rpc_overhead", "method": "appraisal.get_scorecard", "database": dialect,
               "callers": CALLERS, "facts": events, "calls_per_second": round(card_rate, 1),
               "echo_calls_per_second": round(echo_rate, 1), "ratio_to_echo": round(card_rate / echo_rate, 3)}
