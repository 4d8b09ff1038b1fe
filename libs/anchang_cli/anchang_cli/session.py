"""Where ``anchang login`` keeps the member's access token: one file in the user's config directory
(``ANCHANG_CONFIG_DIR`` overrides it), mode 0600 in a 0700 directory, one session per stack (broker
host, port and vhost), so a token of one stack is never sent to another.

Tokens are short-lived (an hour by default) and there is no refresh in the contract: an expired one
is refused here, before any call, with "log in again"."""
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer

from anchang_cli.errors import NotLoggedIn, SessionExpired

CONFIG_DIR_VARIABLE = "ANCHANG_CONFIG_DIR"
SESSIONS_FILE = "sessions.json"


@dataclass(frozen=True)
class Session:
    username: str
    staff_id: str
    roles: list
    token: str
    expires_at: str
    must_change_password: bool = False

    @classmethod
    def from_login(cls, username, reply):
        return cls(username=username, staff_id=reply["staff_id"], roles=list(reply["roles"]), token=reply["token"],
                   expires_at=reply["expires_at"], must_change_password=bool(reply.get("must_change_password")))

    def expired(self, now=None):
        return datetime.fromisoformat(self.expires_at) <= (now or datetime.now(UTC))


def config_dir():
    return Path(os.environ.get(CONFIG_DIR_VARIABLE) or typer.get_app_dir("anchang"))


def sessions_file():
    return config_dir() / SESSIONS_FILE


def _read():
    try:
        return json.loads(sessions_file().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):  # unreadable or damaged: as if logged out everywhere
        return {}


def _write(sessions):
    """Replace the file atomically, never readable by others, not even for a moment."""
    directory = config_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    temporary = directory / f".{SESSIONS_FILE}.{os.getpid()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(sessions, handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, sessions_file())


def save(stack, session):
    sessions = _read()
    sessions[stack] = asdict(session)
    _write(sessions)


def forget(stack):
    """Drop the stack's session; whether there was one."""
    sessions = _read()
    if sessions.pop(stack, None) is None:
        return False
    _write(sessions)
    return True


def stored(stack):
    """The stack's session as stored, expired or not; ``None`` when there is none."""
    data = _read().get(stack)
    if not data:
        return None
    try:
        return Session(**data)
    except TypeError:  # written by another version of the CLI
        return None


def current(stack):
    """The stack's session, still valid: else ``NotLoggedIn`` or ``SessionExpired``."""
    session = stored(stack)
    if session is None:
        raise NotLoggedIn(f"not logged in to the stack at {stack}")
    if session.expired():
        raise SessionExpired(f"the session of {session.username} expired at {session.expires_at}")
    return session
