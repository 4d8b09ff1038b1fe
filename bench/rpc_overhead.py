"""RPC overhead (docs/architecture.md#performance): a real method's throughput with 10 concurrent
callers, against a bare nameko echo service on the same broker in the same run."""
import time

import eventlet
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from bench.stack import PG_URL, bench_stack
from staff.bootstrap import seed_admin
from staff.service import Service as StaffService

CALLERS = 10
PASSWORD = "bench-password-42"


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


def throughput(amqp_uri, call, calls_per_caller, token=None):
    """Calls per second of ``call(proxy)`` made by ``CALLERS`` concurrent callers."""
    context = {CONTEXT_KEY: f"Bearer {token}"} if token else None

    def caller():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=30) as proxy:
            call(proxy)  # warm-up: queues declared, key cached
            started = time.perf_counter()
            for _ in range(calls_per_caller):
                call(proxy)
            return time.perf_counter() - started

    pool = eventlet.GreenPool(CALLERS)
    started = time.perf_counter()
    list(pool.imap(lambda _: caller(), range(CALLERS)))
    return CALLERS * calls_per_caller / (time.perf_counter() - started)


def run(calls_per_caller=300, quick=False):
    """One figure per database dialect at hand (PostgreSQL where ``ANCHANG_BENCH_PG_URL`` is set);
    ``quick``: SQLite only."""
    for dialect in ("sqlite", "postgresql") if PG_URL and not quick else ("sqlite",):
        yield measure(dialect, calls_per_caller)


def measure(dialect, calls_per_caller):
    with bench_stack(dialect) as (start, amqp_uri):
        start(EchoService, "ticket")
        staff = start(StaffService, "staff")
        seed_admin(staff.config["DATABASE_URL"], PASSWORD)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
            session = proxy.staff.login("admin", PASSWORD)
        echo_rate = throughput(amqp_uri, lambda p: p.echo.echo("x"), calls_per_caller)
        staff_rate = throughput(amqp_uri, lambda p: p.staff.get_staff(session["staff_id"]),
                                calls_per_caller, session["token"])
    return {"figure": "rpc_overhead", "method": "staff.get_staff", "database": dialect, "callers": CALLERS,
           "calls_per_second": round(staff_rate, 1), "echo_calls_per_second": round(echo_rate, 1),
           "ratio_to_echo": round(staff_rate / echo_rate, 3)}
