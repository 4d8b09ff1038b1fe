"""``appraisal``, the process, SIGKILLed while its handlers are in the middle of ticket events: nothing
of them is committed, the broker gives the events to the restarted process, and each is counted once.

The handlers are caught mid-way by a lock the test holds on ``ticket_facts`` (PostgreSQL: ``LOCK
TABLE ... IN SHARE MODE``; SQLite: the database's write lock, ``BEGIN IMMEDIATE``): each has read
``processed_events`` and is waiting to write its fact when the process dies. The events come from
the broker as ``ticket`` publishes them (a standalone dispatcher on ``ticket.events``)."""
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from anchang_common.events import make_envelope
from tests.fault.stack import rows, scalar, wait_until

EVENTS = 5  # fewer than the process's workers: every one is inside a handler
QUEUE = "evt-ticket-opened--appraisal.on_ticket_opened"


def opened(n):
    return make_envelope("ticket.opened", {"ticket_id": f"t-{n}", "category": "inquiry", "priority": "normal",
                                           "assignee_id": "agent-1", "client_id": f"c-{n}", "channel": "phone"})


def hold_write_lock(url, table):
    """A connection holding what makes every insert into ``table`` wait; ``release()`` it. (On
    SQLite, every write to the database waits.)"""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.begin()
        connection.exec_driver_sql(f"LOCK TABLE {table} IN SHARE MODE")

    def release():
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ROLLBACK")
        else:
            connection.rollback()
        connection.close()
        engine.dispose()
    return release


def queue_counts(rabbit_manager, vhost):
    """``(ready, unacknowledged, acknowledged so far)`` of appraisal's queue (the management API's
    figures, a few seconds behind: polled)."""
    queue = rabbit_manager.get_queue(vhost, QUEUE)
    return (queue.get("messages_ready"), queue.get("messages_unacknowledged"),
            queue.get("message_stats", {}).get("ack", 0))


def test_appraisal_killed_mid_handler_gets_the_events_again_and_counts_each_once(
        make_stack, rabbit_config, rabbit_manager):
    stack = make_stack(rabbit_config["AMQP_URI"]).start("appraisal")
    url = stack.database_urls["appraisal"]
    vhost = rabbit_config["vhost"]
    envelopes = [opened(n) for n in range(EVENTS)]

    release = hold_write_lock(url, "ticket_facts")
    try:
        dispatch = event_dispatcher({"AMQP_URI": stack.amqp_uri})
        for envelope in envelopes:
            dispatch("ticket", "opened", envelope)
        # every event delivered to a worker and none acknowledged: the handlers are waiting on the lock
        wait_until(lambda: queue_counts(rabbit_manager, vhost) == (0, EVENTS, 0), 60, "all events inside handlers")
        stack["appraisal"].kill()
    finally:
        release()
    assert scalar(url, "SELECT count(*) FROM ticket_facts") == 0  # nothing half-written
    assert scalar(url, "SELECT count(*) FROM processed_events") == 0

    stack.process("appraisal", name="appraisal-again").start().wait_ready()
    wait_until(lambda: scalar(url, "SELECT count(*) FROM processed_events") == EVENTS, 60, "every event handled")
    # a duplicate delivery of each (an outbox relay publishing twice) changes nothing
    for envelope in envelopes:
        dispatch("ticket", "opened", envelope)
    wait_until(lambda: queue_counts(rabbit_manager, vhost) == (0, 0, 2 * EVENTS), 60, "the duplicates acknowledged")
    facts = rows(url, "SELECT event_id, ticket_id FROM ticket_facts")
    assert sorted(facts) == sorted((e["event_id"], e["data"]["ticket_id"]) for e in envelopes)
    assert scalar(url, "SELECT count(*) FROM processed_events") == EVENTS
