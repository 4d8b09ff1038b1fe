"""Doubles for service-layer tests with nameko's ``worker_factory``: what ``unit_of_work``,
``events`` and ``auth`` do, minus the broker and Vault. The rest (storage, domain, the permission
table) stays real."""
from datetime import timedelta

from anchang_common.events import already_processed, make_envelope, mark_processed
from anchang_common.permissions import Caller, authorize
from anchang_common.types import utcnow


class UnitOfWorkDouble:
    """What ``self.unit_of_work`` does: the permission table (after ``check_version(session,
    principal)`` where given), then commit and publish, or roll back and drop the events; handlers
    skip an event id already processed."""

    def __init__(self, session, caller, events, permissions, check_version=None):
        self.session, self.caller, self.events = session, caller, events
        self.permissions, self.check_version = permissions, check_version

    def run_rpc(self, method_name, arguments, call, sensitive=()):
        permission = self.permissions[method_name]
        principal = self.caller.principal
        if self.check_version and not permission.public and principal is not None:
            self.check_version(self.session, principal)
        authorize(permission, Caller() if permission.public else self.caller, arguments)
        return self.run(call)

    def run_handler(self, envelope, call, handler):
        if already_processed(self.session, envelope["event_id"], handler):
            return None

        def handle():
            result = call()
            mark_processed(self.session, envelope, handler)
            return result
        return self.run(handle)

    def run(self, call):
        try:
            result = call()
            self.session.commit()
        except BaseException:
            self.session.rollback()
            self.events.pending.clear()
            raise
        self.events.published.extend(self.events.pending)
        self.events.pending.clear()
        return result

    def commit(self):
        self.session.commit()
        self.events.published.extend(self.events.pending)
        self.events.pending.clear()


class EventsDouble:
    """``self.events``: keeps what was dispatched; the envelope check refuses anything but ids."""

    def __init__(self):
        self.pending, self.published = [], []

    def dispatch(self, event_type, data):
        self.pending.append(make_envelope(event_type, data))

    def of(self, event_type):
        return [e["data"] for e in self.published if e["type"] == event_type]


class AuthDouble:
    """``self.auth``: the caller as a verified token would give it; ``issue`` returns the principal
    itself as the token, so tests can act as the member a login opened a session for."""

    def __init__(self, principal):
        self.principal = principal
        self.caller = Caller(principal=principal)

    def issue(self, principal):
        return principal, utcnow() + timedelta(hours=1)
