"""``BrokerTap``, the wire view the contract, ticket and leak tests read, on a real RabbitMQ: it sees
every message published on the exchanges it is bound to as it travelled, and nothing else; a drain
ends once the traffic is quiet, or at its deadline."""
import time

from kombu import Connection, Exchange

from anchang_common.testing.broker import BrokerTap


def publish(amqp_uri, exchange_name, routing_key, body, **properties):
    exchange = Exchange(exchange_name, "topic", durable=True)
    with Connection(amqp_uri, connect_timeout=5) as connection:
        connection.Producer().publish(body, exchange=exchange, routing_key=routing_key, declare=[exchange],
                                      content_type="application/json", **properties)


def test_the_tap_sees_what_its_exchanges_carry_and_nothing_else(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with BrokerTap(uri, ("nameko-rpc", "staff.events")) as tap:
        publish(uri, "staff.events", "hired", '{"name": "张三"}', headers={"nameko.call_id_stack": ["a.b.1"]},
                correlation_id="c-1")
        publish(uri, "ticket.events", "opened", '{"not": "bound"}')
        first = tap.drain(quiet=0.5, deadline=10)
        publish(uri, "nameko-rpc", "staff.get_staff", '{"args": [], "kwargs": {}}', reply_to="rpc.reply-1")
        second = tap.drain(quiet=0.5, deadline=10)
    assert [(m.exchange, m.routing_key, m.json(), m.headers, m.properties["correlation_id"]) for m in first] == [
        ("staff.events", "hired", {"name": "张三"}, {"nameko.call_id_stack": ["a.b.1"]}, "c-1")]
    assert [(m.exchange, m.routing_key, m.properties["reply_to"]) for m in second] == [
        ("nameko-rpc", "staff.get_staff", "rpc.reply-1")]
    assert tap.messages == first + second


def test_a_drain_ends_when_quiet_or_at_its_deadline(rabbit_config):
    with BrokerTap(rabbit_config["AMQP_URI"], ("staff.events",)) as tap:
        started = time.monotonic()
        assert tap.drain(quiet=0.3, deadline=30) == []
        assert time.monotonic() - started < 5
        started = time.monotonic()
        assert tap.drain(quiet=30, deadline=0.3) == []
        assert time.monotonic() - started < 5
