"""Fuzzing every RPC method of every service over the real broker, Vault and databases: inputs drawn by
hypothesis from each method's declared JSON Schema (``<service>/contract.py``, through
``tests.fuzz.schemas``), mixed with inputs that break the schema (any JSON in place of an argument, an
argument missing, one unknown), sent with valid tokens of every role. Only the contract's client
errors may come back (``ValidationError``, ``NotFound``, ``Conflict``, ``Forbidden``; and
``Unauthenticated`` where the contract says so: a wrong password), never ``InternalError`` nor
``DependencyUnavailable``, and never a hang (each call is bounded).

``ANCHANG_FUZZ_EXAMPLES`` inputs per method and dialect: ``make fuzz`` runs 160 (more than 10,000
inputs per dialect over the 64 methods), ``make test`` the CI profile (``CI_EXAMPLES``).
"""
import os

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from nameko.exceptions import RemoteError, RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.contract import load
from appraisal.bootstrap import seed_default_template
from staff.bootstrap import seed_admin
from tests.fuzz.schemas import json_values, strategy
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.test_staff import PASSWORD, hire_and_activate
from ticket.bootstrap import seed as seed_ticket

SERVICES = ("staff", "client_vault", "ticket", "appraisal")
ROLES = ("agent", "supervisor", "hr", "auditor", "admin")
CI_EXAMPLES = 8
EXAMPLES = int(os.environ.get("ANCHANG_FUZZ_EXAMPLES") or CI_EXAMPLES)
CALL_TIMEOUT_SECONDS = 30
ANSWERS = {"ValidationError", "NotFound", "Conflict", "Forbidden"}
#: methods whose contract answers a wrong password with Unauthenticated
PASSWORD_CHECKS = {("staff", "login"), ("staff", "change_password")}


class World:
    """The four services with a member of every role, a client, a ticket; the callers' tokens."""

    def __init__(self, harness, admin):
        self.harness = harness
        self.users = {"admin": "admin"}
        ids = {role: hire_and_activate(harness, admin, f"fuzz.{role}", [role]) for role in ROLES if role != "admin"}
        self.users.update({role: f"fuzz.{role}" for role in ids})
        # members the fuzzer may act on (suspend, demote, reset) and whose passwords it may get wrong
        victim = hire_and_activate(harness, admin, "fuzz.victim", ["agent"])
        hire_and_activate(harness, admin, "fuzz.password", ["agent"])
        self.tokens = {}
        self.login()
        with harness.rpc(self.tokens["admin"]) as rpc:
            client_id = rpc.client_vault.register_client({
                "name": "张三", "phone": "13800138000", "source": "walk_in",
                "consent": {"purpose": "service", "granted_at": "2026-01-05T09:00:00+08:00"}})["client_id"]
            ticket_id = rpc.ticket.open_ticket({"client_id": client_id, "category": "inquiry", "channel": "phone",
                                                "subject": "fuzz", "description": "fuzz"})["ticket_id"]
        self.real = {"staff_id": [victim], "client_id": [client_id], "ticket_id": [ticket_id],
                     "cycle_code": ["default"], "template_code": ["default"], "position_code": ["service-agent"],
                     "code": ["default"]}
        self.calls = 0

    def login(self):
        with self.harness.rpc() as rpc:
            for role, username in self.users.items():
                password = ADMIN_PASSWORD if role == "admin" else PASSWORD
                self.tokens[role] = rpc.staff.login(username, password)["token"]
            if "password" not in self.tokens:  # its wrong old passwords lock it soon: one login only
                self.tokens["password"] = rpc.staff.login("fuzz.password", PASSWORD)["token"]

    def call(self, role, service, method, kwargs):
        """The call's answer: ``"ok"`` or the error type; a revoked caller logs in again, once."""
        for attempt in range(2):
            context = {CONTEXT_KEY: f"Bearer {self.tokens[role]}"}
            with ClusterRpcProxy({"AMQP_URI": self.harness.amqp_uri}, context_data=context,
                                 timeout=CALL_TIMEOUT_SECONDS) as proxy:
                try:
                    getattr(getattr(proxy, service), method)(**kwargs)
                    outcome = "ok"
                except RemoteError as error:
                    outcome = error.exc_type
                except RpcTimeout:
                    outcome = "hang"
            self.calls += 1
            if outcome != "Unauthenticated" or (service, method) in PASSWORD_CHECKS or attempt:
                return outcome
            self.login()  # an earlier call ended the caller's tokens (logout, revoke_all_tokens, ...)
        return outcome


def arguments(contract):
    """Keyword arguments: mostly within the schema, sometimes not."""
    valid = strategy(contract.params)
    names = contract.argument_names or ["x"]
    broken = st.one_of(
        st.fixed_dictionaries({name: json_values() for name in names}),  # any JSON in every argument
        valid.map(lambda kwargs: {k: v for k, v in kwargs.items() if k != names[0]}),  # one missing
        valid.map(lambda kwargs: {**kwargs, "surplus_argument": 1}),  # one unknown
    )
    return st.one_of(valid, valid, valid, broken)


def with_real_values(draw, world, value):
    """``value`` with some of its id and code fields replaced by real ones."""
    if isinstance(value, dict):
        return {key: (draw(st.sampled_from(world.real[key])) if key in world.real and isinstance(item, str)
                      and draw(st.booleans()) else with_real_values(draw, world, item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [with_real_values(draw, world, item) for item in value]
    return value


def fuzz_method(world, service, method, contract, failures):
    """Draw ``EXAMPLES`` inputs and call; a wrong outcome is recorded with its input (the services keep
    state between calls, so hypothesis does not replay or shrink it: the input itself is the report)."""
    role_of = {("staff", "change_password"): st.just("password")}.get((service, method), st.sampled_from(ROLES))
    allowed = ANSWERS | {"ok"} | ({"Unauthenticated"} if (service, method) in PASSWORD_CHECKS else set())

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(data):
        role = data.draw(role_of, label="role")
        kwargs = with_real_values(data.draw, world, data.draw(arguments(contract), label="kwargs"))
        outcome = world.call(role, service, method, kwargs)
        if outcome not in allowed:
            failures.append(f"{service}.{method} as {role}: {outcome} for {ascii(kwargs)[:300]}")

    fuzz()


@pytest.mark.timeout(300 + EXAMPLES * 64)  # about a second per method and example, at worst
def test_every_method_answers_fuzzed_input_with_contract_errors_only(harness, dialect):
    staff = harness.start("staff")
    seed_admin(staff.config["DATABASE_URL"], ADMIN_PASSWORD)
    for service in SERVICES[1:]:
        harness.start(service)
    with harness.rpc() as rpc:
        admin = rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
    seed_ticket(harness.services["ticket"].config["DATABASE_URL"])
    seed_default_template(harness.services["appraisal"].config["DATABASE_URL"])
    world = World(harness, admin)
    failures = []
    methods = [(service, method, contract) for service in SERVICES
               for method, contract in sorted(load(service)[0].items())]
    for service, method, contract in methods:
        fuzz_method(world, service, method, contract, failures)
    assert not failures, "\n".join(failures)
    assert world.calls >= EXAMPLES * len(methods), world.calls  # every method got its inputs
    print(f"fuzzing ({dialect}): {world.calls} calls over {len(methods)} methods")
