"""Revocation that forged or lost events cannot subvert: services other than staff take a member's
token version from staff itself, never from an event's numbers."""
import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from sqlalchemy.orm import Session

from anchang_common.db import make_engine
from anchang_common.events import make_envelope
from anchang_common.revocation import record_version, stored_version
from staff.bootstrap import seed_admin
from tests.fault.stack import wait_until
from tests.integration.accounts import ADMIN_PASSWORD as PASSWORD


def list_templates(harness, token):
    with harness.rpc(token) as rpc:
        try:
            return rpc.appraisal.list_templates()
        except RemoteError as error:
            return error.exc_type


def test_a_forged_staff_changed_locks_nobody_out_and_a_real_one_revokes_at_once(harness):
    staff = harness.start("staff")
    appraisal = harness.start("appraisal")
    seed_admin(staff.config["DATABASE_URL"], PASSWORD)
    with harness.rpc() as rpc:
        session = rpc.staff.login("admin", PASSWORD)
    token, staff_id = session["token"], session["staff_id"]
    assert list_templates(harness, token) == []  # appraisal asked staff for the version

    forged = make_envelope("staff.changed", {"staff_id": staff_id, "token_version": 2**62,
                                              "status": "suspended", "roles": []})
    with entrypoint_waiter(appraisal.container, "on_staff_changed"):
        event_dispatcher({"AMQP_URI": harness.amqp_uri})("staff", "changed", forged)
    assert list_templates(harness, token) == []  # still valid: the event's numbers were not taken

    with entrypoint_waiter(appraisal.container, "on_staff_changed"), harness.rpc(token) as rpc:
        rpc.staff.set_roles(staff_id, ["admin"])  # a real change: every earlier token ends
    assert list_templates(harness, token) == "Unauthenticated"
    with harness.rpc() as rpc:
        fresh = rpc.staff.login("admin", PASSWORD)["token"]
    assert list_templates(harness, fresh) == []


def test_a_lost_event_is_caught_by_the_version_check(harness):
    """No ``staff.changed`` reaches appraisal at all: a token of a version appraisal has not seen
    makes it ask staff, and an old one is refused once staff says so."""
    staff = harness.start("staff")
    seed_admin(staff.config["DATABASE_URL"], PASSWORD)
    with harness.rpc() as rpc:
        old = rpc.staff.login("admin", PASSWORD)
    with harness.rpc(old["token"]) as rpc:
        rpc.staff.set_roles(old["staff_id"], ["admin"])  # appraisal is not running: the event is lost
    with harness.rpc() as rpc:
        new = rpc.staff.login("admin", PASSWORD)["token"]
    harness.start("appraisal")
    assert list_templates(harness, new) == []
    assert list_templates(harness, old["token"]) == "Unauthenticated"


def test_two_workers_recording_a_members_first_version_at_once_both_succeed(database_url, dialect):
    """Two workers of one instance meet the same new member at once: each records staff's answer, and
    the second waits for the first instead of failing on the key (it did, as an ``InternalError`` of
    the call it served: found by the broker restart test). Only PostgreSQL lets the second see no row
    while the first's insert is uncommitted; SQLite serialises the two writers."""
    if dialect != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the two never overlap")
    engine = make_engine(database_url("ticket"))
    first, second = Session(engine), Session(engine)
    try:
        record_version(first, "m-new", 3)  # inserted, not committed: the second cannot see it

        def record_and_commit():
            record_version(second, "m-new", 3)
            second.commit()
        racing = eventlet.spawn(record_and_commit)
        wait_until(lambda: waiting_on_a_lock(engine), 10, "the second worker to wait for the first")
        first.commit()
        racing.wait()  # raised IntegrityError before
        with Session(engine) as reader:
            assert stored_version(reader, "m-new") == 3
    finally:
        first.close()
        second.close()
        engine.dispose()


def waiting_on_a_lock(engine):
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar() > 0
