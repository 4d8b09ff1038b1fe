"""The escalation timer's query (``ticket.storage.breach_query``) over 100,000 open tickets: its median
time and whether its plan reads ``ix_tickets_next_check_at`` (target: under 50 ms, with the index)."""
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.migrations import upgrade
from anchang_common.testing.databases import create_database, drop_databases
from bench.stack import PG_URL
from ticket import domain
from ticket.models import Ticket
from ticket.storage import breach_query

OPEN_TICKETS, QUICK_TICKETS = 100_000, 2_000
SCAN_BATCH = 500
TARGET_MS = 50
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
        for _ in range(runs):
            started = time.perf_counter()
            session.execute(breach_query(NOW, SCAN_BATCH)).all()
            timings.append(time.perf_counter() - started)
            session.rollback()
    return statistics.median(timings)


def sla_scan(dialect, quick):
    count = QUICK_TICKETS if quick else OPEN_TICKETS
    name = f"anchang_bench_scan_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, name)}.db" if dialect == "sqlite" else create_database(PG_URL, name)
        try:
            upgrade("ticket", url)
            engine = make_engine(url)
            populate_open_tickets(engine, count)
            plan, seconds = explain(engine), scan_seconds(engine)
            engine.dispose()
        finally:
            if dialect != "sqlite":
                drop_databases(PG_URL, [name])
    query_ms = round(seconds * 1000, 3)
    return {"figure": "ticket_sla_scan", "database": dialect, "open_tickets": count, "batch": SCAN_BATCH,
            "uses_index": uses_index(plan), "query_ms": query_ms, "target_ms": TARGET_MS,
            "met": uses_index(plan) and query_ms < TARGET_MS, "plan": plan}
