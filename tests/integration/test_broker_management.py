"""``make test`` on a fresh machine: RabbitMQ's management API (nameko's fixtures create a vhost per
test with it) is enabled by the test run itself, or the run stops at once naming the command.

The real broker's plugin stays enabled throughout (other runs depend on it): the enabling path is
driven through a stand-in ``rabbitmq-plugins`` on a PATH of the test's own, whose "plugin" is an
HTTP server answering ``/api/overview`` on a free port, started late so that the wait is polled."""
import os
import signal
import stat
import sys
import textwrap
import time

import pytest

from deploy.local.broker import (
    ENABLE_MANAGEMENT,
    enable_management_plugin,
    ensure_management_api,
    find_rabbitmq_command,
)
from deploy.local.files import StackError
from deploy.local.openbao import free_port


def fake_plugins_command(directory, body):
    """A ``rabbitmq-plugins`` in ``directory`` running ``body`` (shell)."""
    path = directory / "rabbitmq-plugins"
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_answering_api_is_left_as_it_is(pytestconfig):
    assert ensure_management_api(pytestconfig.getoption("RABBIT_API_URI")) == "answering"


@pytest.mark.skipif(os.geteuid() != 0, reason="rabbitmq-plugins needs root (or the rabbitmq user)")
def test_enabling_the_enabled_plugin_of_the_real_broker_is_a_no_op(pytestconfig):
    binary = find_rabbitmq_command("rabbitmq-plugins")
    if binary is None:
        pytest.skip("rabbitmq-plugins is not installed here")
    enable_management_plugin(binary)
    assert ensure_management_api(pytestconfig.getoption("RABBIT_API_URI")) == "answering"


def test_without_rabbitmq_plugins_it_stops_at_once_naming_the_command(tmp_path):
    started = time.monotonic()
    with pytest.raises(StackError) as raised:
        ensure_management_api(f"http://guest:guest@127.0.0.1:{free_port()}", path=str(tmp_path))
    assert ENABLE_MANAGEMENT in str(raised.value)
    assert time.monotonic() - started < 10


def test_a_refused_rabbitmq_plugins_stops_at_once_naming_the_command(tmp_path):
    fake_plugins_command(tmp_path, """\
        echo "Error: unable to perform an operation on node 'rabbit@host'" >&2
        exit 69
        """)
    with pytest.raises(StackError) as raised:
        ensure_management_api(f"http://guest:guest@127.0.0.1:{free_port()}", path=str(tmp_path))
    assert ENABLE_MANAGEMENT in str(raised.value) and "exit 69" in str(raised.value)


def test_a_remote_broker_gets_the_command_to_run_there():
    with pytest.raises(StackError, match=ENABLE_MANAGEMENT):
        ensure_management_api("http://guest:guest@rabbitmq.invalid:15672")


def test_enables_the_plugin_then_waits_for_its_api(tmp_path):
    port = free_port()
    (tmp_path / "www" / "api").mkdir(parents=True)
    (tmp_path / "www" / "api" / "overview").write_text("{}")
    pid_file = tmp_path / "server.pid"
    fake_plugins_command(tmp_path, f"""\
        [ "$1 $2 $3" = "-q enable rabbitmq_management" ] || exit 64
        cd {tmp_path / "www"}
        (sleep 1; exec {sys.executable} -m http.server {port} --bind 127.0.0.1) >/dev/null 2>&1 &
        echo $! > {pid_file}
        """)
    try:
        assert ensure_management_api(f"http://guest:guest@127.0.0.1:{port}", timeout=30,
                                     path=str(tmp_path)) == "enabled"
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_an_api_that_never_comes_fails_at_the_deadline(tmp_path):
    fake_plugins_command(tmp_path, "exit 0\n")
    started = time.monotonic()
    with pytest.raises(StackError, match="did not answer within 1 s"):
        ensure_management_api(f"http://guest:guest@127.0.0.1:{free_port()}", timeout=1, path=str(tmp_path))
    assert time.monotonic() - started < 10


def test_the_plugins_file_it_rewrites_stays_readable_by_the_broker(tmp_path):
    """The stack runs with umask 077 (.run/ is private); ``rabbitmq-plugins`` rewrites the broker's
    enabled-plugins file, which the broker's own user must still read (else its management API
    answers 500 until the file is mended)."""
    plugins_file = tmp_path / "enabled_plugins"
    binary = fake_plugins_command(tmp_path, f"""\
        echo "[rabbitmq_management]." > {plugins_file}
        """)
    previous = os.umask(0o077)
    try:
        enable_management_plugin(str(binary))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(plugins_file.stat().st_mode) & 0o044 == 0o044
