"""A called service's ValidationError reaches the caller as a ValidationError naming the same fields
(not an InternalError): found by fuzzing ``ticket.open_ticket`` with a client id ticket accepts and
``client_vault.add_note`` refuses."""
from nameko.exceptions import RemoteError

from anchang_common.entrypoints import to_contract_error
from anchang_common.errors import ValidationError


def test_a_called_services_validation_error_is_the_callers():
    message = "invalid input: client_id: must be an id: 1-64 letters, digits, '_' or '-'; text: too long"
    error = to_contract_error(RemoteError("ValidationError", message), "call-1")
    assert isinstance(error, ValidationError)
    assert error.errors == {"client_id": "must be an id: 1-64 letters, digits, '_' or '-'", "text": "too long"}


def test_an_unexpected_message_still_names_something():
    error = to_contract_error(RemoteError("ValidationError", "odd"), "call-1")
    assert isinstance(error, ValidationError) and error.errors == {"arguments": "refused by a service this call needs"}
