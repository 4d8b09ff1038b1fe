"""Service identity: a service calls another with a Vault identity token (OIDC, EdDSA) that only
Vault signs and only that service can obtain; the callee grants it what its permission table says."""
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import SERVICE_CONTEXT_KEY, identity_role
from anchang_common.base import ServiceBase
from anchang_common.calls import ServiceRpc
from anchang_common.entrypoints import rpc
from anchang_common.permissions import PUBLIC, PermissionTable
from anchang_common.vault import VaultClient


class TicketStandIn(ServiceBase):
    """Configured as ``ticket`` (its Vault token, its identity): calls staff on its own behalf."""

    name = "ticket"
    permissions = PermissionTable({"ask_staff": PUBLIC})
    staff = ServiceRpc("staff")

    @rpc
    def ask_staff(self, method):
        try:
            return {"answer": getattr(self.staff, method)("repair")}
        except RemoteError as error:
            return {"refused": error.exc_type}


def identity_token(vault_server, service_tokens, service):
    client = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens[service]}, service)
    return client.identity_token(identity_role(service))


def as_service(harness, token, method, *args):
    context = {SERVICE_CONTEXT_KEY: f"Bearer {token}"}
    with ClusterRpcProxy({"AMQP_URI": harness.amqp_uri}, context_data=context, timeout=20) as proxy:
        try:
            return getattr(proxy.staff, method)(*args)
        except RemoteError as error:
            return error.exc_type


@pytest.fixture
def staff(harness):
    return harness.start("staff")


def test_ticket_calls_what_it_is_granted_and_nothing_else(harness, staff, vault_server, service_tokens):
    harness.start("ticket", TicketStandIn)
    with harness.rpc() as proxy:
        assert proxy.ticket.ask_staff("available_agents") == {"answer": []}
        assert proxy.ticket.ask_staff("list_staff") == {"refused": "Forbidden"}


def test_identity_tokens_are_checked_for_signer_and_service(harness, staff, vault_server, service_tokens):
    ticket = identity_token(vault_server, service_tokens, "ticket")
    assert jwt.get_unverified_header(ticket)["alg"] == "EdDSA"
    assert jwt.decode(ticket, options={"verify_signature": False})["service"] == "ticket"
    assert as_service(harness, ticket, "available_agents", "repair") == []
    assert as_service(harness, ticket, "list_staff") == "Forbidden"

    appraisal = identity_token(vault_server, service_tokens, "appraisal")
    assert as_service(harness, appraisal, "available_agents", "repair") == "Forbidden"

    claims = jwt.decode(ticket, options={"verify_signature": False})
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": jwt.get_unverified_header(ticket)["kid"]})
    assert as_service(harness, forged, "available_agents", "repair") == "Unauthenticated"
    renamed = jwt.encode({**claims, "service": "ticket", "jti": uuid.uuid4().hex}, Ed25519PrivateKey.generate(),
                         algorithm="EdDSA", headers={"kid": "made-up"})
    assert as_service(harness, renamed, "available_agents", "repair") == "Unauthenticated"
    expired = {**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    assert as_service(harness, jwt.encode(expired, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                          headers={"kid": "x"}), "available_agents", "repair") == "Unauthenticated"


def test_a_service_cannot_obtain_another_services_identity(vault_server, service_tokens):
    staff_vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["staff"]}, "staff")
    with pytest.raises(Exception) as raised:
        staff_vault.identity_token(identity_role("ticket"))
    assert type(raised.value).__name__ == "VaultRequestError"


class Ghost(ServiceBase):
    """A service that answers nothing: started once so that its queue exists, then stopped."""

    name = "ghost"
    permissions = PermissionTable({"record": PUBLIC})
    calls = []

    @rpc
    def record(self):
        Ghost.calls.append(time.monotonic())
        return "done"


class GhostCaller(ServiceBase):
    name = "ticket"
    permissions = PermissionTable({"ask": PUBLIC})
    ghost = ServiceRpc("ghost", timeout=1)
    nobody = ServiceRpc("nobody", timeout=1)

    @rpc
    def ask(self, target):
        try:
            return getattr(self, target).record()
        except RemoteError as error:  # pragma: no cover - the callee never answers
            return error.exc_type


def test_a_call_to_a_stopped_or_unknown_service_is_unavailable_and_expires(harness):
    Ghost.calls.clear()
    ghost = harness.start("ghost", Ghost, config=harness.config_for("appraisal"))
    ghost.container.stop()  # its durable queue stays bound, with nobody consuming
    harness.start("ticket", GhostCaller)
    with harness.rpc() as proxy:
        for target in ("ghost", "nobody"):
            started = time.monotonic()
            with pytest.raises(RemoteError) as raised:
                proxy.ticket.ask(target)
            assert raised.value.exc_type == "DependencyUnavailable"
            assert time.monotonic() - started < 5
    time.sleep(0.2)  # past the request's expiry in the broker
    harness.start("ghost", Ghost, config=harness.config_for("appraisal"))
    with harness.rpc() as proxy:
        assert proxy.ghost.record() == "done"
    assert len(Ghost.calls) == 1, "the expired request was delivered after its caller gave up"
