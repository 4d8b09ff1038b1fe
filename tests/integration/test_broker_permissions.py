"""Broker permissions as code (deploy/rabbitmq/definitions.json) enforced by a real RabbitMQ.

Each test imports the definitions into a vhost of its own, with a user per service and ``caller``
(fresh passwords, a user-name prefix unique to the test), and runs the real services or plain AMQP
clients as those users. The refusals are RabbitMQ's own ACCESS_REFUSED; every refusal has a
positive control beside it (the same operation on what the user may touch), so a test cannot pass
because of a typo or a missing queue.
"""
import importlib.util
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import eventlet
import pytest
import requests
import sqlalchemy as sa
from amqp.exceptions import AccessRefused
from kombu import Connection
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_waiter

from anchang_common.testing import ServiceHarness, service_config
from anchang_common.testing.broker import permissioned_vhost
from deploy.local.openbao import free_port
from staff.bootstrap import seed_admin
from tests.integration.accounts import ADMIN_PASSWORD

REPO = Path(__file__).resolve().parents[2]

RPC_EXCHANGE = "nameko-rpc"
START_SECONDS = 30


def _load_definitions_module():
    path = REPO / "deploy" / "rabbitmq" / "definitions.py"
    spec = importlib.util.spec_from_file_location("anchang_rabbitmq_definitions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


definitions = _load_definitions_module()


def applied(request, load=definitions.load):
    return permissioned_vhost(request.config.getoption("RABBIT_API_URI"),
                              request.config.getoption("RABBIT_AMQP_URI"),
                              load, definitions.user_names())


@pytest.fixture
def broker(request):
    """A vhost with the definitions applied; ``broker.uri(user)`` logs in as that user."""
    with applied(request) as vhost:
        yield vhost


@pytest.fixture
def services(broker, container_factory, vault_server, service_tokens, database_url):
    """Real services, each logged in to the broker as its own user; RPC proxies log in as ``caller``."""
    def config_for(service):
        # the event exchanges come from the definitions: a handler may not declare (and so could
        # delete) another service's exchange
        return service_config(service, broker.uri(service), database_url(service), f"127.0.0.1:{free_port()}",
                              vault_server.addr, service_tokens[service], DECLARE_EVENT_EXCHANGES=False)

    harness = ServiceHarness(container_factory, config_for, broker.uri("caller"))
    yield harness
    harness.close()


def start(services, name, seconds=START_SECONDS):
    """Starts a real service; a consumer the broker refuses would otherwise retry for ever."""
    with eventlet.Timeout(seconds, RuntimeError(f"{name} did not start within {seconds} s")):
        return services.start(name)


@pytest.fixture
def staff(services):
    service = start(services, "staff")
    seed_admin(service.config["DATABASE_URL"], ADMIN_PASSWORD)
    return service


def reply_queue_name(proxy_name="standalone_rpc_proxy"):
    """A reply queue as nameko names it, and the routing key nameko binds it with."""
    key = str(uuid.uuid4())
    return f"rpc.reply-{proxy_name}-{key}", key


def channel_of(uri):
    connection = Connection(uri, connect_timeout=5)
    connection.connect()
    return connection, connection.channel()


def attempt(uri, operation):
    """Runs ``operation(channel)`` on a fresh connection as a user; returns the AMQP error or None."""
    connection, channel = channel_of(uri)
    try:
        operation(channel)
    except AccessRefused as refused:
        return refused
    finally:
        connection.release()
    return None


def publish(exchange, routing_key):
    def operation(channel):
        # waits for the broker's confirm: a refused publish closes the channel instead
        channel.basic_publish_confirm(channel.prepare_message(b"{}"), exchange=exchange,
                                      routing_key=routing_key, confirm_timeout=10)
    return operation


# (a) ---------------------------------------------------------------------------------------------

def test_caller_logs_in_to_staff_running_as_its_own_broker_user(broker, services, staff):
    with services.rpc() as rpc:
        with pytest.raises(RemoteError) as wrong:
            rpc.staff.login("admin", "not-the-password-1")
        session = rpc.staff.login("admin", ADMIN_PASSWORD)
    assert wrong.value.exc_type == "Unauthenticated"
    assert session["roles"] == ["admin"] and session["token"]
    # the two ends logged in as their own users, each with only its own rights
    assert urlsplit(staff.config["AMQP_URI"]).username == broker.user_prefix + "staff"
    assert urlsplit(services.amqp_uri).username == broker.user_prefix + "caller"


# (b) ---------------------------------------------------------------------------------------------

def declare_and_bind(queue, key):
    """What nameko does for a queue of its own on the RPC exchange."""
    def operation(channel):
        channel.exchange_declare(RPC_EXCHANGE, "topic", durable=True, auto_delete=False)
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_bind(queue, RPC_EXCHANGE, routing_key=key)
    return operation


def _bind_attempts(uri, queue, own_key, foreign_key):
    """Declares ``queue`` (a name the user owns) with its own key, then tries ``foreign_key``."""
    assert attempt(uri, declare_and_bind(queue, own_key)) is None  # the user's own binding is allowed
    return attempt(uri, lambda channel: channel.queue_bind(queue, RPC_EXCHANGE, routing_key=foreign_key))


def test_caller_cannot_bind_a_queue_to_staff_login(broker):
    queue, key = reply_queue_name()
    refused = _bind_attempts(broker.uri("caller"), queue, key, "staff.login")
    assert refused is not None and refused.code == 403


@pytest.mark.parametrize("key", ["staff.login", "staff.*", "staff.#", "#", "*.login"])
def test_another_service_cannot_bind_staff_method_keys(broker, key):
    refused = _bind_attempts(broker.uri("ticket"), "rpc-ticket", "ticket.*", key)
    assert refused is not None and refused.code == 403


# (c) ---------------------------------------------------------------------------------------------

def opened_wide(layer):
    """The definitions with one layer of protection of ``staff.events`` opened to everyone else.

    Publishing is guarded twice: the vhost permission ``write`` (which exchanges a user may publish
    to) and the topic permission ``write`` on ``staff.events`` (which routing keys). Opening one
    shows that the other alone still refuses.
    """
    def load(**kwargs):
        document = definitions.load(**kwargs)
        for item in document[layer]:
            if item["user"].endswith("-staff"):
                continue
            if layer == "permissions" or item["exchange"] == "staff.events":
                item["write"] = ".*"
        return document
    return load


@pytest.mark.parametrize("guard", ["both", "vhost permissions alone", "topic permissions alone"])
def test_only_staff_publishes_on_staff_events(request, guard):
    load = {"both": definitions.load, "vhost permissions alone": opened_wide("topic_permissions"),
            "topic permissions alone": opened_wide("permissions")}[guard]
    with applied(request, load) as broker:
        assert attempt(broker.uri("staff"), publish("staff.events", "changed")) is None
        for user in ("caller", "ticket"):
            refused = attempt(broker.uri(user), publish("staff.events", "changed"))
            assert refused is not None and refused.code == 403, user


def test_a_service_cannot_delete_another_services_events_exchange(broker):
    def declare(name):
        return lambda channel: channel.exchange_declare(name, "topic", durable=True, auto_delete=False)

    assert attempt(broker.uri("ticket"), declare("ticket.events")) is None
    for operation in (lambda channel: channel.exchange_delete("staff.events"), declare("staff.events")):
        refused = attempt(broker.uri("ticket"), operation)
        assert refused is not None and refused.code == 403


def test_no_service_reaches_event_queues_through_the_default_exchange(broker):
    refused = attempt(broker.uri("ticket"), publish("", "evt-staff-changed--appraisal.on_staff_changed"))
    assert refused is not None and refused.code == 403


def test_caller_publishes_requests_but_not_replies(broker):
    caller = broker.uri("caller")
    assert attempt(caller, publish(RPC_EXCHANGE, "staff.login")) is None
    refused = attempt(caller, publish(RPC_EXCHANGE, str(uuid.uuid4())))
    assert refused is not None and refused.code == 403


# (d) ---------------------------------------------------------------------------------------------

def test_staff_cannot_consume_the_ticket_rpc_queue(broker):
    def consume(name):
        return lambda channel: channel.basic_consume(name, callback=lambda message: None)

    assert attempt(broker.uri("ticket"), declare_and_bind("rpc-ticket", "ticket.*")) is None
    assert attempt(broker.uri("staff"), declare_and_bind("rpc-staff", "staff.*")) is None
    assert attempt(broker.uri("staff"), consume("rpc-staff")) is None
    for user in ("staff", "caller"):
        refused = attempt(broker.uri(user), consume("rpc-ticket"))
        assert refused is not None and refused.code == 403, user


# (e) ---------------------------------------------------------------------------------------------

def test_staff_events_reach_another_service_running_as_its_own_user(services, staff):
    appraisal = start(services, "appraisal")
    with services.rpc() as rpc:
        session = rpc.staff.login("admin", ADMIN_PASSWORD)
    with entrypoint_waiter(appraisal.container, "on_staff_changed", timeout=20):
        with services.rpc(session["token"]) as rpc:
            changed = rpc.staff.set_status(session["staff_id"], "active")  # bumps the token version
    versions = [token_version(service.config["DATABASE_URL"], session["staff_id"])
                for service in (staff, appraisal)]
    assert changed["status"] == "active" and versions[0] is not None and versions[0] > 1
    assert versions[1] == versions[0]  # appraisal learnt the new version from staff.changed


def token_version(database_url, staff_id):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT version FROM token_versions WHERE staff_id = :id"),
                                      {"id": staff_id}).scalar()
    finally:
        engine.dispose()


