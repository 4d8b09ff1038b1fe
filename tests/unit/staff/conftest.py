"""The staff service without a broker: nameko's ``worker_factory`` with the real ``StaffStorage``
over a temporary SQLite database created from the models, the real domain and permission table, and
small explicit doubles for what needs a broker or Vault: the unit of work, ``auth`` and ``events``."""
from dataclasses import replace

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from anchang_common.auth import Principal
from anchang_common.revocation import check_current
from anchang_common.testing.doubles import AuthDouble, EventsDouble, UnitOfWorkDouble
from staff.models import Base, Staff
from staff.passwords import hash_password
from staff.permissions import PERMISSIONS
from staff.service import Service
from staff.settings import Settings
from staff.storage import StaffStorage

ADMIN_PASSWORD = "correct-horse-42"


def check_version(session, principal):
    """staff keeps the token versions itself (its gate is authoritative)."""
    check_current(session, principal, authoritative=True, fetch=None)


class StaffWorld:
    """A database, the events dispatched so far, and ``as_(principal)`` -> a worker of the service."""

    def __init__(self, session, settings):
        self.session, self.settings, self.events = session, settings, EventsDouble()

    def as_(self, principal=None):
        auth = AuthDouble(principal)
        return worker_factory(
            Service, store=StaffStorage(self.session), auth=auth, events=self.events, settings=self.settings,
            unit_of_work=UnitOfWorkDouble(self.session, auth.caller, self.events, PERMISSIONS, check_version))

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
