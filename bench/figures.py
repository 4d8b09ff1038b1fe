"""Every figure that needs the services, measured in one run per database dialect on one stack
(``bench.stack``): the read RPC of each service against the bare echo service (throughput, p50 and
p99 with 10 callers), two ``ticket`` instances against one, ``import_clients`` against Vault's own
batch-encrypt rate, and ticket events handled per second by ``appraisal``. Each figure carries its
target from docs/performance.md, whether it was met, and by how much it was missed."""
import time
import uuid

import eventlet
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.events import make_envelope
from anchang_common.tables import processed_events
from anchang_common.types import utc_today
from anchang_common.vault import VaultClient
from appraisal.bootstrap import seed_default_template
from bench.load import CALLERS, measure
from bench.stack import bench_stack
from client_vault.crypto import PII_KEY, RECORDS_PER_CALL, field_context
from staff.bootstrap import seed_admin
from ticket.bootstrap import seed as seed_ticket

PASSWORD = "bench-password-42"
READ_RATIO, READ_P99_MS, SCALE_OUT, VAULT_RATIO = 0.45, 50, 1.7, 0.5
IMPORT_ROWS, QUICK_IMPORT_ROWS = 10_000, 200
EVENTS, QUICK_EVENTS = 2_000, 40
FIELDS = ("name", "phone", "id_number", "address")
EVENT_WAIT_SECONDS = 600
#: the figures ``run`` measures (``python -m bench --only`` picks some)
FIGURES = ("appraisal_event_throughput", "read_rpc", "ticket_scale_out", "vault_batching")


def verdict(value, target, at_least=True):
    """``{met, missed_by}``: how far ``value`` is from ``target``, in the target's own terms."""
    met = value >= target if at_least else value <= target
    if met:
        return {"met": True}
    gap = (target - value) if at_least else (value - target)
    return {"met": False, "missed_by": round(gap, 3), "missed_by_percent": round(100 * gap / target, 1)}


def client_row(n):
    return {"name": f"客户{n}", "phone": f"139{n:08d}", "id_number": "110101199003071233",
            "address": f"北京市朝阳区建国路{n}号", "source": "import",
            "consent": {"purpose": "service", "granted_at": "2026-01-01T00:00:00Z"}}


def ticket_events(agent, count):
    """``count`` ticket events of one agent, the kinds a day of work brings."""
    kinds = [("first_responded", {"business_seconds": 300, "within_sla": True}),
             ("resolved", {"business_seconds": 3600, "within_sla": True}),
             ("satisfaction_recorded", {"score": 4}), ("closed", {})]
    events = []
    for number in range(count):
        name, extra = kinds[number % len(kinds)]
        events.append((name, make_envelope(f"ticket.{name}", {
            "ticket_id": f"t-{number // len(kinds)}", "category": "inquiry", "priority": "normal",
            "assignee_id": agent, "staff_id": agent, **extra})))
    return events


