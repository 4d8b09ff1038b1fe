"""The staff service without a broker: nameko's ``worker_factory`` with the real ``StaffStorage``
over a temporary SQLite database created from the models, the real domain and permission table, and
small explicit doubles for what needs a broker or Vault: the unit of work, ``auth`` and ``events``."""
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from anchang_common.auth import Principal
from anchang_common.events import make_envelope
from anchang_common.permissions import Caller, authorize
from anchang_common.revocation import check_current
from anchang_common.types import utcnow
from staff.models import Base, Staff
from staff.passwords import hash_password
from staff.permissions import PERMISSIONS
from staff.service import Service
from staff.settings import Settings
from staff.storage import StaffStorage

ADMIN_PASSWORD = "correct-horse-42"


class UnitOfWorkDouble:
    """What ``self.unit_of_work`` does, minus the broker: the gate's checks (token version, the
    permission table), then commit and publish, or roll back and drop the events."""

    def __init__(self, session, caller, events):
        self.session, self.caller, self.events = session, caller, events

    def run_rpc(self, method_name, arguments, call, sensitive=()):
        permission = PERMISSIONS[method_name]
        principal = self.caller.principal
        if not permission.public and principal is not None:  # staff keeps the versions itself
            check_current(self.session, principal, authoritative=True, fetch=None)
        authorize(permission, Caller() if permission.public else self.caller, arguments)
        return self.run(call)

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


class StaffWorld:
    """A database, the events dispatched so far, and ``as_(principal)`` -> a worker of the service."""

    def __init__(self, session, settings):
        self.session, self.settings, self.events = session, settings, EventsDouble()

    def as_(self, principal=None):
        auth = AuthDouble(principal)
        return worker_factory(
            Service, store=StaffStorage(self.session), auth=auth, events=self.events, settings=self.settings,
            unit_of_work=UnitOfWorkDouble(self.session, auth.caller, self.events))

    def principal(self, staff_id, **changes):
        """The principal a fresh token of ``staff_id`` would carry."""
        row = self.session.get(Staff, staff_id, populate_existing=True)
        principal = Principal(staff_id=row.id, username=row.username, roles=tuple(row.roles), status=row.status,
                              version=row.token_version, must_change_password=row.must_change_password)
        return replace(principal, **changes)

    def login(self, username, password):
        """The principal of the session ``login`` opens."""
        return self.as_().login(username, password)["token"]


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'staff.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as session:
        session.add(Staff(id="admin0", username="admin", name="Administrator",
                          password_hash=hash_password(ADMIN_PASSWORD), status="active", roles=["admin"],
                          skills=["inquiry", "complaint", "after_sales", "repair"]))
        session.commit()
        yield StaffWorld(session, Settings())


@pytest.fixture
def admin(world):
    return world.principal("admin0")
