"""What every command shares: the stack it talks to, the session, the error guard, ``--json``."""
import functools
import re
from contextlib import contextmanager
from typing import Annotated

import typer

from anchang_cli import output, session
from anchang_cli.errors import BadInput, CliError
from anchang_cli.rpc import DEFAULT_AMQP_URI, Door, stack_name

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON, for scripts.")]
STAFF_ID = re.compile(r"^[0-9a-f]{32}$")


class Settings:
    """Set by the root callback from ``--amqp-uri`` / ``AMQP_URI``."""
    amqp_uri = DEFAULT_AMQP_URI

    @property
    def stack(self):
        return stack_name(self.amqp_uri)


SETTINGS = Settings()


def command(group, name=None, **options):
    """Register ``function`` as a command of ``group`` whose failures are shown as ``Error: kind:
    message`` and the hint (exit code by kind), never as a stack trace."""
    def register(function):
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except CliError as error:
                output.failure(error)
                raise typer.Exit(error.exit_code) from None
        group.command(name, **options)(guarded)
        return function
    return register


@contextmanager
def signed_in():
    """A door carrying the stored session's token (``NotLoggedIn``/``SessionExpired`` before any call)."""
    current = session.current(SETTINGS.stack)
    with Door(SETTINGS.amqp_uri, current.token) as door:
        door.session = current
        yield door


@contextmanager
def anonymous():
    with Door(SETTINGS.amqp_uri) as door:
        yield door


def staff_id(door, who):
    """A staff id from an id or a username (looked up with ``staff.list_staff``)."""
    if STAFF_ID.match(who):
        return who
    wanted = who.strip().lower()
    for member in door.call("staff", "list_staff"):
        if member["username"] == wanted:
            return member["staff_id"]
    raise BadInput(f"no staff member has the username {wanted!r}")


def usernames(door):
    """``{staff_id: username}`` of every member, to show people instead of ids."""
    return {member["staff_id"]: member["username"] for member in door.call("staff", "list_staff")}


def show(data, as_json, render):
    """``data`` as JSON with ``--json``, else ``render(data)``."""
    if as_json:
        output.emit_json(data)
    else:
        render(data)
