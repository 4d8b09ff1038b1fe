"""The bounded, ordered concurrency of client_vault's bulk Vault calls (``crypto._in_order``): results
in order whatever order the calls end in, never more than ``CONCURRENT_CALLS`` at once, and after a
failure no further call, none still running once the error is raised, nothing printed by the hub."""
import eventlet
import pytest

from client_vault import crypto


class Calls:
    """A stand-in Vault call: sleeps ``delays[chunk]``, records how many ran at once, fails on ``fail``."""

    def __init__(self, delays, fail=None):
        self.delays, self.fail = delays, fail
        self.running, self.most, self.started, self.ended = 0, 0, [], []

    def __call__(self, chunk):
        self.started.append(chunk)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            eventlet.sleep(self.delays[chunk])
            if chunk == self.fail:
                raise RuntimeError("vault unavailable")
            return f"result {chunk}"
        finally:
            self.running -= 1
            self.ended.append(chunk)


def test_results_come_in_order_with_a_few_calls_at_once():
    chunks = list(range(12))
    calls = Calls({chunk: 0.001 * (12 - chunk) for chunk in chunks})  # later chunks end sooner
    assert list(crypto._in_order(calls, chunks)) == [f"result {chunk}" for chunk in chunks]
    assert calls.most == crypto.CONCURRENT_CALLS
    assert calls.started == chunks


def test_a_failure_is_raised_in_its_turn_and_stops_the_calls_after_it(capfd):
    chunks = list(range(20))
    calls = Calls({chunk: 0.002 for chunk in chunks}, fail=5)
    results = []
    with pytest.raises(RuntimeError, match="vault unavailable"):
        for result in crypto._in_order(calls, chunks):
            results.append(result)
    assert results == [f"result {chunk}" for chunk in range(5)]
    assert calls.running == 0  # the calls under way ended before the error reached the caller
    assert max(calls.started) < 5 + crypto.CONCURRENT_CALLS  # none started after the failure
    assert sorted(calls.ended) == sorted(calls.started)
    assert capfd.readouterr().err == ""


def test_a_consumer_that_stops_early_leaves_no_call_running():
    chunks = list(range(20))
    calls = Calls({chunk: 0.002 for chunk in chunks})
    bulk = crypto._in_order(calls, chunks)
    assert next(bulk) == "result 0"
    bulk.close()
    assert calls.running == 0
    assert len(calls.started) < len(chunks)
