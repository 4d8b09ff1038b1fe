"""The CLI's one door to Anchang's RPC API.

Today it is nameko's ``ClusterRpcProxy`` with the caller's token in the context key ``authorization``
(docs/contract/rpc.md); every command and the demo go through ``Door.call`` and ``Door.send`` only,
so moving to a typed client changes this module alone. It turns what the broker and the services
answer into the CLI's errors: the contract's error replies (``ServiceError``), a broker that refuses
the connection or a service nobody consumes for (``StackNotRunning``), a call that outlives its
budget (``NoAnswer``)."""
import socket
from urllib.parse import urlsplit

import amqp.exceptions
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_cli.errors import NoAnswer, ServiceError, StackNotRunning

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
#: seconds one call may take before ``NoAnswer`` (an import of 10,000 rows takes a few)
CALL_TIMEOUT = 60
#: seconds to wait for the broker to accept a connection
CONNECT_TIMEOUT = 5
#: the queue nameko's RPC consumer of ``service`` reads
RPC_QUEUE = "rpc-{}"
#: what fails when the broker is not there (refused, unknown vhost, wrong credentials, dropped)
BROKER_ERRORS = (OSError, socket.timeout, amqp.exceptions.AMQPError, OperationalError)

_serving = set()  # (stack, service) seen with a consumer by this process


def stack_name(amqp_uri):
    """``host:port/vhost`` of the broker, without credentials: what messages and the session file name."""
    parts = urlsplit(amqp_uri)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5672}/{parts.path[1:]}"


def check_serving(amqp_uri, service):
    """Raise ``StackNotRunning`` unless the broker answers and ``service`` has a consumer on its RPC queue
    (once per process and service: a quick look, not a call)."""
    if (amqp_uri, service) in _serving:
        return
    try:
        with Connection(amqp_uri, connect_timeout=CONNECT_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            try:
                _, _, consumers = channel.queue_declare(RPC_QUEUE.format(service), passive=True)
            except amqp.exceptions.NotFound:
                consumers = 0
    except BROKER_ERRORS as error:
        raise StackNotRunning(f"cannot reach RabbitMQ at {stack_name(amqp_uri)} ({_reason(error)})") from None
    if not consumers:
        raise StackNotRunning(f"no `{service}` service is running on {stack_name(amqp_uri)}")
    _serving.add((amqp_uri, service))


def _reason(error):
    return str(error) or type(error).__name__


class Door:
    """Calls as one caller: anonymous (``token=None``: ``staff.login`` only) or a member's session.

    ``with Door(uri, token) as door: door.call("staff", "get_staff", staff_id)``; ``door.send(...)``
    sends without waiting and returns a ``Pending`` (several in flight on one connection)."""

    def __init__(self, amqp_uri, token=None, timeout=CALL_TIMEOUT):
        self.amqp_uri = amqp_uri
        self.token = token
        self.timeout = timeout
        self._proxy = None
        self._services = None

    def __enter__(self):
        context = {"authorization": f"Bearer {self.token}"} if self.token else None
        self._proxy = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, context_data=context, timeout=self.timeout)
        try:
            self._services = self._proxy.start()
        except BROKER_ERRORS as error:
            self._proxy = None
            raise StackNotRunning(f"cannot reach RabbitMQ at {stack_name(self.amqp_uri)} ({_reason(error)})") from None
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._proxy is not None:
            try:
                self._proxy.stop()
            except BROKER_ERRORS:  # the broker went away meanwhile: nothing left to close
                pass
            self._proxy = None

    def call(self, service, method, *args, **kwargs):
        return self.send(service, method, *args, **kwargs).result()

    def send(self, service, method, *args, **kwargs):
        check_serving(self.amqp_uri, service)
        try:
            reply = getattr(getattr(self._services, service), method).call_async(*args, **kwargs)
        except UnknownService:
            raise StackNotRunning(f"no `{service}` service is running on {stack_name(self.amqp_uri)}") from None
        except BROKER_ERRORS as error:
            raise StackNotRunning(f"lost RabbitMQ at {stack_name(self.amqp_uri)} ({_reason(error)})") from None
        return Pending(self, f"{service}.{method}", reply)


class Pending:
    """A call sent and not yet answered; ``result()`` waits for its reply."""

    def __init__(self, door, name, reply):
        self.door = door
        self.name = name
        self._reply = reply

    def result(self):
        try:
            return self._reply.result()
        except RemoteError as error:
            raise ServiceError(error.exc_type, error.value) from None
        except RpcTimeout:
            raise NoAnswer(f"{self.name} did not answer within {self.door.timeout} s") from None
        except BROKER_ERRORS as error:
            raise StackNotRunning(f"lost RabbitMQ at {stack_name(self.door.amqp_uri)} ({_reason(error)})") from None
