"""What a caller gets when something below a method fails."""
import pytest
from nameko.exceptions import RemoteError, UnknownService

from anchang_common.entrypoints import to_contract_error


@pytest.mark.parametrize("remote_type", ["Unauthenticated", "Forbidden", "NotFound", "Conflict"])
def test_a_called_services_client_errors_reach_the_caller_as_they_are(remote_type):
    error = to_contract_error(RemoteError(remote_type, "client not found"), "call-1")
    assert type(error).__name__ == remote_type
    assert str(error) == "client not found"


@pytest.mark.parametrize("error", [UnknownService("ticket"), RemoteError("DependencyUnavailable", "vault down")])
def test_an_unavailable_service_is_dependency_unavailable(error):
    assert type(to_contract_error(error, "call-1")).__name__ == "DependencyUnavailable"


@pytest.mark.parametrize("remote_type", ["InternalError", "KeyError"])
def test_other_remote_errors_are_internal_with_the_call_id(remote_type):
    error = to_contract_error(RemoteError(remote_type, "value 13800138000"), "call-7")
    assert type(error).__name__ == "InternalError"
    assert "13800138000" not in str(error) and "call-7" in str(error)
