"""Token revocation: a token is valid only at its member's exact current token version.

``staff`` is the source of the versions: ``set_status``, ``set_roles``, password changes and
``logout`` bump a member's version, and staff's own ``token_versions`` table records every bump in
the same transaction, before ``staff.changed`` is published. Every other service keeps a copy in its
``token_versions`` table, and never trusts an event's numbers: ``staff.changed`` only says *whose*
version to ask ``staff`` for (``staff.token_versions``, called with this service's identity).

The read path holds the versions in process (``KnownVersions``, one per service instance), so a call
whose token matches costs no database hop and no call. What keeps them current is a broadcast: every
instance of every service consumes ``staff.changed`` on a queue of its own (``StaffChangedBroadcast``,
deleted with the instance's connection) and forgets the member it names; the member's next call asks
the source again: staff's own table in ``staff``, ``staff.token_versions`` elsewhere (this service's
copy refuses a token older than it without asking, and decides alone when staff does not answer,
then without being held). The versions are held only while that queue is consumed: when its
connection breaks they are all forgotten, and until the instance consumes again every call asks the
source. So a revoked token is refused by an instance as soon as the broadcast reached it
(milliseconds after staff committed; docs/architecture.md#revocation), and an instance that could
have missed the broadcast holds nothing it learned before.

The copy in the database is kept by a durable handler (``base.RevocationListener``, one instance per
service) and a sweep every ``RESYNC_SECONDS``, so that it is current for the fallback.
"""
import threading
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from kombu import Queue
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.messaging import QueueConsumer
from nameko.rpc import MethodProxy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from anchang_common.broker import BROKER_ERRORS
from anchang_common.calls import CallingContext, ReplyListener, call_within, own_identity
from anchang_common.errors import DependencyUnavailable, Unauthenticated
from anchang_common.tables import token_versions
from anchang_common.types import utcnow
from anchang_common.vault import VaultConnection

#: the version of a member whose tokens were never revoked (staff keeps no row for them)
INITIAL_TOKEN_VERSION = 1
#: how often the copies are compared with staff, whatever the events said
RESYNC_SECONDS = 300
#: how long a service waits for ``staff.token_versions``
FETCH_TIMEOUT_SECONDS = 5
#: the most members an instance holds; beyond, it starts afresh rather than grow
MAX_KNOWN = 100_000
#: ``session.info`` key: members whose version this worker wrote (forgotten here once it commits)
CHANGED_IN_SESSION = "anchang_token_versions_changed"


class KnownVersions(SharedExtension):
    """This instance's token versions, held in process while the ``staff.changed`` broadcast is
    consumed (see module docstring). Each change, reconnection or loss of the connection advances a
    counter, and a version read before it is not held (it may predate the change)."""

    def __init__(self):
        super().__init__()
        self._versions = {}
        self._live = False
        self._changes = 0
        self._lock = threading.Lock()

    @property
    def live(self):
        return self._live

    def lookup(self, staff_id):
        """``(version or None, stamp)``; pass ``stamp`` to ``remember`` what the source then said."""
        return (self._versions.get(staff_id) if self._live else None), self._changes

    def remember(self, staff_id, version, stamp):
        with self._lock:
            if not self._live or stamp != self._changes:
                return
            if len(self._versions) >= MAX_KNOWN:
                self._versions.clear()
            self._versions[staff_id] = version

    def forget(self, *staff_ids):
        """A change was announced (or made here): the members' next calls ask the source."""
        with self._lock:
            self._changes += 1
            for staff_id in staff_ids:
                self._versions.pop(staff_id, None)

    def consuming(self):
        """The broadcast queue is consumed (again): from now on every change reaches this instance."""
        with self._lock:
            self._changes += 1
            self._versions.clear()
            self._live = True

    def not_consuming(self):
        """The broadcast queue is not consumed: changes may be missed, so nothing is held."""
        with self._lock:
            self._changes += 1
            self._versions.clear()
            self._live = False


class BroadcastConsumer(QueueConsumer):
    """nameko's queue consumer, on a connection of its own, telling its providers when it starts
    consuming (after every connection) and when it stops (connection lost, or stopping)."""

    @contextmanager
    def consumer_context(self, **kwargs):
        try:
            with super().consumer_context(**kwargs) as context:
                for provider in list(self._providers):
                    provider.consuming()
                yield context
        finally:
            for provider in list(self._providers):
                provider.not_consuming()


class StaffChangedBroadcast(SharedExtension):
    """``staff.changed`` on a queue of this instance's own (exclusive, auto-deleted, named as nameko
    names a broadcast handler's queue, which the broker permissions allow): each event makes
    ``KnownVersions`` forget the member it names. Handled in the consumer's thread rather than by a
    worker, so a busy instance learns of a change as fast as an idle one."""

    consumer = BroadcastConsumer()
    known = KnownVersions()

    def setup(self):
        service = self.container.service_name
        self.queue = Queue(f"evt-staff-changed--{service}.token_versions-{uuid.uuid4().hex}",
                           exchange=get_event_exchange("staff", self.container.config), routing_key="changed",
                           durable=False, exclusive=True, auto_delete=True)
        self.consumer.register_provider(self)

    def stop(self):
        self.consumer.unregister_provider(self)

    def handle_message(self, body, message):
        data = body.get("data") if isinstance(body, dict) else None
        staff_id = data.get("staff_id") if isinstance(data, dict) else None
        if isinstance(staff_id, str):
            self.known.forget(staff_id)
        try:
            self.consumer.ack_message(message)
        except BROKER_ERRORS:  # the connection is gone: not_consuming() follows, nothing is held
            pass

    def consuming(self):
        self.known.consuming()

    def not_consuming(self):
        self.known.not_consuming()


