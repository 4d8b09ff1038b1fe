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
from anchang_common.testing.doubles import AuthDouble, EventsDouble, UnitOfWorkDouble
from appraisal.models import Base
from appraisal.permissions import PERMISSIONS
from appraisal.service import Service
from appraisal.settings import Settings
from appraisal.storage import AppraisalStorage


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
            settings=Settings(), unit_of_work=UnitOfWorkDouble(self.session, auth.caller, self.events, PERMISSIONS))

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
