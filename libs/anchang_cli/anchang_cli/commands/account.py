"""``login``, ``logout``, ``whoami``, ``password``: the member's session on this stack."""
import sys
from typing import Annotated

import typer

from anchang_cli import output, session
from anchang_cli.commands.common import SETTINGS, JsonOption, anonymous, command, show, signed_in
from anchang_cli.errors import BadInput, ServiceError, SessionExpired

app = typer.Typer()
WRONG_PASSWORD_HINT = ("check the username and password; five failures within 15 minutes lock the account for "
                       "15 minutes (an admin can `anchang staff reset-password`)")


def _read_password_line():
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise BadInput("--password-stdin: no password on standard input")
    return line


def _logged_in(new):
    output.note(f"Logged in to {SETTINGS.stack} as {new.username} ({', '.join(new.roles)}) "
                f"until {output.moment(new.expires_at)} UTC.")


@command(app, "login")
def login(
    username: Annotated[str | None, typer.Argument(help="Your username (asked for when left out).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input's first line.")] = False,
):
    """Log in and keep the access token in your config directory (mode 0600) for the next commands."""
    username = username or typer.prompt("Username")
    password = _read_password_line() if password_stdin else typer.prompt("Password", hide_input=True)
    with anonymous() as door:
        try:
            reply = door.call("staff", "login", username, password)
        except ServiceError as error:
            if error.kind == "Unauthenticated":
                error.hint = WRONG_PASSWORD_HINT
            raise
    new = session.Session.from_login(username.strip().lower(), reply)
    session.save(SETTINGS.stack, new)
    _logged_in(new)
    if new.must_change_password:
        if password_stdin or not sys.stdin.isatty():
            output.note("This password is one-time: choose your own with `anchang password` before anything else.")
            return
        output.note("This password is one-time: choose your own now.")
        _change_password(password)


@command(app, "password")
def password():
    """Change your password (a one-time password must be changed before anything else)."""
    _change_password(typer.prompt("Current password", hide_input=True))


def _change_password(old):
    new_password = typer.prompt("New password (10+ characters, a letter and a digit)", hide_input=True,
                                confirmation_prompt=True)
    with signed_in() as door:
        reply = door.call("staff", "change_password", old, new_password)
        username = door.session.username
    new = session.Session.from_login(username, reply)
    session.save(SETTINGS.stack, new)
    output.note("Password changed; your other sessions are ended.")
    _logged_in(new)


@command(app, "logout")
def logout():
    """End your sessions (on every device) and forget the token here."""
    try:
        with signed_in() as door:
            door.call("staff", "logout")
    except SessionExpired:
        pass  # nothing left to end on the server
    except ServiceError as error:
        if error.kind != "Unauthenticated":  # already ended or revoked: forget it all the same
            raise
    if session.forget(SETTINGS.stack):
        output.note(f"Logged out of {SETTINGS.stack}.")
    else:
        output.note(f"Not logged in to {SETTINGS.stack}.")


@command(app, "whoami")
def whoami(as_json: JsonOption = False):
    """Who you are logged in as, on which stack, until when."""
    with signed_in() as door:
        member = door.call("staff", "get_staff", door.session.staff_id)
        expires_at = door.session.expires_at
    data = {"stack": SETTINGS.stack, "expires_at": expires_at, **member}
    show(data, as_json, lambda d: output.fields(d["username"], [
        ("name", d.get("name")), ("staff id", d["staff_id"]), ("roles", d["roles"]), ("status", d["status"]),
        ("stack", d["stack"]), ("session until", f"{output.moment(d['expires_at'])} UTC")]))
