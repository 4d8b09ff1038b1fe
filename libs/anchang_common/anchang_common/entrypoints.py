"""Anchang's entrypoints: nameko's ``rpc``, ``event_handler`` and ``timer`` workers run as one unit
of work — arguments checked against the method's signature, the caller checked against the service's
permission table, the database session committed before the caller is answered or the event
acknowledged, events published only after that commit, everything rolled back on failure.

Errors leave as the contract's types (docs/contract/rpc.md): anything unexpected becomes
``InternalError`` carrying the call id, with the details in the log only.

The wiring is declared: ``ServiceBase`` declares ``unit_of_work = UnitOfWork()``, which declares what
it needs (the worker's session, the gate, the pending events) as nameko shared sub-extensions.
"""
import functools
import inspect
import logging
import re
import time

from nameko.events import EventHandler
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from sqlalchemy import exc as sa_exc

from anchang_common import idempotency
from anchang_common.broker import BROKER_ERRORS, settle
from anchang_common.db import WorkerSessions, is_unavailable
from anchang_common.errors import (
    EXPECTED_ERRORS,
    AnchangError,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InternalError,
    NotFound,
    Unauthenticated,
    ValidationError,
)
from anchang_common.events import PendingEvents, already_processed, mark_processed, parse_envelope
from anchang_common.gate import Gate
from anchang_common.metrics import observe_dependency, timed_dependency
from anchang_common.revocation import CHANGED_IN_SESSION

log = logging.getLogger(__name__)

REQUEUE_DELAY_SECONDS = 1.0
_ARGUMENT_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")
#: errors of a called service that mean the same to this service's caller (messages carry no PII)
_PASSED_THROUGH_REMOTE = {"Unauthenticated": Unauthenticated, "Forbidden": Forbidden, "NotFound": NotFound,
                          "Conflict": Conflict}


def to_contract_error(error, call_id):
    """The contract error a caller gets for ``error``."""
    if isinstance(error, AnchangError):
        return error
    if isinstance(error, sa_exc.IntegrityError):
        return Conflict("conflicts with an existing record")
    if is_unavailable(error):
        return DependencyUnavailable("database unavailable")
    if isinstance(error, BROKER_ERRORS):  # a call to another service could not be sent
        return DependencyUnavailable("the broker is unavailable")
    if isinstance(error, (UnknownService, RpcTimeout)) or (
            isinstance(error, RemoteError) and error.exc_type == "DependencyUnavailable"):
        return DependencyUnavailable("a service this call needs is unavailable")
    if isinstance(error, RemoteError) and error.exc_type in _PASSED_THROUGH_REMOTE:
        return _PASSED_THROUGH_REMOTE[error.exc_type](error.value)
    if isinstance(error, RemoteError) and error.exc_type == "ValidationError":
        # what this service passed on of its caller's input (an id, a text) was refused further on:
        # bad input still (found by fuzzing: an id ticket accepts and client_vault does not)
        return ValidationError(remote_validation_errors(error.value))
    log.error("internal error", extra={"call_id": call_id, "error_type": type(error).__name__})
    return InternalError(call_id)


#: a field path as ValidationError messages name them (``profile.phone``, ``rows[3].name``)
_FIELD_PATH = re.compile(r"[a-z_][a-z0-9_]{0,39}(\.[a-z_][a-z0-9_]{0,39}|\[[0-9]{1,6}\]){0,8}")
REFUSED_FURTHER_ON = "refused by a service this call needs"


def remote_validation_errors(message):
    """The fields a called service's ``ValidationError`` message names (``invalid input: a: problem;
    b: problem``), each ``REFUSED_FURTHER_ON``: only what looks like a field path is repeated, none of
    the called service's words, so nothing a caller sent can come back through them."""
    detail = (message or "").partition("invalid input: ")[2]
    fields = [part.partition(": ")[0] for part in detail.split("; ") if part]
    named = {field: REFUSED_FURTHER_ON for field in fields if _FIELD_PATH.fullmatch(field)}
    return named or {"arguments": REFUSED_FURTHER_ON}


