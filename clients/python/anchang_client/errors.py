"""The contract's error types (docs/contract/rpc.md#errors) as exceptions a caller can catch by type,
mapped from nameko's ``RemoteError.exc_type``; anything else stays a ``RemoteError``."""
import re

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

_FIELD = re.compile(r"([^;:]+): ([^;]+)")


class AnchangError(Exception):
    """An error reply of an Anchang service: ``exc_type`` is the contract's name of it, ``message``
    its message (names fields and ids, never personal data)."""

    exc_type = "AnchangError"
    #: whether the same call may succeed if tried again later
    retryable = False

    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class ValidationError(AnchangError):
    """Bad input. ``errors`` maps each bad field (``profile.phone``) to what is wrong with it."""

    exc_type = "ValidationError"

    @property
    def errors(self):
        detail = self.message.removeprefix("invalid input: ")
        return {field.strip(): problem.strip() for field, problem in _FIELD.findall(detail)}


class NotFound(AnchangError):
    exc_type = "NotFound"


class Conflict(AnchangError):
    exc_type = "Conflict"


class Unauthenticated(AnchangError):
    """No, a bad, expired or revoked token; or a wrong login: log in again."""

    exc_type = "Unauthenticated"


class Forbidden(AnchangError):
    exc_type = "Forbidden"


class DependencyUnavailable(AnchangError):
    """Vault, a database or another service is down: nothing was half-written, retry with backoff."""

    exc_type = "DependencyUnavailable"
    retryable = True


class ServiceUnavailable(DependencyUnavailable):
    """The service called is not running (no queue bound for it) or did not answer in time."""

    exc_type = "ServiceUnavailable"


class InternalError(AnchangError):
    """Anything unexpected; the message carries the call id to look for in the service's log."""

    exc_type = "InternalError"


ERRORS = {cls.exc_type: cls for cls in (ValidationError, NotFound, Conflict, Unauthenticated, Forbidden,
                                         DependencyUnavailable, InternalError)}


def from_remote(error):
    """The typed error for nameko's ``error`` (a ``RemoteError``, ``UnknownService`` or ``RpcTimeout``),
    or ``error`` itself when the contract does not name its type."""
    if isinstance(error, RemoteError) and error.exc_type in ERRORS:
        return ERRORS[error.exc_type](error.value)
    if isinstance(error, UnknownService | RpcTimeout):
        return ServiceUnavailable(str(error))
    return error
