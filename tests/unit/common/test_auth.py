"""The pure parts of authorization: reading the bearer token, role checks."""
import pytest

from anchang_common.auth import Principal, bearer_token
from anchang_common.errors import Unauthenticated


def principal(*roles):
    return Principal(staff_id="s1", username="u", roles=roles, status="active", version=1)


@pytest.mark.parametrize("context", [{}, {"authorization": None}, {"authorization": ""}])
def test_no_authorization_means_no_token(context):
    assert bearer_token(context) is None


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer   ", "Basic abc", "abc", 42, 4.2, ["Bearer", "x"], {"Bearer": "x"}, True,
    "Bearer " + "x" * 5000])
def test_a_malformed_authorization_of_any_shape_is_unauthenticated(header):
    with pytest.raises(Unauthenticated):
        bearer_token({"authorization": header})


def test_the_bearer_scheme_is_case_insensitive():
    assert bearer_token({"authorization": "bearer tok.en.sig"}) == "tok.en.sig"


def test_admin_holds_every_other_role_unless_a_method_says_otherwise():
    admin = principal("admin")
    assert admin.has_any(("hr",)) and admin.has_any(("supervisor", "auditor"))
    assert not admin.has_any(("supervisor",), admin_inherits=False)  # e.g. revealing PII


def test_roles_are_checked_as_any_of():
    agent = principal("agent")
    assert agent.has_any(("agent", "supervisor"))
    assert not agent.has_any(("hr",))
