"""The installed ``anchang`` console script as a user runs it, where no stack is needed: help, shell
completion, and the failures that come before any service answers — one line each with what to do,
never a stack trace."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ANCHANG = Path(sys.executable).parent / "anchang"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "ANCHANG_ADMIN_PASSWORD")}
    env.update(ANCHANG_CONFIG_DIR=str(tmp_path / "config"), AMQP_URI=f"amqp://guest:guest@127.0.0.1:{free_port()}/")

    def run(*args, input=None):
        return subprocess.run([str(ANCHANG), *args], env=env, cwd=tmp_path, input=input, capture_output=True,
                              text=True, timeout=60)
    return run


def test_help_everywhere(run):
    for command in ([], ["staff"], ["client", "reveal"], ["ticket", "open"], ["sla", "report"],
                    ["appraisal", "ranking"], ["demo"], ["login"]):
        result = run(*command, "--help")
        assert result.returncode == 0, result.stderr
        assert "Usage: anchang" in result.stdout
    assert "--install-completion" in run("--help").stdout


def test_the_stack_not_running_is_one_line_and_what_to_run(run):
    result = run("login", "admin", "--password-stdin", input="whatever\n")
    assert result.returncode == 3
    assert result.stderr.splitlines()[0].startswith("Error: StackNotRunning: cannot reach RabbitMQ at 127.0.0.1:")
    assert "the stack is not running: run `make run`" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_not_logged_in(run):
    result = run("ticket", "list")
    assert result.returncode == 4 and "Error: NotLoggedIn: " in result.stderr and "`anchang login`" in result.stderr


def test_the_demo_says_where_the_admin_password_comes_from(run):
    result = run("demo")
    assert result.returncode == 1 and "Error: BadInput: no admin password" in result.stderr
    assert "`make run` writes that file" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_option_is_a_usage_error(run):
    result = run("sla", "report", "--by", "weekday")
    assert result.returncode == 2 and "weekday" in result.stderr and "Traceback" not in result.stderr


def test_shell_completion_knows_commands_and_the_contracts_choices(tmp_path):
    """What ``anchang --install-completion`` wires into the shell: Tab completes commands and choices."""
    def complete(words, index):
        env = dict(os.environ, _ANCHANG_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(index))
        return subprocess.run([str(ANCHANG)], env=env, capture_output=True, text=True, timeout=60).stdout.split()

    assert complete("anchang ti", 1) == ["ticket"]
    assert complete("anchang ticket list --category ", 4) == ["inquiry", "complaint", "after_sales", "repair"]
    assert complete("anchang client reveal c1 --purpose ", 5) == [
        "ticket_handling", "follow_up", "client_request", "complaint_investigation", "legal_obligation"]
    assert "--install-completion" in subprocess.run([str(ANCHANG), "--help"], capture_output=True, text=True).stdout