def stored_version(session, staff_id):
    """The version this service has recorded for ``staff_id``; ``None`` when it has none."""
    return session.execute(sa.select(token_versions.c.version).where(
        token_versions.c.staff_id == staff_id)).scalar()


def known_staff_ids(session):
    return list(session.execute(sa.select(token_versions.c.staff_id)).scalars())


def record_version(session, staff_id, version, announce=True):
    """Set ``staff_id``'s recorded version to exactly ``version``; if that changed it, this instance
    forgets what it held of the member once the worker commits (``entrypoints.WorkerScope`` reads
    ``CHANGED_IN_SESSION``), unless ``announce`` is false. ``session``: an ORM session or a connection."""
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    changed = session.execute(_upsert_version(dialect, staff_id, version)).rowcount
    if changed and announce:  # a sweep that finds every version as it was makes nobody ask again
        session.info.setdefault(CHANGED_IN_SESSION, set()).add(staff_id)


def _upsert_version(dialect, staff_id, version):
    """One statement that inserts the member's row or sets its version, touching nothing when it is
    already ``version`` (no row counted then). Two workers recording a member's first version at
    once meet in the database, which makes one wait for the other: an update-then-insert let both
    insert, and the second failed on the key (found by the broker restart test on PostgreSQL)."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(token_versions)
    now = utcnow()
    return insert.values(staff_id=staff_id, version=version, updated_at=now).on_conflict_do_update(
        index_elements=[token_versions.c.staff_id], set_={"version": version, "updated_at": now},
        where=token_versions.c.version != version)


def record_versions(session, versions, asked, announce=True):
    """Record what staff answered for ``asked``; members staff does not know are forgotten.
    ``announce=False``: the caller holds the answer itself (the gate), nothing to forget."""
    for staff_id in asked:
        if staff_id in versions:
            record_version(session, staff_id, int(versions[staff_id]), announce)
        else:
            if announce:
                session.info.setdefault(CHANGED_IN_SESSION, set()).add(staff_id)
            session.execute(sa.delete(token_versions).where(token_versions.c.staff_id == staff_id))


class StaffVersions(SharedExtension):
    """Asks ``staff.token_versions`` under this service's own identity (no user token)."""

    vault = VaultConnection()
    rpc_reply_listener = ReplyListener()

    def fetch(self, worker_ctx, staff_ids):
        """``{staff_id: version}``; ``DependencyUnavailable`` when staff does not answer in time."""
        context = CallingContext(worker_ctx, own_identity(self.vault, self.container.service_name),
                                 on_behalf_of_user=False)
        call = MethodProxy(context, "staff", "token_versions", self.rpc_reply_listener)
        return call_within(call, FETCH_TIMEOUT_SECONDS, list(staff_ids))


def check_current(session, principal, authoritative, fetch, known=None):
    """``Unauthenticated`` unless ``principal``'s token is at the member's current version.

    ``known`` (``KnownVersions``) answers without I/O when it holds the member. Otherwise the source
    decides, and ``known`` holds its answer: with ``authoritative`` (``staff``) this service's table,
    where no row means the initial version; elsewhere ``fetch`` (staff's answer, recorded in this
    service's copy too), except that a token older than the copy is refused at once (the copy only
    ever holds what staff answered, and versions only grow). When staff does not answer, a token at
    the copy's version passes without being held; a newer one is ``DependencyUnavailable``.
    """
    staff_id = principal.staff_id
    held, stamp = known.lookup(staff_id) if known is not None else (None, None)
    if held is not None:
        if principal.version == held:
            return
        if principal.version < held:
            raise Unauthenticated("token revoked")
    if authoritative:
        current = stored_version(session, staff_id)
        current = INITIAL_TOKEN_VERSION if current is None else current
    else:
        copied = stored_version(session, staff_id)
        if copied is not None and principal.version < copied:
            raise Unauthenticated("token revoked")
        try:
            versions = fetch([staff_id])
        except DependencyUnavailable:
            if copied is None or principal.version != copied:
                raise
            return
        if versions.get(staff_id) != copied:
            record_versions(session, versions, [staff_id], announce=False)
        current = versions.get(staff_id)
        if current is None:
            raise Unauthenticated("token revoked")
    current = int(current)
    if known is not None:
        known.remember(staff_id, current, stamp)
    if principal.version != current:
        raise Unauthenticated("token revoked")


class TokenVersions(DependencyProvider):
    """Injects ``fetch(staff_ids) -> {staff_id: version}`` (for the revocation listener)."""

    source = StaffVersions()

    def get_dependency(self, worker_ctx):
        return lambda staff_ids: self.source.fetch(worker_ctx, staff_ids)
