"""A called service's ValidationError reaches the caller as a ValidationError naming the same fields
(not an InternalError): found by fuzzing ``ticket.open_ticket`` with a client id ticket accepts and
``client_vault.add_note`` refuses. None of the called service's words are repeated."""
from nameko.exceptions import RemoteError

from anchang_common.entrypoints import REFUSED_FURTHER_ON, to_contract_error
from anchang_common.errors import ValidationError


def test_a_called_services_validation_error_is_the_callers_naming_its_fields():
    message = "invalid input: client_id: must be an id: 1-64 letters, digits, '_' or '-'; rows[2].text: too long"
    error = to_contract_error(RemoteError("ValidationError", message), "call-1")
    assert isinstance(error, ValidationError)
    assert error.errors == {"client_id": REFUSED_FURTHER_ON, "rows[2].text": REFUSED_FURTHER_ON}


def test_nothing_but_field_paths_comes_back():
    message = "invalid input: 13800138000: value 13800138000; 张三: bad"
    error = to_contract_error(RemoteError("ValidationError", message), "call-1")
    assert error.errors == {"arguments": REFUSED_FURTHER_ON}
    assert "13800138000" not in str(error) and "张三" not in str(error)
