"""The escalation timer's query over 100,000 open tickets reads the ``next_check_at`` index, on SQLite
and PostgreSQL (``EXPLAIN``), and finds exactly the due tickets."""
import sqlalchemy as sa

from anchang_common.db import make_engine
from bench.sla_scan import NOW, SCAN_BATCH, explain, populate_open_tickets, uses_index
from ticket.storage import breach_query

OPEN_TICKETS = 100_000


def test_the_breach_query_uses_an_index_over_100000_open_tickets(database_url):
    engine = make_engine(database_url("ticket"))
    try:
        populate_open_tickets(engine, OPEN_TICKETS, due_share=0.001)
        plan = explain(engine)
        assert uses_index(plan), plan
        with engine.connect() as connection:
            due = connection.execute(breach_query(NOW, SCAN_BATCH)).scalars().all()
            assert len(due) == OPEN_TICKETS // 1000
            assert connection.execute(sa.text("SELECT count(*) FROM tickets")).scalar() == OPEN_TICKETS
    finally:
        engine.dispose()
