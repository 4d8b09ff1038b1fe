"""``anchang``: the root command, its groups, and ``main`` (the console script)."""
import logging
import os
import sys
from typing import Annotated

import typer

from anchang_cli import output
from anchang_cli.commands import account, clients, demo, reports, staff, tickets
from anchang_cli.commands.common import SETTINGS
from anchang_cli.errors import CliError
from anchang_cli.rpc import DEFAULT_AMQP_URI

app = typer.Typer(
    name="anchang",
    help="Anchang from the command line: log in, then work with staff, clients, tickets, SLA reports and "
         "appraisals over the stack's RPC API (docs/cli.md). `make demo` plays a whole day.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(account.app)
app.add_typer(staff.app, name="staff")
app.add_typer(clients.app, name="client")
app.add_typer(tickets.app, name="ticket")
app.add_typer(reports.sla, name="sla")
app.add_typer(reports.appraisal, name="appraisal")
app.add_typer(demo.app)


@app.callback()
def root(
    amqp_uri: Annotated[str, typer.Option("--amqp-uri", envvar="AMQP_URI", show_envvar=True,
                                          help="The stack's RabbitMQ.")] = DEFAULT_AMQP_URI,
):
    SETTINGS.amqp_uri = amqp_uri


def main():
    """The console script: a failure the commands did not foresee is still one line, not a stack trace
    (``ANCHANG_DEBUG=1`` shows it)."""
    logging.basicConfig(level=logging.CRITICAL)  # the broker client's own warnings are not the user's business
    try:
        app()
    except CliError as error:
        output.failure(error)
        sys.exit(error.exit_code)
    except Exception as error:  # noqa: BLE001 - the last guard: one line instead of a traceback
        if os.environ.get("ANCHANG_DEBUG"):
            raise
        output.failure(CliError(f"{type(error).__name__}: {error}",
                                "a bug of the CLI: run again with ANCHANG_DEBUG=1 and report what it shows"))
        sys.exit(1)
