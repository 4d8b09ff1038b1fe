"""Anchang's entrypoints: nameko's ``rpc``, ``event_handler`` and ``timer`` workers run as one unit
of work — permission checked first, the database session committed before the caller is answered or
the event acknowledged, events published only after that commit, everything rolled back on failure.

Errors leave as the contract's types (DESIGN §3): anything unexpected becomes ``InternalError``
carrying the call id, with the details in the log only.
"""
import functools
import logging
import time

from nameko.events import EventHandler
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import Rpc
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from anchang_common.auth import Authorization
from anchang_common.db import is_unavailable
from anchang_common.errors import (
    EXPECTED_ERRORS, AnchangError, Conflict, DependencyUnavailable, Forbidden, InternalError,
    Unauthenticated)
from anchang_common.events import EventBuffer, already_processed, mark_processed, parse_envelope

log = logging.getLogger(__name__)

#: any authenticated, active staff member
ANY_STAFF = ()
REQUEUE_DELAY_SECONDS = 1.0
_PASSED_THROUGH_REMOTE = {"Unauthenticated": Unauthenticated, "Forbidden": Forbidden}


def injected(service, kind):
    """The dependencies of type ``kind`` injected into this worker's service instance."""
    return [value for value in vars(service).values() if isinstance(value, kind)]


def session_of(service):
    """The worker's database session (the service must declare a ``Database`` dependency)."""
    sessions = injected(service, Session)
    if not sessions:
        raise RuntimeError(f"{type(service).__name__} declares no Database dependency")
    return sessions[0]


def run_unit_of_work(service, fn, *args, **kwargs):
    """Run ``fn``; commit every session, then publish queued events. On failure, nothing persists."""
    sessions = injected(service, Session)
    buffers = injected(service, EventBuffer)
    try:
        result = fn(*args, **kwargs)
        for session in sessions:
            session.commit()
    except BaseException:
        for session in sessions:
            session.rollback()
        for buffer in buffers:
            buffer.discard()
        raise
    for buffer in buffers:
        buffer.flush()
    return result


def to_contract_error(error, call_id):
    """The contract error a caller gets for ``error``."""
    if isinstance(error, AnchangError):
        return error
    if isinstance(error, sa_exc.IntegrityError):
        return Conflict("conflicts with an existing record")
    if is_unavailable(error):
        return DependencyUnavailable("database unavailable")
    if isinstance(error, (UnknownService, RpcTimeout)) or (
            isinstance(error, RemoteError) and error.exc_type == "DependencyUnavailable"):
        return DependencyUnavailable("a service this call needs is unavailable")
    if isinstance(error, RemoteError) and error.exc_type in _PASSED_THROUGH_REMOTE:
        return _PASSED_THROUGH_REMOTE[error.exc_type](error.value)
    log.error("internal error", extra={"call_id": call_id, "error_type": type(error).__name__})
    return InternalError(call_id)


class AnchangRpc(Rpc):
    """nameko's ``Rpc``, replying with contract errors only."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            error = to_contract_error(exc_info[1], worker_ctx.call_id)
            exc_info = (type(error), error, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


def rpc(fn=None, *, roles=ANY_STAFF, public=False, admin_inherits=True, active=True, **kwargs):
    """Declare an RPC method. ``roles``: who may call it (``admin`` holds every role unless
    ``admin_inherits=False``); ``public=True``: no token needed (``login``)."""
    if fn is None:
        return functools.partial(rpc, roles=roles, public=public, admin_inherits=admin_inherits,
                                 active=active, **kwargs)

    @functools.wraps(fn)
    def unit_of_work(self, *args, **call_kwargs):
        if not public:
            authorizations = injected(self, Authorization)
            if not authorizations:
                raise RuntimeError(f"{type(self).__name__} declares no Auth dependency")
            authorizations[0].require(roles, admin_inherits=admin_inherits, active=active)
        return run_unit_of_work(self, fn, self, *args, **call_kwargs)

    kwargs.setdefault("expected_exceptions", EXPECTED_ERRORS)
    return AnchangRpc.decorator(**kwargs)(unit_of_work)


def is_transient(error):
    return isinstance(error, DependencyUnavailable) or is_unavailable(error)


class ReliableEventHandler(EventHandler):
    """Acknowledges after the handler committed; a handler that failed because a dependency was down
    gets the event again (after a pause), any other failure is logged and the event dropped."""

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and is_transient(exc_info[1]):
            time.sleep(REQUEUE_DELAY_SECONDS)
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
        return result, exc_info


def event_handler(source_service, event_type, **kwargs):
    """Declare an idempotent handler of ``<source_service>.<event_type>``; it receives the envelope.

    An event id already processed is skipped; the id is recorded in the handler's own transaction.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def idempotent(self, payload):
            envelope = parse_envelope(payload)
            session = session_of(self)
            if already_processed(session, envelope["event_id"]):
                return None

            def handle():
                result = fn(self, envelope)
                mark_processed(session, envelope)
                return result
            try:
                return run_unit_of_work(self, handle)
            except sa_exc.IntegrityError:
                if already_processed(session, envelope["event_id"]):
                    return None  # a concurrent delivery of the same event won
                raise
        return ReliableEventHandler.decorator(source_service, event_type, **kwargs)(idempotent)
    return decorate


def transactional(fn):
    """Run a timer (or any other) worker as one unit of work."""
    @functools.wraps(fn)
    def unit_of_work(self, *args, **kwargs):
        return run_unit_of_work(self, fn, self, *args, **kwargs)
    return unit_of_work