class WorkerScope:
    """What a worker sees as ``self.unit_of_work``: runs its method as one unit of work."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @property
    def session(self):
        return self._provider.sessions.session(self._worker_ctx)

    def run(self, call):
        """``call()``; then commit, then publish the events it dispatched. On failure, nothing persists."""
        session = self.session
        started = time.perf_counter()
        try:
            result = call()
            with timed_dependency(self._provider.container.service_name, "database"):
                session.commit()
        except BaseException as error:
            session.rollback()
            session.info.pop(CHANGED_IN_SESSION, None)
            self._provider.pending.take(self._worker_ctx)
            if is_unavailable(error):  # a query before the commit found the database down
                observe_dependency(self._provider.container.service_name, "database", "server_error",
                                   time.perf_counter() - started)
            raise
        self._provider.committed(self._worker_ctx, session)
        return result

    def commit(self):
        """Commit what the worker wrote so far and publish the events it dispatched, before the method
        ends: for work that must persist although the method then raises (an audited refusal) or
        that is done in resumable steps (a rewrap batch). What follows runs in a new transaction."""
        self.session.commit()
        self._provider.committed(self._worker_ctx, self.session)

    def run_rpc(self, method_name, arguments, call, sensitive=()):
        """The gate first (who may call this, with these arguments), then the unit of work, answering
        a retry that carries the same ``idempotency_key`` with the first result. ``sensitive``
        arguments (passwords) are left out of the stored request hash."""
        caller = self._provider.gate.check(self._worker_ctx, method_name, arguments)
        key = arguments.get(idempotency.ARGUMENT)
        if key is None:
            return self.run(call)
        hashed = {name: value for name, value in arguments.items() if name not in sensitive}

        def once():
            return idempotency.once(self.session, method_name, caller.identity, key, hashed, call)
        return self.run(once)

    def run_handler(self, envelope, call, handler):
        """Handle ``envelope`` once per ``handler`` (the method's name): an event id that handler
        already processed is skipped."""
        session = self.session
        if already_processed(session, envelope["event_id"], handler):
            return None

        def handle():
            result = call()
            mark_processed(session, envelope, handler)
            return result
        try:
            return self.run(handle)
        except sa_exc.IntegrityError:
            if already_processed(session, envelope["event_id"], handler):
                return None  # a concurrent delivery of the same event won
            raise


class UnitOfWork(DependencyProvider):
    """Injects ``WorkerScope``; closes the worker's session at teardown."""

    sessions = WorkerSessions()
    gate = Gate()
    pending = PendingEvents()

    def setup(self):
        """A served method without an entry in the permission table (or an entry without a method)
        stops the service here, at start-up, not at call time."""
        methods = [e.method_name for e in self.container.entrypoints if isinstance(e, AnchangRpc)]
        table = getattr(self.container.service_cls, "permissions", None)
        if table is None and methods:
            raise RuntimeError(f"{self.container.service_name} serves RPC methods but declares no `permissions`")
        if table is not None:
            table.check_covers(self.container.service_name, methods)

    def get_dependency(self, worker_ctx):
        return WorkerScope(self, worker_ctx)

    def committed(self, worker_ctx, session):
        """After a worker's commit: token versions it wrote are forgotten here (their next check asks
        the source), then the events it dispatched are published."""
        changed = session.info.pop(CHANGED_IN_SESSION, None)
        if changed:
            self.gate.known.forget(*changed)
        self.pending.publish(worker_ctx, self.sessions.engine)

    def worker_teardown(self, worker_ctx):
        self.pending.take(worker_ctx)
        self.sessions.close(worker_ctx)


@functools.cache
def _signature(fn):
    return inspect.signature(fn)


def bind_arguments(fn, args, kwargs):
    """``{name: value}`` of a call to ``fn`` (a method), defaults applied; ``ValidationError`` naming
    every missing, unknown or surplus argument."""
    signature = _signature(fn)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        parameters = list(signature.parameters)[1:]
        errors = {}
        positional = [p for p in parameters if signature.parameters[p].kind in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        if len(args) > len(positional):
            errors["arguments"] = f"takes at most {len(positional)} positional arguments"
        given = set(positional[:len(args)]) | set(kwargs)
        for name in kwargs:
            if name not in parameters:
                # a caller's own name is echoed only when it looks like an argument name (never PII)
                errors[name if _ARGUMENT_NAME.fullmatch(name) else "arguments"] = "unknown argument"
            elif name in positional[:len(args)]:
                errors[name] = "given twice"
        for name in parameters:
            if signature.parameters[name].default is inspect.Parameter.empty and name not in given:
                errors[name] = "missing"
        raise ValidationError(errors or {"arguments": "do not match the method"}) from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))
    _refuse_nul(arguments)
    return arguments


