"""The permission tables: the pure decision, each service's table against its methods, the docs."""
import importlib
import inspect

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from anchang_common.auth import Principal
from anchang_common.entrypoints import AnchangRpc
from anchang_common.errors import Forbidden, Unauthenticated
from anchang_common.permissions import (
    PUBLIC,
    SERVICES,
    Caller,
    Rule,
    allow,
    authorize,
    load_tables,
    render_markdown,
    services_only,
)
from tests.conftest import REPO


def member(*roles, status="active", must_change_password=False):
    return Caller(principal=Principal(staff_id="s1", username="u", roles=roles, status=status, version=0,
                                      must_change_password=must_change_password))


def outcome(permission, caller, arguments=None):
    try:
        authorize(permission, caller, arguments or {})
    except (Unauthenticated, Forbidden) as error:
        return type(error).__name__
    return "allowed"


def test_public_methods_need_no_token():
    assert outcome(PUBLIC, Caller()) == "allowed"


def test_no_credentials_are_unauthenticated_and_a_service_without_a_grant_is_forbidden():
    assert outcome(allow(), Caller()) == "Unauthenticated"
    assert outcome(allow(), Caller(service="ticket")) == "Forbidden"
    assert outcome(allow("supervisor", services=("ticket",)), Caller(service="ticket")) == "allowed"
    assert outcome(allow("supervisor", services=("ticket",)), Caller(service="appraisal")) == "Forbidden"


def test_roles_any_of_with_admin_inheriting_unless_told_otherwise():
    assert outcome(allow("hr", "supervisor"), member("supervisor")) == "allowed"
    assert outcome(allow("hr"), member("agent")) == "Forbidden"
    assert outcome(allow("hr"), member("admin")) == "allowed"
    assert outcome(allow("supervisor", admin_inherits=False), member("admin")) == "Forbidden"


@pytest.mark.parametrize("status", ["onboarding", "suspended", "left"])
def test_only_active_members_unless_the_method_admits_onboarding(status):
    assert outcome(allow(), member("agent", status=status)) == "Forbidden"
    expected = "allowed" if status == "onboarding" else "Forbidden"
    assert outcome(allow(onboarding=True), member("agent", status=status)) == expected


def test_a_one_time_password_must_be_changed_first():
    caller = member("admin", must_change_password=True)
    assert outcome(allow(), caller) == "Forbidden"
    assert outcome(allow(before_password_change=True), caller) == "allowed"


def test_argument_rules_run_after_the_role_check():
    def no_x(caller, arguments):
        if arguments.get("value") == "x":
            raise Forbidden("no x")
    permission = allow("hr", rules=(Rule("no x", no_x),))
    assert outcome(permission, member("hr"), {"value": "y"}) == "allowed"
    assert outcome(permission, member("hr"), {"value": "x"}) == "Forbidden"
    assert outcome(permission, member("agent"), {"value": "y"}) == "Forbidden"


def test_a_service_only_method_refuses_every_member():
    assert outcome(services_only("client_vault"), member("admin")) == "Forbidden"


def test_unknown_roles_and_services_are_refused_when_the_table_is_written():
    with pytest.raises(ValueError):
        allow("root")
    with pytest.raises(ValueError):
        allow(services=("gateway",))


def rpc_methods(service):
    cls = importlib.import_module(f"{service}.service").Service
    return {name for name, member in inspect.getmembers(cls)
            if any(isinstance(e, AnchangRpc) for e in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()))}


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_method_has_exactly_one_entry(service):
    table = importlib.import_module(f"{service}.permissions").PERMISSIONS
    assert set(table) == rpc_methods(service)


def test_docs_show_the_current_tables():
    rendered = render_markdown(load_tables())
    assert (REPO / "docs" / "permissions.md").read_text() == rendered, (
        "docs/permissions.md is stale: python -m anchang_common.permissions > docs/permissions.md")
