"""The entrypoints' contract over the real broker: error types, metrics, health, idempotent events."""
import logging

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from prometheus_client.parser import text_string_to_metric_families

from anchang_common.base import ServiceBase
from anchang_common.db import Database, make_engine
from anchang_common.entrypoints import event_handler, rpc
from anchang_common.errors import DependencyUnavailable, NotFound, ValidationError
from anchang_common.events import make_envelope
from anchang_common.permissions import PUBLIC, PermissionTable

handled = sa.Table("test_handled", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("event_id", sa.String(64), nullable=False))
attempts = {"flaky": 0}


class ContractService(ServiceBase):
    name = "contract"
    permissions = PermissionTable({"explode": PUBLIC, "missing": PUBLIC, "invalid": PUBLIC, "duplicate": PUBLIC,
                                   "greet": PUBLIC})

    @rpc
    def greet(self, name, language="zh"):
        return f"{name}/{language}"
    db = Database()

    @rpc
    def explode(self, phone):
        raise RuntimeError(f"unexpected failure while handling {phone}")

    @rpc
    def missing(self):
        raise NotFound("thing not found")

    @rpc
    def invalid(self):
        raise ValidationError({"ticket.priority": "must be one of low, normal, high, urgent"})

    @rpc
    def duplicate(self):
        self.db.execute(sa.insert(handled).values(id=1, event_id="a"))
        self.db.flush()
        self.db.execute(sa.insert(handled).values(id=1, event_id="b"))

    @event_handler("source", "happened")
    def on_happened(self, envelope):
        self.db.execute(sa.insert(handled).values(event_id=envelope["event_id"]))

    @event_handler("source", "happened")
    def also_on_happened(self, envelope):
        """A second handler of the same event in the same service: each runs once."""
        self.db.execute(sa.insert(handled).values(event_id="also:" + envelope["event_id"]))

    @event_handler("source", "flaky")
    def on_flaky(self, envelope):
        attempts["flaky"] += 1
        if attempts["flaky"] == 1:
            raise DependencyUnavailable("vault unavailable")
        self.db.execute(sa.insert(handled).values(event_id=envelope["event_id"]))


@pytest.fixture
def contract(harness):
    config = harness.config_for("ticket")
    engine = make_engine(config["DATABASE_URL"])
    handled.metadata.create_all(engine)
    service = harness.start("contract", ContractService, config)
    yield service, engine
    engine.dispose()


def handled_ids(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(handled.c.event_id)).scalars().all()


def test_unexpected_errors_reach_the_caller_as_internal_error_with_a_call_id(harness, contract, caplog):
    with caplog.at_level(logging.ERROR), harness.rpc() as rpc:
        with pytest.raises(RemoteError) as raised:
            rpc.contract.explode("13800138000")
    assert raised.value.exc_type == "InternalError"
    assert "contract.explode." in raised.value.value  # the call id names where it happened
    assert "13800138000" not in raised.value.value and "Traceback" not in raised.value.value
    call_id = raised.value.value.rsplit(" ", 1)[-1]
    assert any(getattr(r, "call_id", None) == call_id for r in caplog.records)


def test_contract_errors_keep_their_type(harness, contract):
    with harness.rpc() as rpc:
        with pytest.raises(RemoteError) as not_found:
            rpc.contract.missing()
        with pytest.raises(RemoteError) as invalid:
            rpc.contract.invalid()
        with pytest.raises(RemoteError) as duplicate:
            rpc.contract.duplicate()
    assert not_found.value.exc_type == "NotFound"
    assert invalid.value.exc_type == "ValidationError" and "ticket.priority" in invalid.value.value
    assert duplicate.value.exc_type == "Conflict"


def test_metrics_and_health_endpoints(harness, contract):
    service, _ = contract
    with harness.rpc() as rpc:
        with pytest.raises(RemoteError):
            rpc.contract.missing()
        with pytest.raises(RemoteError):
            rpc.contract.explode("x")
    body = service.get("/metrics").text
    assert 'anchang_rpc_duration_seconds_count{method="missing",outcome="client_error",service="contract"}' in body
    assert 'anchang_rpc_duration_seconds_count{method="explode",outcome="server_error",service="contract"}' in body
    assert service.get("/health/live").status_code == 200
    ready = service.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready",
                            "checks": {"broker": "ok", "consuming": "ok", "database": "ok", "vault": "ok"}}