def _refuse_nul(arguments):
    """``ValidationError`` naming each argument (or the path in it) whose text holds a NUL character:
    JSON carries it, PostgreSQL cannot store it, and no field of the contract needs it."""
    errors = {}

    def walk(value, path):
        if isinstance(value, str):
            if "\x00" in value:
                errors[path] = "must not contain the NUL character"
        elif isinstance(value, dict):
            for key, item in value.items():
                named = isinstance(key, str) and _ARGUMENT_NAME.fullmatch(key)  # never echo a key that is data
                if isinstance(key, str) and "\x00" in key:
                    errors[path] = "must not contain the NUL character"
                walk(item, f"{path}.{key}" if named else path)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
    for name, value in arguments.items():
        if _holds_nul(value):  # the paths are spelled out only then: a bulk argument is walked once
            walk(value, name)
    if errors:
        raise ValidationError(errors)


def _holds_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        for key, item in value.items():
            if (isinstance(key, str) and "\x00" in key) or _holds_nul(item):
                return True
    elif isinstance(value, (list, tuple)):
        for item in value:
            if _holds_nul(item):
                return True
    return False


class AnchangRpc(Rpc):
    """nameko's ``Rpc`` replying with contract errors only (the arguments are bound by ``rpc``'s
    wrapper; the permission table is checked against the served methods by ``UnitOfWork.setup``).

    A reply that cannot be sent because the broker went away is not an error of the service: nameko
    would let it end the worker's thread with an exception, and that kills the whole container. The
    request is left to the broker instead (requeued, or redelivered once the consumer reconnects):
    it is answered again, and a caller's retry with the same ``idempotency_key`` gets the first result.
    """

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            error = to_contract_error(exc_info[1], worker_ctx.call_id)
            exc_info = (type(error), error, exc_info[2])
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as error:
            log.warning("reply not sent, the request goes back to the broker: %s", type(error).__name__,
                        extra={"call_id": worker_ctx.call_id})
            settle(self.rpc_consumer.requeue_message, message)
            return result, exc_info


def rpc(fn=None, **kwargs):
    """Declare an RPC method; who may call it is the service's permission table's business."""
    if fn is None:
        return functools.partial(rpc, **kwargs)

    sensitive = tuple(kwargs.get("sensitive_arguments") or ())

    @functools.wraps(fn)
    def gated(self, *args, **call_kwargs):
        arguments = bind_arguments(fn, args, call_kwargs)
        return self.unit_of_work.run_rpc(fn.__name__, arguments, lambda: fn(self, *args, **call_kwargs),
                                         sensitive)

    kwargs.setdefault("expected_exceptions", EXPECTED_ERRORS)
    return AnchangRpc.decorator(**kwargs)(gated)


def is_transient(error):
    return isinstance(error, DependencyUnavailable) or is_unavailable(error)


class ReliableEventHandler(EventHandler):
    """Acknowledges after the handler committed; a handler that failed because a dependency was down
    gets the event again (after a pause), any other failure is logged and the event dropped."""

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and is_transient(exc_info[1]):
            time.sleep(REQUEUE_DELAY_SECONDS)
            settle(self.queue_consumer.requeue_message, message)
        else:
            settle(self.queue_consumer.ack_message, message)
        return result, exc_info


def event_handler(source_service, event_type, **kwargs):
    """Declare an idempotent handler of ``<source_service>.<event_type>``; it receives the envelope.

    An event id this handler already processed is skipped; the id is recorded with the handler's name
    in the handler's own transaction, so several handlers of one event in a service each run once.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def idempotent(self, payload):
            envelope = parse_envelope(payload)
            return self.unit_of_work.run_handler(envelope, lambda: fn(self, envelope), fn.__name__)
        return ReliableEventHandler.decorator(source_service, event_type, **kwargs)(idempotent)
    return decorate


def transactional(fn):
    """Run a timer (or any other) worker as one unit of work."""
    @functools.wraps(fn)
    def unit_of_work(self, *args, **kwargs):
        return self.unit_of_work.run(lambda: fn(self, *args, **kwargs))
    return unit_of_work
