"""What can go wrong for a user of the CLI, each with its exit code and a hint of what to do.

A failure is shown as its type and message (``output.failure``), never as a stack trace."""

EXIT_ERROR = 1          # the service refused or failed: the contract's error types
EXIT_USAGE = 2          # bad command line (Typer's own)
EXIT_STACK = 3          # the stack is not running, or a service did not answer
EXIT_SESSION = 4        # not logged in, or the session expired


class CliError(Exception):
    """A failure to report to the user: ``kind: message``, then the hint."""
    exit_code = EXIT_ERROR
    kind = "Error"
    hint = None

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class ServiceError(CliError):
    """An error reply of the contract (docs/contract/rpc.md#errors): its ``exc_type`` and message."""

    HINTS = {
        "Unauthenticated": "log in again: `anchang login`",
        "DependencyUnavailable": "a dependency of the service is down: safe to retry in a moment (`make status`)",
        "InternalError": "the service's log has the details under that call id (`make logs`)",
    }

    def __init__(self, exc_type, message):
        super().__init__(message, self.HINTS.get(exc_type))
        self.kind = exc_type


class StackNotRunning(CliError):
    exit_code = EXIT_STACK
    kind = "StackNotRunning"
    hint = "the stack is not running: run `make run` (`make status` says what is up)"


class NoAnswer(CliError):
    exit_code = EXIT_STACK
    kind = "NoAnswer"
    hint = "the service is overloaded or stuck: `make status`, `make logs`"


class NotLoggedIn(CliError):
    exit_code = EXIT_SESSION
    kind = "NotLoggedIn"
    hint = "log in: `anchang login`"


class SessionExpired(CliError):
    exit_code = EXIT_SESSION
    kind = "SessionExpired"
    hint = "log in again: `anchang login`"


class BadInput(CliError):
    """Input the CLI refuses before calling anything (a CSV without the needed columns, ...)."""
    kind = "BadInput"


class DemoFailed(CliError):
    """The demo day met something it did not expect of the stack."""
    kind = "DemoFailed"
