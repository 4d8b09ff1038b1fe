"""The typed Python client (``clients/python``, generated from the contract) against the real staff
service: a script's ``Anchang`` connection, and a nameko service calling through the generated client
over its own ``ServiceRpc``; the contract's errors come back as their own exception types."""
import pytest
from nameko.testing.services import entrypoint_waiter

from anchang_client import Anchang, NotFound, ServiceUnavailable, Unauthenticated, ValidationError
from anchang_client.staff import StaffClient
from anchang_common.base import ServiceBase
from anchang_common.calls import ServiceRpc
from anchang_common.entrypoints import rpc
from anchang_common.permissions import PermissionTable, allow
from tests.integration.accounts import ADMIN_PASSWORD


def test_a_script_logs_in_lists_staff_and_catches_typed_errors(harness, staff):
    with Anchang(harness.amqp_uri, timeout=20) as anchang:
        with pytest.raises(Unauthenticated) as wrong:
            anchang.login("admin", "not-the-password-1")
        assert wrong.value.message == "wrong username or password"
        session = anchang.login("admin", ADMIN_PASSWORD)
        assert session["roles"] == ["admin"]
        members = anchang.staff.list_staff(status="active")  # an optional argument, by name
        assert [m["username"] for m in members] == ["admin"]
        assert anchang.staff.get_staff(session["staff_id"])["security_acknowledgment"]["current"] is False
        with pytest.raises(NotFound):
            anchang.staff.get_staff("no-such-member")
        with pytest.raises(ValidationError) as bad:
            anchang.staff.list_staff(status="retired", role="boss")
        assert bad.value.errors == {"status": "must be one of: onboarding, active, suspended, left"}
        with pytest.raises(ServiceUnavailable):
            anchang.ticket.list_sla_policies()  # ticket is not running in this test


class Caller(ServiceBase):
    """A nameko service that calls staff through the generated client over its own proxy (named
    ``appraisal``, whose Vault identity it runs with)."""

    name = "appraisal"
    permissions = PermissionTable({"staff_count": allow()})
    staff_rpc = ServiceRpc("staff")

    @rpc
    def staff_count(self):
        return len(StaffClient(self.staff_rpc).list_staff())


def test_a_service_calls_staff_through_the_generated_client(harness, staff, admin):
    caller = harness.start("appraisal", Caller)
    with entrypoint_waiter(caller.container, "staff_count"), harness.rpc(admin) as proxy:
        assert proxy.appraisal.staff_count() == 1