def test_an_instance_the_broker_will_not_let_consume_is_never_ready(broker, container_factory, vault_server,
                                                                    service_tokens, database_url):
    """``ticket`` logged in as staff's broker user: the connection opens (the broker check is ok) and
    the web server answers, but the broker refuses it ticket's queues, so it never consumes and
    ``/health/ready`` says so (``consuming``) instead of sending traffic to an instance that takes none."""
    address = f"127.0.0.1:{free_port()}"
    config = service_config("ticket", broker.uri("staff"), database_url("ticket"), address, vault_server.addr,
                            service_tokens["ticket"], DECLARE_EVENT_EXCHANGES=False)
    container = container_factory(importlib.import_module("ticket.service").Service, config)
    starting = eventlet.spawn(container.start)  # never returns: the queue consumer retries for ever
    deadline = time.monotonic() + START_SECONDS
    answer = None
    while answer is None and time.monotonic() < deadline:
        try:
            answer = requests.get(f"http://{address}/health/ready", timeout=2)
        except requests.ConnectionError:
            eventlet.sleep(0.2)
    assert answer is not None, "the web server never answered"
    assert answer.status_code == 503
    assert answer.json()["checks"]["consuming"] == "unavailable"
    assert answer.json()["checks"]["broker"] == "ok"  # the refusal is not the broker being down
    container.kill()
    starting.kill()
