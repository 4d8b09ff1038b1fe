"""``anchang demo`` (``make demo``): a whole day of a sales site on the running stack, then its SLA
report and appraisal ranking."""
import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from anchang_cli import output, reports
from anchang_cli.commands.common import SETTINGS, JsonOption, command
from anchang_cli.demo import day
from anchang_cli.errors import BadInput

app = typer.Typer()
ADMIN_PASSWORD_VARIABLE = "ANCHANG_ADMIN_PASSWORD"
ADMIN_PASSWORD_FILE = Path(".run/admin-password")


def admin_password(path):
    """``ANCHANG_ADMIN_PASSWORD`` when set (as ``make run`` reads it), else the file ``make run`` wrote."""
    if os.environ.get(ADMIN_PASSWORD_VARIABLE):
        return os.environ[ADMIN_PASSWORD_VARIABLE]
    try:
        return path.read_text().strip()
    except OSError:
        raise BadInput(f"no admin password: {path} cannot be read and {ADMIN_PASSWORD_VARIABLE} is not set "
                       "(`make run` writes that file; run the demo from the repository's directory)") from None


@command(app, "demo")
def demo(
    tickets: Annotated[int, typer.Option(min=10, max=5000, help="Tickets of the day.")] = 300,
    clients: Annotated[int, typer.Option(min=10, max=10000, help="Clients in the imported CSV.")] = 300,
    agents: Annotated[int, typer.Option(min=2, max=40, help="Agents hired.")] = 8,
    breaches: Annotated[bool, typer.Option(help="Answer half of the urgent repairs after their one-minute SLA "
                                                "(--no-breaches saves that minute's wait).")] = True,
    seed: Annotated[int | None, typer.Option(help="Seed of the invented people and events (default: random).")]
    = None,
    admin_password_file: Annotated[Path, typer.Option(help=f"Where the admin password is, unless "
                                                           f"{ADMIN_PASSWORD_VARIABLE} is set.")]
    = ADMIN_PASSWORD_FILE,
    as_json: JsonOption = False,
):
    """Play a realistic day of a sales site on the running stack (`make demo`).

    Through the public API: recruitment (some candidates screened out), onboarding, a few hundred
    clients, several hundred tickets worked by the agents (some breaching their SLA), surveys,
    follow-up visits, an appraisal cycle finalised; then the SLA report and the ranking. Runs again
    without clashing with an earlier day."""
    password = admin_password(admin_password_file)
    with output.progress() as progress:
        result = day.play(SETTINGS.amqp_uri, password, progress, tickets=tickets, clients=clients, agents=agents,
                          breaches=breaches, seed=seed)
    if as_json:
        output.emit_json(result)
        return
    render_story(result)
    reports.render_sla(result["sla_report"], result["names"])
    reports.render_ranking(result["ranking"])
    output.stdout().print(
        f"Ask the services yourself (`anchang login admin` first):\n"
        f"  anchang sla report --since {result['since']} --until {result['until']} --by agent\n"
        f"  anchang appraisal ranking {result['cycle_code']}\n"
        f"The day took {result['seconds']} s (run {result['run']}, seed {result['seed']}).", highlight=False)


def render_story(result):
    story = result["story"]
    clients, tickets = story["clients"], story["tickets"]
    screened = Counter(story["screened_out"])
    output.fields(f"Demo day {result['run']}", [
        ("earlier demo staff", f"{story['earlier_demo_staff_left']} left" if story["earlier_demo_staff_left"]
         else "none"),
        ("candidates", f"{story['candidates']}: {len(story['screened_out'])} screened out ("
         + ", ".join(f"{code} {n}" for code, n in sorted(screened.items())) + f"), "
         f"{story['failed_assessment']} failed the assessment"),
        ("hired and onboarded", f"{story['hired']['supervisors']} supervisors, {story['hired']['agents']} agents "
                                f"({story['training_retakes']} training modules retaken)"),
        ("clients", f"{clients['imported']} imported ({clients['already_registered']} already registered, "
                    f"{len(clients['rejected_rows'])} rows rejected), {clients['walk_ins']} walk-ins"),
        ("tickets", f"{tickets['opened']} opened (" + ", ".join(
            f"{c} {n}" for c, n in sorted(tickets["by_category"].items())) + ")"),
        ("worked", f"{tickets['paused']} waited for the customer, {tickets['reopened']} reopened, "
                   f"{tickets['follow_up_visits']} follow-up visits, {tickets['surveys']} surveys, "
                   f"{tickets['answered_late']} urgent repairs answered late"),
        ("at the end of the day", ", ".join(f"{s} {n}" for s, n in sorted(tickets["states_at_end"].items()))),
        ("appraisal cycle", result["cycle_code"]),
    ])
    if clients["rejected_rows"]:
        output.table("Rejected rows of the imported CSV", ["line#", "field", "problem"], [
            (r["line"], f, p) for r in clients["rejected_rows"] for f, p in sorted(r["reasons"].items())])