def sample(running, name, **labels):
    """The value of one sample on the service's ``/metrics`` page (0 when absent)."""
    for family in text_string_to_metric_families(running.get("/metrics").text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


def test_an_event_delivered_twice_is_handled_once(harness, contract):
    service, engine = contract
    handled_before = sample(service, "anchang_event_handler_duration_seconds_count",
                            event="source.happened", outcome="ok", service="contract")
    dispatch = event_dispatcher({"AMQP_URI": harness.amqp_uri})
    envelope = make_envelope("source.happened", {"ticket_id": "t1"})
    for _ in range(2):
        with entrypoint_waiter(service.container, "on_happened"), \
                entrypoint_waiter(service.container, "also_on_happened"):
            dispatch("source", "happened", envelope)
    assert sorted(handled_ids(engine)) == sorted([envelope["event_id"], "also:" + envelope["event_id"]])
    assert sample(service, "anchang_event_handler_duration_seconds_count", event="source.happened",
                  outcome="ok", service="contract") == handled_before + 4  # two deliveries, two handlers


def test_a_handler_that_hits_an_outage_gets_the_event_again(harness, contract):
    service, engine = contract
    attempts["flaky"] = 0
    dispatch = event_dispatcher({"AMQP_URI": harness.amqp_uri})
    envelope = make_envelope("source.flaky", {"ticket_id": "t2"})
    with entrypoint_waiter(service.container, "on_flaky", callback=lambda *args: attempts["flaky"] >= 2,
                           timeout=15):
        dispatch("source", "flaky", envelope)
    assert attempts["flaky"] == 2
    assert handled_ids(engine) == [envelope["event_id"]]


@pytest.mark.parametrize("call, errors", [
    (lambda rpc: rpc.contract.greet(), {"name": "missing"}),
    (lambda rpc: rpc.contract.greet("a", "b", "c"), {"arguments": "takes at most 2 positional arguments"}),
    (lambda rpc: rpc.contract.greet(name="a", colour="red"), {"colour": "unknown argument"}),
    (lambda rpc: rpc.contract.greet("a", name="b"), {"name": "given twice"}),
    (lambda rpc: rpc.contract.greet("a", **{"张三": 1, "13800138000": 2}), {"arguments": "unknown argument"}),
])
def test_wrong_arguments_are_a_validation_error_naming_them(harness, contract, call, errors):
    with harness.rpc() as rpc:
        with pytest.raises(RemoteError) as raised:
            call(rpc)
        assert rpc.contract.greet("li", "zh") == "li/zh"  # the right call still works
    assert raised.value.exc_type == "ValidationError"
    for name, message in errors.items():
        assert f"{name}: {message}" in raised.value.value
    assert "张三" not in raised.value.value and "13800138000" not in raised.value.value


class Unlisted(ServiceBase):
    name = "unlisted"
    permissions = PermissionTable({"listed": PUBLIC})

    @rpc
    def listed(self):
        return "ok"

    @rpc
    def forgotten(self):
        return "served without a permission"


def test_a_method_missing_from_the_permission_table_stops_the_service_at_start(harness):
    with pytest.raises(RuntimeError) as raised:
        harness.start("unlisted", Unlisted, harness.config_for("ticket"))
    assert "unlisted.forgotten" in str(raised.value)


class Haunted(ServiceBase):
    name = "haunted"
    permissions = PermissionTable({"served": PUBLIC, "ghost": PUBLIC})

    @rpc
    def served(self):
        return "ok"


def test_a_table_entry_without_a_method_stops_the_service_at_start(harness):
    with pytest.raises(RuntimeError) as raised:
        harness.start("haunted", Haunted, harness.config_for("ticket"))
    assert "haunted.ghost" in str(raised.value)
