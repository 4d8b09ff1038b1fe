"""The appraisal service without a broker: nameko's ``worker_factory`` with the real
``AppraisalStorage`` over a SQLite database created from the models, the real domain and permission
table, and small explicit doubles for what needs a broker, Vault or another service: the unit of
work, ``auth``, ``events`` and ``staff``."""
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from anchang_common.auth import Principal
from anchang_common.events import already_processed, make_envelope, mark_processed
from anchang_common.permissions import Caller, authorize
from appraisal.models import Base
from appraisal.permissions import PERMISSIONS
from appraisal.service import Service
from appraisal.settings import Settings
from appraisal.storage import AppraisalStorage


class UnitOfWorkDouble:
    """What ``self.unit_of_work`` does, minus the broker: the permission table, then commit and
    publish, or roll back and drop the events; handlers skip an event id already processed."""

    def __init__(self, session, caller, events):
        self.session, self.caller, self.events = session, caller, events

    def run_rpc(self, method_name, arguments, call, sensitive=()):
        authorize(PERMISSIONS[method_name], self.caller, arguments)
        return self.run(call)

    def run_handler(self, envelope, call, handler):
        if already_processed(self.session, envelope["event_id"], handler):
            return None

        def handle():
            call()
            mark_processed(self.session, envelope, handler)
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


class EventsDouble:
    """``self.events``: keeps what was dispatched; the envelope check refuses anything but ids."""

    def __init__(self):
        self.pending, self.published = [], []

    def dispatch(self, event_type, data):
        self.pending.append(make_envelope(event_type, data))

    def of(self, event_type):
        return [e["data"] for e in self.published if e["type"] == event_type]


class AuthDouble:
    def __init__(self, principal):
        self.principal = principal
        self.caller = Caller(principal=principal)


class StaffDouble:
    """``self.staff``: the answers of ``staff.list_staff`` and ``staff.get_position``, as staff gives them."""

    def __init__(self):
        self.members = {}  # staff_id -> member view
        self.positions = {}  # code -> required certificates
        self.calls = []

    def add(self, staff_id, status="active", roles=("agent",), position_code=None, certificates=(),
            trainings=()):
        self.members[staff_id] = {
            "staff_id": staff_id, "username": f"user.{staff_id}", "name": "Someone", "status": status,
            "roles": list(roles), "skills": [], "position_code": position_code,
            "certificates": [{"code": code, "name": code, "issued_on": "2020-01-01", "expires_on": None}
                             for code in certificates],
            "trainings": [{"module_code": module, "score": score, "pass_mark": 60, "passed": score >= 60,
                           "attempted_at": "2020-01-01T00:00:00+00:00"} for module, score in trainings]}

    def list_staff(self, status=None):
        self.calls.append(("list_staff", status))
        return [m for m in self.members.values() if status is None or m["status"] == status]

    def get_position(self, code):
        self.calls.append(("get_position", code))
        if code.lower() not in {c.lower() for c in self.positions}:
            raise RemoteError("NotFound", "position not found")
        required = next(v for c, v in self.positions.items() if c.lower() == code.lower())
        return {"code": code, "requirements": {"certificates": list(required)}}


def principal(staff_id, *roles):
    return Principal(staff_id=staff_id, username=f"user.{staff_id}", roles=tuple(roles or ("agent",)),
                     status="active", version=1)


@dataclass
class AppraisalWorld:
    """A database, the events dispatched so far, staff's answers, and ``as_(principal)`` -> a worker."""

    session: Session
    events: EventsDouble
    staff: StaffDouble

    def as_(self, who=None):
        auth = AuthDouble(who)
        return worker_factory(
            Service, store=AppraisalStorage(self.session), auth=auth, events=self.events, staff=self.staff,
            settings=Settings(), unit_of_work=UnitOfWorkDouble(self.session, auth.caller, self.events))

    def handler(self):
        """A worker as the broker runs handlers: no caller."""
        return self.as_(None)

    def count(self, table):
        return self.session.scalar(sa.select(sa.func.count()).select_from(table))


def make_world(engine):
    Base.metadata.create_all(engine)
    return AppraisalWorld(Session(engine, expire_on_commit=False), EventsDouble(), StaffDouble())


@pytest.fixture
def world(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'appraisal.db'}")
    world = make_world(engine)
    yield world
    world.session.close()
    engine.dispose()
