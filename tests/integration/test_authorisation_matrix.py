"""The authorisation matrix, generated from the permission tables: every RPC method of every service
× every kind of caller — each role, an onboarding, a suspended and a departed member, no token, a
forged, an expired and a revoked token, and the identity of a service the table does not grant —
over the real broker, Vault and services. Each cell's outcome must be what the table says."""
import importlib
import inspect
import time
import uuid
from dataclasses import dataclass

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY, ISSUER, SERVICE_CONTEXT_KEY, TokenIssuer, identity_role
from anchang_common.db import make_engine
from anchang_common.permissions import ADMIN, ROLES, SERVICES, load_tables, render_markdown
from anchang_common.revocation import INITIAL_TOKEN_VERSION, record_version
from anchang_common.vault import VaultClient
from staff.models import Staff
from tests.conftest import REPO

#: the services that serve RPC methods today
SERVED = [s for s in SERVICES if importlib.import_module(f"{s}.permissions").PERMISSIONS]
REFUSED = ("Unauthenticated", "Forbidden")
#: how the gate words an Unauthenticated; a method's own (``login``'s wrong password) differs
GATE_WORDS = ("token", "credentials")


@dataclass(frozen=True)
class Credential:
    kind: str  # member, none, forged, expired, revoked, service
    role: str | None = None
    status: str = "active"


CREDENTIALS = (
    [Credential("member", role) for role in ROLES]
    + [Credential("member", "agent", status) for status in ("onboarding", "suspended", "left")]
    + [Credential(kind) for kind in ("none", "forged", "expired", "revoked", "service")])


def expected(permission, credential):
    """What the table says, written out case by case (not by calling the gate)."""
    if permission.public:
        return "allowed"
    if credential.kind in ("none", "forged", "expired", "revoked"):
        return "Unauthenticated"
    if credential.kind == "service":  # always one the table does not grant
        return "Forbidden"
    staff_allowed = permission.any_staff or bool(permission.roles)
    states = ("active", "onboarding") if permission.onboarding else ("active",)
    role_ok = permission.any_staff or credential.role in permission.roles or (
        credential.role == ADMIN and permission.admin_inherits)
    return "allowed" if staff_allowed and credential.status in states and role_ok else "Forbidden"


def dummy_arguments(method):
    """Values that pass the signature and trigger no argument rule: empty role lists, unknown ids."""
    parameters = list(inspect.signature(method).parameters.values())[1:]
    values = []
    for parameter in parameters:
        if parameter.default is not inspect.Parameter.empty:
            continue
        values.append([] if parameter.name in ("roles", "staff_ids") else "zz-matrix")
    return values


class Minter:
    def __init__(self, vault_server, service_tokens, databases):
        self.issuer = TokenIssuer(VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["staff"]},
                                              "staff"))
        self.vault_server, self.service_tokens, self.databases = vault_server, service_tokens, databases
        self.members = []

    def claims(self, staff_id, role, status, version=INITIAL_TOKEN_VERSION, lifetime=600, age=0):
        now = int(time.time()) - age
        return {"iss": ISSUER, "sub": staff_id, "name": "matrix", "roles": [role], "st": status,
                "ver": version, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}

    def remember(self, staff_id, version):
        """The member, at ``version``, as staff knows it (its row, which ``staff.token_versions``
        reads) and as every service's copy has it (as if resynchronised from staff)."""
        for name, engine in self.databases.items():
            with engine.begin() as connection:
                record_version(connection, staff_id, version)
                if name == "staff":
                    connection.execute(sa.insert(Staff.__table__).values(
                        id=staff_id, username=staff_id, name="matrix", password_hash="-", status="active",
                        roles=[], skills=[], token_version=version))
        self.members.append(staff_id)

    def release(self):
        """Staff forgets the members of the cells done (each cell has its own): a ``revoke_all_tokens``
        cell then revokes one member, not every member of the run."""
        with self.databases["staff"].begin() as connection:
            connection.execute(sa.delete(Staff.__table__).where(Staff.__table__.c.id.in_(self.members)))
        self.members.clear()

    def context(self, credential, service, permission):
        staff_id = f"m-{uuid.uuid4().hex[:12]}"
        if credential.kind == "none":
            return {}
        if credential.kind == "member":
            self.remember(staff_id, INITIAL_TOKEN_VERSION)
            return {CONTEXT_KEY: "Bearer " + self.issuer.sign(self.claims(staff_id, credential.role,
                                                                         credential.status))}
        if credential.kind == "forged":
            token = jwt.encode(self.claims(staff_id, ADMIN, "active"), Ed25519PrivateKey.generate(),
                               algorithm="EdDSA", headers={"kid": "anchang-auth:1"})
            return {CONTEXT_KEY: f"Bearer {token}"}
        if credential.kind == "expired":
            return {CONTEXT_KEY: "Bearer " + self.issuer.sign(self.claims(staff_id, ADMIN, "active", age=7200))}
        if credential.kind == "revoked":
            self.remember(staff_id, INITIAL_TOKEN_VERSION + 1)
            return {CONTEXT_KEY: "Bearer " + self.issuer.sign(self.claims(staff_id, ADMIN, "active"))}
        other = next(s for s in SERVICES if s not in permission.services)
        client = VaultClient({"ADDR": self.vault_server.addr, "TOKEN": self.service_tokens[other]}, other)
        return {SERVICE_CONTEXT_KEY: "Bearer " + client.identity_token(identity_role(other))}


