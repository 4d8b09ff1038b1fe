"""Events: the envelope of DESIGN §4, a dispatcher that publishes only after the worker committed,
and the bookkeeping that makes handlers idempotent.
"""
import uuid
import weakref

import sqlalchemy as sa
from nameko.events import EventDispatcher

from anchang_common.errors import ValidationError
from anchang_common.tables import processed_events, token_versions
from anchang_common.types import utcnow

ENVELOPE_VERSION = 1
_SCALARS = (str, int, float, bool, type(None))


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
    elif not isinstance(value, _SCALARS) or (isinstance(value, str) and len(value) > 100):
        raise ValueError(f"event {path} must be an id or an enumeration")


def parse_envelope(payload):
    """The envelope of a received event; ``ValidationError`` when it is not one."""
    if not isinstance(payload, dict):
        raise ValidationError({"event": "must be an envelope"})
    missing = {k: "missing" for k in ("event_id", "type", "occurred_at", "data") if k not in payload}
    if missing:
        raise ValidationError({f"event.{k}": v for k, v in missing.items()})
    return payload


class EventBuffer:
    """``self.events`` in a worker: ``dispatch("staff.hired", {...})`` queues an event; the entrypoint
    publishes the queue once the worker's transaction committed (and drops it on failure)."""

    def __init__(self, service_name, publish):
        self.service_name = service_name
        self._publish = publish
        self.pending = []

    def dispatch(self, event_type, data):
        source, _, name = event_type.partition(".")
        if source != self.service_name or not name:
            raise ValueError(f"{self.service_name} cannot dispatch {event_type}")
        envelope = make_envelope(event_type, data)
        self.pending.append((name, envelope))
        return envelope

    def flush(self):
        pending, self.pending = self.pending, []
        for name, envelope in pending:
            self._publish(name, envelope)

    def discard(self):
        self.pending = []


class Events(EventDispatcher):
    """nameko's persistent ``EventDispatcher``, buffered per worker (see ``EventBuffer``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.buffers = weakref.WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        buffer = EventBuffer(self.container.service_name, super().get_dependency(worker_ctx))
        self.buffers[worker_ctx] = buffer
        return buffer


def already_processed(session, event_id):
    return session.execute(
        sa.select(processed_events.c.event_id).where(processed_events.c.event_id == event_id)
    ).first() is not None


def mark_processed(session, envelope):
    """Record the event as handled, in the handler's own transaction."""
    session.execute(sa.insert(processed_events).values(
        event_id=envelope["event_id"], event_type=envelope["type"], processed_at=utcnow()))


def record_token_version(session, staff_id, version):
    """Keep the newest token version of ``staff_id``; older tokens are refused from then on."""
    current = session.execute(
        sa.select(token_versions.c.version).where(token_versions.c.staff_id == staff_id)
    ).scalar()
    if current is None:
        session.execute(sa.insert(token_versions).values(
            staff_id=staff_id, version=version, updated_at=utcnow()))
    elif version > current:
        session.execute(sa.update(token_versions).where(token_versions.c.staff_id == staff_id)
                        .values(version=version, updated_at=utcnow()))
