"""Real RabbitMQ for tests: a throwaway vhost with broker permissions applied, and a tap on exchanges.

``permissioned_vhost`` imports a definitions document (RabbitMQ's definitions format, e.g. Anchang's
``deploy/rabbitmq/definitions.json`` through its loader) into a new vhost through the management
API, with fresh random passwords and a user-name prefix unique to this call, so that parallel runs
and the broker's own users are never touched. It yields the AMQP URI of each user and removes the
vhost and the users afterwards.

``BrokerTap`` binds a queue of its own with ``#`` to the exchanges a test names, so the test sees a
copy of every message published on them (requests, replies, events) as it travelled, which is what a
contract or leak check has to read rather than what a service chose to return.
"""
import json
import secrets
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from kombu import Connection, Consumer, Exchange, Queue

TIMEOUT_SECONDS = 10


@dataclass
class PermissionedVhost:
    vhost: str
    user_prefix: str
    uris: dict = field(default_factory=dict)  # user name as in the definitions file -> AMQP URI

    def uri(self, user):
        return self.uris[user]


class ManagementApi:
    """The few calls of RabbitMQ's HTTP API this module needs; ``api_uri`` carries the credentials."""

    def __init__(self, api_uri):
        parts = urlsplit(api_uri)
        self.base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 15672}", "", "", ""))
        self.auth = (parts.username or "guest", parts.password or "guest")

    def request(self, method, path, **kwargs):
        response = requests.request(method, self.base + path, auth=self.auth, timeout=TIMEOUT_SECONDS,
                                    **kwargs)
        response.raise_for_status()
        return response

    def delete(self, path):
        response = requests.delete(self.base + path, auth=self.auth, timeout=TIMEOUT_SECONDS)
        if response.status_code != 404:
            response.raise_for_status()

    def import_definitions(self, document):
        self.request("POST", "/api/definitions", json=document)

    def delete_vhost(self, vhost):
        self.delete(f"/api/vhosts/{quote(vhost, safe='')}")

    def delete_user(self, name):
        self.delete(f"/api/users/{quote(name, safe='')}")


def amqp_uri_for(amqp_uri, user, password, vhost):
    parts = urlsplit(amqp_uri)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5672}"
    return urlunsplit((parts.scheme, netloc, "/" + quote(vhost, safe=""), parts.query, ""))


@contextmanager
def permissioned_vhost(api_uri, amqp_uri, load, users):
    """``load(vhost=, user_prefix=, passwords=)`` → definitions; ``users``: their names in the file.

    Yields a ``PermissionedVhost`` whose ``uri(name)`` logs in as that user into the new vhost.
    """
    token = uuid.uuid4().hex[:10]
    vhost = f"anchang_perm_{token}"
    prefix = f"anchang-test-{token}-"
    passwords = {name: secrets.token_urlsafe(18) for name in users}
    document = load(vhost=vhost, user_prefix=prefix, passwords=passwords)
    created = [user["name"] for user in document["users"]]
    strangers = [name for name in created if not name.startswith(prefix)]
    if strangers:  # importing would overwrite users this test does not own
        raise ValueError(f"definitions name users outside the test prefix: {strangers}")
    if {v["name"] for v in document["vhosts"]} != {vhost}:
        raise ValueError("definitions name vhosts other than the test's own")
    api = ManagementApi(api_uri)
    try:
        api.import_definitions(document)
        yield PermissionedVhost(vhost, prefix, {
            name: amqp_uri_for(amqp_uri, prefix + name, password, vhost)
            for name, password in passwords.items()})
    finally:
        api.delete_vhost(vhost)
        for name in created:
            api.delete_user(name)


@dataclass(frozen=True)
class TappedMessage:
    """One message as it travelled: where it was published, its body as text, its AMQP properties."""

    exchange: str
    routing_key: str
    body: str
    headers: dict
    properties: dict  # correlation_id, reply_to, content_type, ...

    def json(self):
        return json.loads(self.body)


class BrokerTap:
    """An exclusive, auto-deleted queue bound with ``#`` to each of ``exchanges``: from the moment it
    is made, a copy of every message published on them.

    The exchanges are declared as nameko declares them (durable topic exchanges), so a tap made before
    the services start misses nothing they publish. ``drain`` collects what has arrived; ``messages``
    keeps everything collected so far. Use it as a context manager, or ``close`` it.
    """

    def __init__(self, amqp_uri, exchanges, connect_timeout=5):
        self.messages = []
        self._last_arrival = time.monotonic()
        self._connection = Connection(amqp_uri, connect_timeout=connect_timeout)
        try:
            channel = self._connection.channel()
            queue = Queue(exclusive=True, auto_delete=True, channel=channel)  # the broker names it
            queue.declare()
            for name in exchanges:
                exchange = Exchange(name, "topic", durable=True, channel=channel)
                exchange.declare()
                queue.bind_to(exchange, routing_key="#")
            # raw messages (no deserialising): the body is kept as the text that travelled
            Consumer(channel, [queue], no_ack=True, auto_declare=False, on_message=self._received).consume()
        except BaseException:
            self._connection.release()
            raise

    def _received(self, message):
        self._last_arrival = time.monotonic()
        body = message.body.decode() if isinstance(message.body, bytes) else message.body
        self.messages.append(TappedMessage(
            exchange=message.delivery_info["exchange"], routing_key=message.delivery_info["routing_key"],
            body=body, headers=dict(message.headers or {}), properties=dict(message.properties)))

    def drain(self, quiet=1.0, deadline=20.0):
        """Collect messages until none has arrived for ``quiet`` seconds, or ``deadline`` seconds have
        passed (traffic that never pauses must not hang the test); returns those this call collected.

        Waiting on the socket rather than sleeping: the drain ends as soon as the traffic has been
        quiet that long, however quick or slow the services were."""
        started = time.monotonic()
        collected_before = len(self.messages)
        self._last_arrival = started
        while (wait := min(self._last_arrival + quiet, started + deadline) - time.monotonic()) > 0:
            try:
                self._connection.drain_events(timeout=wait)
            except TimeoutError:  # nothing within ``wait``: the loop's condition says whether to go on
                pass
        return self.messages[collected_before:]

    def close(self):
        self._connection.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
