"""Calls to other services under this service's own identity, bounded in time.

``ServiceRpc("staff")`` is nameko's ``RpcProxy`` whose calls carry this service's Vault identity
token in the context key ``service_authorization`` (replacing whatever identity the incoming call
carried) next to the user's ``authorization`` when there is one, so the callee knows both who asks
and through which service.

nameko's own proxy waits for ever when the callee's queue exists but nobody consumes it (a stopped
service). Here every call is bounded: no answer within the timeout, or no such service at all, is
``DependencyUnavailable``; the request expires in the broker at the same moment, so a callee that
comes back later never acts on a call whose caller has already given up.
"""
import eventlet
from nameko import rpc as nameko_rpc
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, RpcProxy

from anchang_common.auth import CONTEXT_KEY, SERVICE_CONTEXT_KEY, identity_role
from anchang_common.broker import settle
from anchang_common.errors import DependencyUnavailable
from anchang_common.metrics import timed_dependency
from anchang_common.vault import VaultConnection

#: how long a call to another service may take before it counts as unavailable
CALL_TIMEOUT_SECONDS = 10


class CallingContext:
    """The worker's context, with this service's identity in place of the caller's; without the
    user's token too when the service acts on its own (``on_behalf_of_user=False``)."""

    def __init__(self, worker_ctx, identity_token, on_behalf_of_user=True):
        self._worker_ctx = worker_ctx
        self._identity_token = identity_token
        self._on_behalf_of_user = on_behalf_of_user

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)

    @property
    def context_data(self):
        data = dict(self._worker_ctx.context_data)
        if not self._on_behalf_of_user:
            data.pop(CONTEXT_KEY, None)
        data[SERVICE_CONTEXT_KEY] = f"Bearer {self._identity_token()}"
        return data


def own_identity(vault_connection, service_name):
    """A function giving this service's current identity token (cached by the Vault client)."""
    role = identity_role(service_name)
    return lambda: vault_connection.client.identity_token(role)


def call_within(method_proxy, timeout, *args, **kwargs):
    """``method_proxy(*args, **kwargs)``, or ``DependencyUnavailable`` after ``timeout`` seconds or
    when the service does not exist."""
    caller = method_proxy.container.service_name
    try:
        with timed_dependency(caller, f"rpc:{method_proxy.service_name}"):
            reply = method_proxy.call_async(*args, **kwargs)
            with eventlet.Timeout(timeout):
                return reply.result()
    except (eventlet.Timeout, UnknownService):
        raise DependencyUnavailable(f"{method_proxy.service_name} did not answer") from None


class BoundedServiceProxy:
    """``proxy.<method>(...)`` calls ``<service>.<method>`` and waits at most ``timeout`` seconds."""

    def __init__(self, context, service_name, reply_listener, timeout, **options):
        self._context = context
        self._service_name = service_name
        self._reply_listener = reply_listener
        self._timeout = timeout
        self._options = options

    def __getattr__(self, method_name):
        method = MethodProxy(self._context, self._service_name, method_name, self._reply_listener,
                             **self._options)
        return lambda *args, **kwargs: call_within(method, self._timeout, *args, **kwargs)


class ReplyListener(nameko_rpc.ReplyListener):
    """nameko's listener for the replies to this service's calls, except that acknowledging a reply on
    a connection that has just broken ends nothing: nameko's own lets the error end the consumer's
    thread, and the container is killed (found by the broker restart test: ``ticket`` stayed up and
    answered nothing again). The reply the broker gives out again finds no caller waiting and is
    dropped, as nameko drops any reply whose caller has gone."""

    def handle_message(self, body, message):
        settle(self.queue_consumer.ack_message, message)
        waiting = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if waiting is not None:
            waiting.send(body)


class ServiceRpc(RpcProxy):
    """An ``RpcProxy`` to ``target_service`` that calls as this service, each call bounded by
    ``timeout`` seconds. Needs Vault (the identity token)."""

    vault = VaultConnection()
    rpc_reply_listener = ReplyListener()

    def __init__(self, target_service, timeout=CALL_TIMEOUT_SECONDS, **options):
        # the request is dropped by the broker when the caller stops waiting (milliseconds string
        # in AMQP; kombu takes seconds)
        super().__init__(target_service, expiration=timeout, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        context = CallingContext(worker_ctx, own_identity(self.vault, self.container.service_name))
        return BoundedServiceProxy(context, self.target_service, self.rpc_reply_listener, self.timeout,
                                   **self.options)
