"""Events: the envelope of docs/contract/events.md, a dispatcher with a transactional outbox, and the bookkeeping
that makes handlers idempotent.

An event is written to the service's ``outbox`` table in the worker's own transaction, published
once that transaction committed, then deleted. If publishing fails (broker down, process killed),
the row stays and a relay publishes it later: an event is never lost and never published for work
that was rolled back. It may be published twice, which idempotent handlers absorb.
"""
import logging
import re
import time
import uuid
import weakref
from datetime import timedelta

import sqlalchemy as sa
from nameko.events import EventDispatcher
from nameko.extensions import SharedExtension

from anchang_common.db import WorkerSessions
from anchang_common.errors import ValidationError
from anchang_common.tables import outbox, processed_events
from anchang_common.types import utcnow

log = logging.getLogger(__name__)

ENVELOPE_VERSION = 1
OUTBOX_RELAY_SECONDS = 5.0
OUTBOX_RELAY_BATCH = 500
_SCALARS = (int, float, bool, type(None))
#: what an id, an enumeration or a timestamp looks like; anything else (free text) is refused
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_.:+\-]{0,100}")
#: the only context keys that travel in event headers: tracing, never credentials
PROPAGATED_HEADERS = ("call_id_stack",)


def make_envelope(event_type, data, version=ENVELOPE_VERSION):
    """``{event_id, type, occurred_at, version, data}``; ``data`` holds ids and enumerations only."""
    _check_data(data, "data")
    return {"event_id": uuid.uuid4().hex, "type": event_type, "occurred_at": utcnow().isoformat(),
            "version": version, "data": data}


def _check_data(value, path):
    # no free text, no nested documents: keeps PII out of events by construction
    if isinstance(value, dict):
        for key, item in value.items():
            _check_data(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_data(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if not _TOKEN_TEXT.fullmatch(value):
            raise ValueError(f"event {path} must be an id or an enumeration")
    elif not isinstance(value, _SCALARS):
        raise ValueError(f"event {path} must be an id or an enumeration")


def parse_envelope(payload):
    """The envelope of a received event; ``ValidationError`` when it is not one."""
    if not isinstance(payload, dict):
        raise ValidationError({"event": "must be an envelope"})
    missing = {k: "missing" for k in ("event_id", "type", "occurred_at", "data") if k not in payload}
    if missing:
        raise ValidationError({f"event.{k}": v for k, v in missing.items()})
    return payload


class PendingEvents(SharedExtension):
    """Events each worker dispatched, in order, until its unit of work commits (then published) or
    fails (then dropped; the outbox rows roll back with the rest)."""

    def __init__(self):
        super().__init__()
        self._pending = weakref.WeakKeyDictionary()

    def add(self, worker_ctx, publish, envelope):
        self._pending.setdefault(worker_ctx, []).append((publish, envelope))

    def take(self, worker_ctx):
        return self._pending.pop(worker_ctx, [])

    def publish(self, worker_ctx, engine):
        """Publish what the committed worker dispatched; what fails stays in the outbox for the relay."""
        published = []
        try:
            for publish, envelope in self.take(worker_ctx):
                publish()
                published.append(envelope["event_id"])
        except Exception as error:  # the work is committed: the relay delivers the rest
            log.warning("publishing events failed, left to the outbox relay: %s", type(error).__name__)
        if published:
            delete_delivered(engine, published)


def delete_delivered(engine, event_ids):
    try:
        with engine.begin() as connection:
            connection.execute(sa.delete(outbox).where(outbox.c.event_id.in_(event_ids)))
    except sa.exc.SQLAlchemyError as error:  # published twice at worst; handlers are idempotent
        log.warning("could not clear the outbox: %s", type(error).__name__)


class EventBuffer:
    """``self.events`` in a worker: ``dispatch("staff.hired", {...})`` records an event in the outbox;
    the unit of work publishes it once the worker's transaction committed (see module docstring)."""

    def __init__(self, service_name, session, queue):
        self.service_name = service_name
        self._session = session
        self._queue = queue

    def dispatch(self, event_type, data):
        source, _, name = event_type.partition(".")
        if source != self.service_name or not name:
            raise ValueError(f"{self.service_name} cannot dispatch {event_type}")
        envelope = make_envelope(event_type, data)
        self._session.execute(sa.insert(outbox).values(
            event_id=envelope["event_id"], name=name, payload=envelope, created_at=utcnow()))
        self._queue(envelope)
        return envelope


class Events(EventDispatcher):
    """nameko's persistent ``EventDispatcher`` behind a transactional outbox (see module docstring).

    Message headers carry tracing ids only (``PROPAGATED_HEADERS``): never a caller's token.
    """

    sessions = WorkerSessions()
    pending = PendingEvents()

    def start(self):
        self.relay_seconds = float(self.container.config.get("OUTBOX_RELAY_SECONDS") or OUTBOX_RELAY_SECONDS)
        self.container.spawn_managed_thread(self._relay_forever, identifier="outbox_relay")
        super().start()

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        allowed = {self._get_header_name(key) for key in PROPAGATED_HEADERS}
        return {key: value for key, value in headers.items() if key in allowed}

    def get_dependency(self, worker_ctx):
        publish = super().get_dependency(worker_ctx)

        def queue(envelope):
            self.pending.add(worker_ctx, lambda: publish(envelope["type"].partition(".")[2], envelope),
                             envelope)
        return EventBuffer(self.container.service_name, self.sessions.session(worker_ctx), queue)

    def _relay_forever(self):
        while True:
            time.sleep(self.relay_seconds)
            try:
                self.relay_once()
            except Exception as error:  # never let the relay kill the container; try again later
                log.warning("outbox relay failed: %s", type(error).__name__)

    def relay_once(self, older_than_seconds=None):
        """Publish outbox rows older than the relay interval (their worker's own flush failed)."""
        age = self.relay_seconds if older_than_seconds is None else older_than_seconds
        cutoff = utcnow() - timedelta(seconds=age)
        with self.sessions.engine.connect() as connection:
            rows = connection.execute(
                sa.select(outbox.c.event_id, outbox.c.name, outbox.c.payload)
                .where(outbox.c.created_at <= cutoff).order_by(outbox.c.created_at)
                .limit(OUTBOX_RELAY_BATCH)).all()
        for event_id, name, payload in rows:
            self.publisher.publish(payload, exchange=self.exchange, routing_key=name)
            delete_delivered(self.sessions.engine, [event_id])
        return len(rows)


#: the handler of rows recorded before events were kept per handler: they count for every handler
#: (a service had one handler per event type then)
ANY_HANDLER = ""


def already_processed(session, event_id, handler):
    return session.execute(
        sa.select(processed_events.c.event_id).where(
            processed_events.c.event_id == event_id, processed_events.c.handler.in_((handler, ANY_HANDLER)))
    ).first() is not None


def mark_processed(session, envelope, handler):
    """Record the event as handled by ``handler``, in the handler's own transaction."""
    session.execute(sa.insert(processed_events).values(
        event_id=envelope["event_id"], handler=handler, event_type=envelope["type"], processed_at=utcnow()))