def outcome(amqp_uri, context, service, method, arguments):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=20) as proxy:
        try:
            getattr(getattr(proxy, service), method)(*arguments)
        except RemoteError as error:
            refused = error.exc_type == "Forbidden" or (
                error.exc_type == "Unauthenticated" and any(word in error.value for word in GATE_WORDS))
            return error.exc_type if refused else "allowed"
    return "allowed"


def test_every_cell_matches_the_table(harness, dialect, vault_server, service_tokens):
    if dialect != "sqlite":
        pytest.skip("the matrix does not depend on the database: one dialect is enough")
    running = {name: harness.start(name) for name in set(SERVED) | {"staff"}}
    databases = {name: make_engine(s.config["DATABASE_URL"]) for name, s in running.items()}
    minter = Minter(vault_server, service_tokens, databases)
    mismatches, cells = [], 0
    for service in SERVED:
        service_cls = importlib.import_module(f"{service}.service").Service
        table = importlib.import_module(f"{service}.permissions").PERMISSIONS
        for method_name, permission in sorted(table.items()):
            arguments = dummy_arguments(getattr(service_cls, method_name))
            for credential in CREDENTIALS:
                context = minter.context(credential, service, permission)
                got = outcome(harness.amqp_uri, context, service, method_name, arguments)
                minter.release()
                cells += 1
                if got != expected(permission, credential):
                    mismatches.append((f"{service}.{method_name}", credential, got,
                                       expected(permission, credential)))
    mismatches += argument_rule_mismatches(harness.amqp_uri, minter)
    for engine in databases.values():
        engine.dispose()
    assert cells >= 13 * len(CREDENTIALS)
    assert mismatches == []
    # the tables themselves are the reviewed contract: a role taken out of one shows here
    assert render_markdown(load_tables()) == (REPO / "docs" / "permissions.md").read_text()


def argument_rule_mismatches(amqp_uri, minter):
    """The rules on arguments, each with a call it must refuse and one it must let through."""
    def member(role, staff_id=None):
        staff_id = staff_id or f"m-{uuid.uuid4().hex[:12]}"
        minter.remember(staff_id, INITIAL_TOKEN_VERSION)
        return {CONTEXT_KEY: "Bearer " + minter.issuer.sign(minter.claims(staff_id, role, "active"))}

    cases = [
        ("hr may not grant admin", member("hr"), "hire", ["c", "new.one", "pw-123456789", ["admin"]], "Forbidden"),
        ("hr may not grant hr", member("hr"), "hire", ["c", "new.one", "pw-123456789", ["hr"]], "Forbidden"),
        ("hr may not grant supervisor", member("hr"), "hire", ["c", "new.one", "pw-123456789", ["agent", "supervisor"]],
         "Forbidden"),
        ("hr grants agent", member("hr"), "hire", ["c", "new.one", "pw-123456789", ["agent"]], "allowed"),
        ("admin grants auditor", member("admin"), "hire", ["c", "new.one", "pw-123456789", ["auditor"]], "allowed"),
        ("no raising one's own rights", member("admin", "m-self"), "set_roles", ["m-self", ["admin", "supervisor"]],
         "Forbidden"),
        ("an admin sets another's roles", member("admin"), "set_roles", ["m-other", ["auditor"]], "allowed"),
    ]
    return [(name, got, want) for name, context, method, arguments, want in cases
            if (got := outcome(amqp_uri, context, "staff", method, arguments)) != want]
