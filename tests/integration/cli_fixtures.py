"""Fixtures of the CLI tests: the four real services on the test's vhost (staff with its admin, ticket
and appraisal seeded as ``make run`` seeds them), and ``anchang`` invoked in this process with
``AMQP_URI`` pointed at that vhost and its own config directory."""
import json

import pytest
from typer.testing import CliRunner

from anchang_cli import session
from anchang_cli.app import app
from appraisal.bootstrap import seed_default_template
from ticket.bootstrap import seed as seed_ticket


@pytest.fixture
def four_services(harness, staff):
    """staff (with ``admin``), client_vault, ticket and appraisal, seeded."""
    for name in ("client_vault", "ticket", "appraisal"):
        service = harness.start(name)
        if name == "ticket":
            seed_ticket(service.config["DATABASE_URL"])
        if name == "appraisal":
            seed_default_template(service.config["DATABASE_URL"])
    return harness


class Anchang:
    """``anchang ...`` as a user types it: ``run("staff", "list")`` -> click's ``Result``."""

    def __init__(self, amqp_uri, config_dir):
        self.env = {"AMQP_URI": amqp_uri, "ANCHANG_CONFIG_DIR": str(config_dir), "ANCHANG_ADMIN_PASSWORD": ""}
        self.config_dir = config_dir
        self.runner = CliRunner()

    def run(self, *args, input=None, env=None):
        return self.runner.invoke(app, [str(a) for a in args], input=input, env={**self.env, **(env or {})})

    def stored(self):
        """The sessions file the CLI wrote, as data."""
        return json.loads((self.config_dir / session.SESSIONS_FILE).read_text())

    def login(self, username, password):
        result = self.run("login", username, "--password-stdin", input=password + "\n")
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture
def anchang(four_services, tmp_path):
    return Anchang(four_services.amqp_uri, tmp_path / "config")


def failed(result, exit_code, kind):
    """``result`` failed with ``exit_code``, saying ``Error: <kind>: ...`` and no stack trace; its output."""
    assert result.exit_code == exit_code, result.output
    assert f"Error: {kind}: " in result.output, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    return result.output
