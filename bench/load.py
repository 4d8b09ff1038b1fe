"""Load of concurrent callers: throughput and latency percentiles of one call made again and again."""
import statistics
import time

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY

CALLERS = 10


def measure(amqp_uri, call, calls_per_caller, token=None, callers=CALLERS):
    """``{calls_per_second, p50_ms, p99_ms}`` of ``call(proxy)`` made by ``callers`` concurrent callers,
    each with a proxy of its own (warmed by one call first)."""
    context = {CONTEXT_KEY: f"Bearer {token}"} if token else None
    latencies, warmed = [], []

    def caller():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=60) as proxy:
            call(proxy)
            warmed.append(True)
            if len(warmed) == callers:
                all_warmed.send()
            start.wait()
            for _ in range(calls_per_caller):
                began = time.perf_counter()
                call(proxy)
                latencies.append(time.perf_counter() - began)

    start, all_warmed = eventlet.Event(), eventlet.Event()
    pool = eventlet.GreenPool(callers)
    for _ in range(callers):
        pool.spawn(caller)
    all_warmed.wait()  # every caller connected, its queues declared, before the clock starts
    began = time.perf_counter()
    start.send()
    pool.waitall()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"calls_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2)}
