"""SIGTERM during work (what Kubernetes sends before its 30 s grace period ends): calls and handlers
already running finish, their callers get their answers and their events are acknowledged, then the
process exits; what arrives after the signal is not taken, and waits in the broker for the next
instance. Nothing is acknowledged that was not done.

The work is caught mid-way by a lock the test holds on the table it writes (``hold_write_lock``),
released once the process has logged that it is stopping."""
import eventlet
from nameko.standalone.events import event_dispatcher

from anchang_common.testing.service_process import queue_state
from tests.fault.stack import admin_token, agents, new_ticket, register_clients, scalar, wait_until
from tests.fault.test_appraisal_killed import QUEUE, hold_write_lock, opened, queue_counts

IN_FLIGHT = 4
STOPPING = '"message": "stopping services:'


def stopping(process):
    return STOPPING in process.log_text()


def test_ticket_finishes_the_calls_it_took_and_leaves_later_ones_to_the_next_instance(make_stack, rabbit_config):
    stack = make_stack(rabbit_config["AMQP_URI"]).start()
    admin = admin_token(stack)
    agents(stack, admin, count=1)
    (client_id,) = register_clients(stack, admin, 1)
    urls = stack.database_urls
    with stack.rpc(admin) as rpc:
        rpc.ticket.list_tickets()  # the admin's token version is held by ticket from now on: no write at the gate
    notes = scalar(urls["client_vault"], "SELECT count(*) FROM notes")
    answers = {}

    def open_ticket(n):
        with stack.rpc(admin, timeout=120) as rpc:
            answers[n] = rpc.ticket.open_ticket(new_ticket(client_id, n), idempotency_key=f"term-{n}")

    pool = eventlet.GreenPool(IN_FLIGHT + 1)
    release = hold_write_lock(urls["ticket"], "tickets")
    try:
        for n in range(IN_FLIGHT):
            pool.spawn(open_ticket, n)
        # each call has stored its description in client_vault and waits to write its ticket
        wait_until(lambda: scalar(urls["client_vault"], "SELECT count(*) FROM notes") == notes + IN_FLIGHT, 60,
                   "every call inside open_ticket")
        ticket = stack["ticket"]
        ticket.signal(15)
        wait_until(lambda: queue_state(stack.amqp_uri, "rpc-ticket")[1] == 0, 10, "ticket no longer consuming")
        pool.spawn(open_ticket, IN_FLIGHT)  # after that: not taken by the stopping process
        wait_until(lambda: queue_state(stack.amqp_uri, "rpc-ticket") == (1, 0), 10, "the later call in the queue")
        assert ticket.running() and not answers and stopping(ticket)  # still at the work it took
    finally:
        release()
    assert ticket.process.wait(timeout=60) == 0
    assert sorted(answers) == list(range(IN_FLIGHT))  # the calls it took were answered, the later one not
    assert scalar(urls["ticket"], "SELECT count(*) FROM tickets") == IN_FLIGHT

    stack.process("ticket", name="ticket-again").start()
    pool.waitall()
    assert sorted(answers) == list(range(IN_FLIGHT + 1))
    assert scalar(urls["ticket"], "SELECT count(*) FROM tickets") == IN_FLIGHT + 1


def test_appraisal_finishes_the_events_it_took_and_leaves_later_ones_in_the_queue(
        make_stack, rabbit_config, rabbit_manager):
    stack = make_stack(rabbit_config["AMQP_URI"]).start("appraisal")
    url, vhost = stack.database_urls["appraisal"], rabbit_config["vhost"]
    dispatch = event_dispatcher({"AMQP_URI": stack.amqp_uri})
    taken, later = [opened(n) for n in range(IN_FLIGHT)], [opened(n) for n in range(IN_FLIGHT, IN_FLIGHT + 3)]

    release = hold_write_lock(url, "ticket_facts")
    try:
        for envelope in taken:
            dispatch("ticket", "opened", envelope)
        wait_until(lambda: queue_counts(rabbit_manager, vhost)[:2] == (0, IN_FLIGHT), 60, "every event in a handler")
        appraisal = stack["appraisal"]
        appraisal.signal(15)
        wait_until(lambda: queue_state(stack.amqp_uri, QUEUE)[1] == 0, 10, "appraisal no longer consuming")
        for envelope in later:
            dispatch("ticket", "opened", envelope)
        wait_until(lambda: queue_state(stack.amqp_uri, QUEUE) == (len(later), 0), 10, "the later events queued")
        assert appraisal.running() and stopping(appraisal)
    finally:
        release()
    assert appraisal.process.wait(timeout=60) == 0
    assert scalar(url, "SELECT count(*) FROM processed_events") == IN_FLIGHT
    wait_until(lambda: queue_counts(rabbit_manager, vhost) == (len(later), 0, IN_FLIGHT), 60,
               "the events taken acknowledged, the later ones still there")

    stack.process("appraisal", name="appraisal-again").start()
    wait_until(lambda: scalar(url, "SELECT count(*) FROM processed_events") == IN_FLIGHT + len(later), 60,
               "the later events handled by the next instance")
    assert scalar(url, "SELECT count(*) FROM ticket_facts") == IN_FLIGHT + len(later)
