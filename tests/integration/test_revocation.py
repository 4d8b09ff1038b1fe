"""Revocation that forged or lost events cannot subvert: services other than staff take a member's
token version from staff itself, never from an event's numbers."""
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from anchang_common.events import make_envelope
from staff.bootstrap import seed_admin
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