def event_rate(amqp_uri, url, events):
    """Events per second from the first dispatch until appraisal has stored them all."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def stored():
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(processed_events)).scalar()
    before = stored()
    dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
    started = time.perf_counter()
    list(eventlet.GreenPool(10).imap(lambda event: dispatch("ticket", event[0], event[1]), events))
    while stored() - before < len(events):
        if time.perf_counter() - started > EVENT_WAIT_SECONDS:
            raise RuntimeError(f"appraisal stored {stored() - before} of {len(events)} events in time")
        eventlet.sleep(0.05)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(events) / elapsed


def vault_encrypt_rate(vault, rows):
    """Fields per second Vault itself encrypts, in calls of the size ``import_clients`` makes."""
    items = [(client_row(n)[field].encode(), field_context(uuid.uuid4().hex, field))
             for n in range(rows) for field in FIELDS]
    per_call = RECORDS_PER_CALL * len(FIELDS)
    started = time.perf_counter()
    for start in range(0, len(items), per_call):
        vault.encrypt_batch(PII_KEY, items[start:start + per_call])
    return len(items) / (time.perf_counter() - started)


def run(dialect, calls_per_caller, quick, only=FIGURES):
    """The figures named in ``only`` (every one by default) on ``dialect``."""
    with bench_stack(dialect) as stack:
        seed_admin(stack.database("staff"), PASSWORD)
        seed_ticket(stack.database("ticket"))
        seed_default_template(stack.database("appraisal"))
        processes = [stack.start(name) for name in ("echo", "staff", "client_vault", "ticket", "appraisal")]
        stack.wait(*processes)
        yield from _figures(stack, dialect, calls_per_caller, quick, only)


def _figures(stack, dialect, calls_per_caller, quick, only):
    amqp = stack.amqp_uri
    with ClusterRpcProxy({"AMQP_URI": amqp}) as proxy:
        session = proxy.staff.login("admin", PASSWORD)
    token, staff_id = session["token"], session["staff_id"]
    if "appraisal_event_throughput" in only:
        events = QUICK_EVENTS if quick else EVENTS
        rate = event_rate(amqp, stack.urls["appraisal"], ticket_events(staff_id, events))
        yield {"figure": "appraisal_event_throughput", "database": dialect, "events": events,
               "events_per_second": round(rate, 1)}
    if {"read_rpc", "ticket_scale_out"} & set(only):
        yield from _reads(stack, dialect, calls_per_caller, token, staff_id)
    if "vault_batching" in only:
        yield from _vault_batching(stack, dialect, quick, token)


def _reads(stack, dialect, calls_per_caller, token, staff_id):
    amqp = stack.amqp_uri
    today = utc_today().isoformat()
    with ClusterRpcProxy({"AMQP_URI": amqp}, context_data={CONTEXT_KEY: f"Bearer {token}"}, timeout=600) as proxy:
        client_id = proxy.client_vault.register_client(client_row(99_999_999))["client_id"]
        ticket_id = proxy.ticket.open_ticket({"client_id": client_id, "category": "inquiry", "channel": "phone",
                                              "subject": "bench", "description": "bench"})["ticket_id"]
        proxy.appraisal.open_cycle({"code": "bench", "period_start": today, "period_end": today})

    reads = {"staff.get_staff": lambda p: p.staff.get_staff(staff_id),
             "client_vault.get_client": lambda p: p.client_vault.get_client(client_id),
             "ticket.get_ticket": lambda p: p.ticket.get_ticket(ticket_id),
             "appraisal.get_scorecard": lambda p: p.appraisal.get_scorecard("bench", staff_id)}
    echo_before = measure(amqp, lambda p: p.echo.echo("x"), calls_per_caller)
    measured = {method: measure(amqp, call, calls_per_caller, token) for method, call in reads.items()}
    echo_after = measure(amqp, lambda p: p.echo.echo("x"), calls_per_caller)
    echo_rate = (echo_before["calls_per_second"] + echo_after["calls_per_second"]) / 2
    for method, figures in measured.items():
        ratio = round(figures["calls_per_second"] / echo_rate, 3)
        yield {"figure": "read_rpc", "method": method, "database": dialect, "callers": CALLERS, **figures,
               "echo_calls_per_second": round(echo_rate, 1), "echo_p50_ms": echo_before["p50_ms"],
               "echo_p99_ms": echo_before["p99_ms"], "ratio_to_echo": ratio, "target_ratio": READ_RATIO,
               "target_p99_ms": READ_P99_MS, **verdict(ratio, READ_RATIO),
               "p99": verdict(figures["p99_ms"], READ_P99_MS, at_least=False)}

    second = stack.start("ticket", name="ticket-2")
    stack.wait(second, consumers=2)
    two = measure(amqp, reads["ticket.get_ticket"], calls_per_caller, token)
    ratio = round(two["calls_per_second"] / measured["ticket.get_ticket"]["calls_per_second"], 3)
    yield {"figure": "ticket_scale_out", "method": "ticket.get_ticket", "database": dialect, "callers": CALLERS,
           "one_instance_calls_per_second": measured["ticket.get_ticket"]["calls_per_second"],
           "two_instances_calls_per_second": two["calls_per_second"], "ratio": ratio, "target_ratio": SCALE_OUT,
           **verdict(ratio, SCALE_OUT)}


def _vault_batching(stack, dialect, quick, token):
    amqp = stack.amqp_uri
    rows = QUICK_IMPORT_ROWS if quick else IMPORT_ROWS
    vault = VaultClient({"ADDR": stack.vault.addr, "TOKEN": stack.tokens["client_vault"]}, "client_vault")
    vault_rate = vault_encrypt_rate(vault, rows)
    with ClusterRpcProxy({"AMQP_URI": amqp}, context_data={CONTEXT_KEY: f"Bearer {token}"}, timeout=600) as proxy:
        started = time.perf_counter()
        result = proxy.client_vault.import_clients([client_row(n) for n in range(rows)])
        seconds = time.perf_counter() - started
    assert result["created"] == rows, result
    fields_rate = rows * len(FIELDS) / seconds
    ratio = round(fields_rate / vault_rate, 3)
    yield {"figure": "vault_batching", "method": "client_vault.import_clients", "database": dialect, "rows": rows,
           "rows_per_second": round(rows / seconds, 1), "fields_per_second": round(fields_rate, 1),
           "vault_encrypt_fields_per_second": round(vault_rate, 1), "ratio_to_vault": ratio,
           "target_ratio": VAULT_RATIO, **verdict(ratio, VAULT_RATIO)}
