"""The ticket benchmarks (docs/architecture.md#performance):

- ``ticket_sla_scan``: the escalation timer's query (``ticket.storage.breach_query``) over 100,000
  open tickets: its time and whether its plan uses ``ix_tickets_next_check_at``;
- ``rpc_overhead`` of ``ticket.get_ticket`` against the echo service (``bench.rpc_overhead``);
- ``ticket_scale_out``: ``get_ticket`` throughput of two ``ticket`` instances on one database
  against one (target >= 1.7x).
"""
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.migrations import upgrade
from anchang_common.testing.databases import create_database, drop_databases
from bench.rpc_overhead import CALLERS, PASSWORD, EchoService, throughput
from bench.stack import PG_URL, bench_stack
from deploy.local.openbao import free_port
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService
from ticket import domain
from ticket.bootstrap import seed
from ticket.models import Ticket
from ticket.service import Service as TicketService
from ticket.storage import TicketStorage, breach_query

OPEN_TICKETS = 100_000
QUICK_TICKETS = 2_000
SCAN_BATCH = 500
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def populate_open_tickets(engine, count, now=NOW, due_share=0.01):
    """``count`` open tickets whose next check spreads over a year after ``now`` (``due_share`` of them
    already due), inserted in batches; statistics refreshed so the planner knows the table."""
    rows = []
    due = int(count * due_share)
    for i in range(count):
        offset = timedelta(minutes=-(i + 1)) if i < due else timedelta(minutes=(i * 525_600) // count + 1)
        rows.append({"id": f"t{i:08d}", "client_id": f"c{i % 5000}", "category": domain.CATEGORIES[i % 4],
                     "priority": domain.PRIORITIES[i % 4], "channel": "phone", "subject": "s", "state": "open",
                     "assignee_id": f"a{i % 50}", "opened_at": now - timedelta(days=1), "note_id": f"n{i}",
                     "reopen_count": 0, "next_check_at": now + offset, "updated_at": now})
    with engine.begin() as connection:
        for start in range(0, count, 10_000):
            connection.execute(sa.insert(Ticket), rows[start:start + 10_000])
        connection.exec_driver_sql("ANALYZE")


def explain(engine, now=NOW, limit=SCAN_BATCH):
    """The plan of the breach query, one line per step."""
    compiled = breach_query(now, limit).compile(dialect=engine.dialect)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            values = [compiled.params[name] for name in compiled.positiontup]
            values = [v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in values]
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(values)).all()
            return [row[-1] for row in rows]
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", dict(compiled.params)).all()
        return [row[0] for row in rows]


def uses_index(plan):
    text = "\n".join(plan)
    return "ix_tickets_next_check_at" in text and "Seq Scan" not in text and "SCAN tickets\n" not in text + "\n"


def scan_seconds(engine, runs=20):
    """Median time of the breach query (the rows it returns, as the timer reads them)."""
    timings = []
    with Session(engine) as session:
        store = TicketStorage(session)
        for _ in range(runs):
            started = time.perf_counter()
            session.execute(breach_query(NOW, SCAN_BATCH)).all()
            timings.append(time.perf_counter() - started)
            session.rollback()
        assert store.dialect == engine.dialect.name
    return statistics.median(timings)


def sla_scan(dialect, quick):
    count = QUICK_TICKETS if quick else OPEN_TICKETS
    name = f"anchang_bench_scan_{int(time.time())}"
    url = "sqlite:////tmp/" + name + ".db" if dialect == "sqlite" else create_database(PG_URL, name)
    try:
        upgrade("ticket", url)
        engine = make_engine(url)
        populate_open_tickets(engine, count)
        plan, seconds = explain(engine), scan_seconds(engine)
        engine.dispose()
    finally:
        if dialect == "sqlite":
            import os
            os.unlink(f"/tmp/{name}.db")
        else:
            drop_databases(PG_URL, [name])
    return {"figure": "ticket_sla_scan", "database": dialect, "open_tickets": count, "batch": SCAN_BATCH,
            "uses_index": uses_index(plan), "query_ms": round(seconds * 1000, 3), "plan": plan}


def one_ticket(url):
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return TicketStorage(session).add_ticket(domain.Ticket(
                ticket_id=None, client_id="c1", category="inquiry", priority="normal", channel="phone",
                subject="s", state="open", assignee_id=None, opened_at=NOW, note_id="n1")).ticket_id
    finally:
        engine.dispose()


def rpc_figures(dialect, calls_per_caller):
    with bench_stack(dialect) as (start, amqp_uri):
        start(EchoService, "appraisal")
        staff = start(StaffService, "staff")
        seed_admin(staff.config["DATABASE_URL"], PASSWORD)
        first = start(TicketService, "ticket")
        seed(first.config["DATABASE_URL"])
        ticket_id = one_ticket(first.config["DATABASE_URL"])
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
            token = proxy.staff.login("admin", PASSWORD)["token"]

        def get_ticket(proxy):
            return proxy.ticket.get_ticket(ticket_id)
        echo_rate = throughput(amqp_uri, lambda p: p.echo.echo("x"), calls_per_caller)
        one_rate = throughput(amqp_uri, get_ticket, calls_per_caller, token)
        second = ServiceContainer(TicketService, dict(first.config, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}"))
        second.start()
        try:
            two_rate = throughput(amqp_uri, get_ticket, calls_per_caller, token)
        finally:
            second.stop()
    yield {"figure": "rpc_overhead", "method": "ticket.get_ticket", "database": dialect, "callers": CALLERS,
           "calls_per_second": round(one_rate, 1), "echo_calls_per_second": round(echo_rate, 1),
           "ratio_to_echo": round(one_rate / echo_rate, 3)}
    yield {"figure": "ticket_scale_out", "method": "ticket.get_ticket", "database": dialect, "callers": CALLERS,
           "one_instance_calls_per_second": round(one_rate, 1),
           "two_instances_calls_per_second": round(two_rate, 1), "ratio": round(two_rate / one_rate, 3),
           "target_ratio": 1.7}


def run(calls_per_caller=300, quick=False):
    """Every figure per database dialect at hand (PostgreSQL where ``ANCHANG_BENCH_PG_URL`` or
    ``ANCHANG_TEST_PG_URL`` is set); ``quick``: SQLite only, a small table."""
    for dialect in ("sqlite", "postgresql") if PG_URL and not quick else ("sqlite",):
        yield sla_scan(dialect, quick)
        yield from rpc_figures(dialect, calls_per_caller)
