"""The session file: private, one session per stack, expiry refused before any call."""
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from anchang_cli import session
from anchang_cli.errors import NotLoggedIn, SessionExpired


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(session.CONFIG_DIR_VARIABLE, str(tmp_path / "anchang"))
    return tmp_path / "anchang"


def member(expires_in=timedelta(hours=1), username="li.na"):
    return session.Session(username=username, staff_id="a" * 32, roles=["agent"], token="token-" + username,
                           expires_at=(datetime.now(UTC) + expires_in).isoformat())


def test_the_file_is_private_even_when_it_existed_with_other_modes(config_dir):
    config_dir.mkdir(mode=0o755)
    (config_dir / session.SESSIONS_FILE).write_text("{}")
    os.chmod(config_dir / session.SESSIONS_FILE, 0o644)
    session.save("127.0.0.1:5672/", member())
    assert stat.S_IMODE(os.stat(config_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(config_dir / session.SESSIONS_FILE).st_mode) == 0o600
    assert session.current("127.0.0.1:5672/").token == "token-li.na"


def test_one_session_per_stack():
    session.save("127.0.0.1:5672/", member(username="li.na"))
    session.save("127.0.0.1:5672/other", member(username="wang.fang"))
    assert session.current("127.0.0.1:5672/").username == "li.na"
    assert session.current("127.0.0.1:5672/other").username == "wang.fang"
    assert session.forget("127.0.0.1:5672/") is True
    with pytest.raises(NotLoggedIn):
        session.current("127.0.0.1:5672/")
    assert session.current("127.0.0.1:5672/other").username == "wang.fang"


def test_an_expired_session_is_refused_with_log_in_again():
    session.save("127.0.0.1:5672/", member(expires_in=timedelta(seconds=-1)))
    with pytest.raises(SessionExpired) as raised:
        session.current("127.0.0.1:5672/")
    assert raised.value.hint == "log in again: `anchang login`"


def test_a_damaged_file_counts_as_logged_out(config_dir):
    config_dir.mkdir()
    (config_dir / session.SESSIONS_FILE).write_text("{not json")
    with pytest.raises(NotLoggedIn):
        session.current("127.0.0.1:5672/")
