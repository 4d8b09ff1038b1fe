"""The error types of the public contract (docs/contract/rpc.md).

Callers see them as nameko ``RemoteError`` whose ``exc_type`` is the class name.
Messages never carry PII: they name fields and ids, never values.
"""


class AnchangError(Exception):
    """Base of every error the contract lets reach a caller."""

    #: ``client_error`` or ``server_error``, the ``outcome`` label of the RPC histogram.
    outcome = "client_error"


class ValidationError(AnchangError):
    """Bad input. ``errors`` maps each bad field to what is wrong with it."""

    def __init__(self, errors):
        self.errors = dict(errors)
        detail = "; ".join(f"{field}: {problem}" for field, problem in sorted(self.errors.items()))
        super().__init__(f"invalid input: {detail}")


class NotFound(AnchangError):
    pass


class Conflict(AnchangError):
    pass


class Unauthenticated(AnchangError):
    pass


class Forbidden(AnchangError):
    pass


class DependencyUnavailable(AnchangError):
    """Vault, the database or another service is down. Safe to retry: nothing was half-written."""

    outcome = "server_error"


class InternalError(AnchangError):
    """Anything unexpected, reported to the caller by call id only (details are in the log)."""

    outcome = "server_error"

    def __init__(self, call_id):
        self.call_id = call_id
        super().__init__(f"internal error, call id {call_id}")


CLIENT_ERRORS = (ValidationError, NotFound, Conflict, Unauthenticated, Forbidden)
EXPECTED_ERRORS = CLIENT_ERRORS + (DependencyUnavailable,)
