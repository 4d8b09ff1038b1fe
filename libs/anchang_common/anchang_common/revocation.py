"""Token revocation: a token is valid only at its member's exact current token version.

``staff`` is the source of the versions: ``set_status``, ``set_roles``, password changes and
``logout`` bump a member's version, and staff's own ``token_versions`` table records every bump in
the same transaction. Every other service keeps a copy in its ``token_versions`` table, and never
trusts an event's numbers: ``staff.changed`` only says *whose* version to ask ``staff`` for
(``staff.token_versions``, called with this service's identity). A token newer than the copy (a
missed event) triggers the same question, and a sweep every ``RESYNC_SECONDS`` asks for every member
copied, so a forged or reordered event locks nobody out, and a lost one keeps a revoked token alive
on this service until the next sweep at most.
"""
import threading
import time

import sqlalchemy as sa
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import MethodProxy, ReplyListener

from anchang_common.calls import CallingContext, call_within, own_identity
from anchang_common.errors import Unauthenticated
from anchang_common.tables import token_versions
from anchang_common.types import utcnow
from anchang_common.vault import VaultConnection

#: the version of a member whose tokens were never revoked (staff keeps no row for them)
INITIAL_TOKEN_VERSION = 1
#: how often the copies are compared with staff, whatever the events said
RESYNC_SECONDS = 300
#: how long a token version read from the database is trusted without reading it again; the
#: contract allows a revoked token to live at most a second (docs/architecture.md#revocation)
CACHE_SECONDS = 1.0
#: how long a service waits for ``staff.token_versions``
FETCH_TIMEOUT_SECONDS = 5


class _RecentVersions:
    """Versions read from this process's databases in the last ``CACHE_SECONDS``, per database. Any
    write of a version in this process drops the member's entry, so a revocation seen here applies
    at once."""

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key):
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[1] < CACHE_SECONDS:
            return entry[0]
        return None

    def put(self, key, version):
        with self._lock:
            self._entries[key] = (version, time.monotonic())
            if len(self._entries) > 10_000:  # a burst of members: start afresh rather than grow
                self._entries = {key: self._entries[key]}

    def drop(self, key):
        with self._lock:
            self._entries.pop(key, None)


recent = _RecentVersions()


def _key(executor, staff_id):
    """``(database URL, staff_id)``: ``executor`` is a Session (bound to an engine) or a Connection."""
    engine = getattr(executor, "engine", None) or executor.get_bind()
    return str(engine.url), staff_id


def stored_version(session, staff_id):
    """The version this service has recorded for ``staff_id``; ``None`` when it has none."""
    return session.execute(sa.select(token_versions.c.version).where(
        token_versions.c.staff_id == staff_id)).scalar()


def known_staff_ids(session):
    return list(session.execute(sa.select(token_versions.c.staff_id)).scalars())


def record_version(session, staff_id, version):
    """Set ``staff_id``'s recorded version to exactly ``version``."""
    recent.drop(_key(session, staff_id))
    updated = session.execute(sa.update(token_versions).where(token_versions.c.staff_id == staff_id)
                              .values(version=version, updated_at=utcnow())).rowcount
    if not updated:
        session.execute(sa.insert(token_versions).values(
            staff_id=staff_id, version=version, updated_at=utcnow()))


def record_versions(session, versions, asked):
    """Record what staff answered for ``asked``; members staff does not know are forgotten."""
    for staff_id in asked:
        if staff_id in versions:
            record_version(session, staff_id, int(versions[staff_id]))
        else:
            recent.drop(_key(session, staff_id))
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


def check_current(session, principal, authoritative, fetch):
    """``Unauthenticated`` unless ``principal``'s token is at the member's current version.

    ``authoritative``: this service's table is the source (``staff``), where no row means the
    initial version. Elsewhere the copy only ever holds what staff answered, so a token older than
    it is refused at once, and a token newer than it (or of a member not copied yet) is resolved by
    ``fetch`` (staff's answer).
    """
    key = _key(session, principal.staff_id)
    if recent.get(key) == principal.version:
        return
    known = stored_version(session, principal.staff_id)
    if known == principal.version:
        recent.put(key, known)
        return
    if authoritative:
        if principal.version != (INITIAL_TOKEN_VERSION if known is None else known):
            raise Unauthenticated("token revoked")
        recent.put(key, principal.version)
        return
    if known is not None and principal.version < known:
        raise Unauthenticated("token revoked")  # the copy came from staff, and versions only grow
    versions = fetch([principal.staff_id])
    record_versions(session, versions, [principal.staff_id])
    if versions.get(principal.staff_id) != principal.version:
        raise Unauthenticated("token revoked")


class TokenVersions(DependencyProvider):
    """Injects ``fetch(staff_ids) -> {staff_id: version}`` (for the revocation listener)."""

    source = StaffVersions()

    def get_dependency(self, worker_ctx):
        return lambda staff_ids: self.source.fetch(worker_ctx, staff_ids)
