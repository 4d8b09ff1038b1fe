"""``anchang sla ...`` and ``anchang appraisal ...``: the SLA report, policies, scorecards, the ranking."""
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from anchang_cli import output, reports
from anchang_cli.commands.common import JsonOption, command, show, signed_in, staff_id, usernames
from anchang_cli.contract import GroupBy
from anchang_cli.errors import BadInput

sla = typer.Typer(help="SLA: the report of compliance, times, breaches and satisfaction; the policies.",
                  no_args_is_help=True)
appraisal = typer.Typer(help="Appraisals: a member's scorecard, a cycle's ranking.", no_args_is_help=True)


def instant(name, value, default):
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 time (UTC unless it has an offset) as ISO-8601."""
    if value is None:
        return default.isoformat(timespec="seconds")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--{name}: expected YYYY-MM-DD or an ISO-8601 time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


@command(sla, "report")
def sla_report(
    since: Annotated[str | None, typer.Option(help="From (included): YYYY-MM-DD or ISO-8601; default 24 h ago.")]
    = None,
    until: Annotated[str | None, typer.Option(help="To (excluded): YYYY-MM-DD or ISO-8601; default now.")] = None,
    by: Annotated[GroupBy, typer.Option(help="Group by agent, category or priority.")] = GroupBy.agent,
    as_json: JsonOption = False,
):
    """Compliance, median and p90 business minutes, breaches and satisfaction of the tickets opened in
    the period (supervisors, auditors, admins)."""
    now = datetime.now(UTC)
    since, until = instant("since", since, now - timedelta(days=1)), instant("until", until, now)
    with signed_in() as door:
        report = door.call("ticket", "sla_report", since, until, by)
        names = usernames(door) if by == GroupBy.agent and not as_json else {}
    show(report, as_json, lambda r: reports.render_sla(r, names))


@command(sla, "policies")
def sla_policies(as_json: JsonOption = False):
    """The SLA policy of every category and priority."""
    with signed_in() as door:
        policies = door.call("ticket", "list_sla_policies")
    show(policies, as_json, lambda ps: output.table("SLA policies (business minutes)", [
        "category", "priority", "first response#", "resolution#", "calendar"], [
        (p["category"], p["priority"], p["first_response_minutes"], p["resolution_minutes"], p["calendar"])
        for p in ps]))


@command(appraisal, "scorecard")
def scorecard(cycle: Annotated[str, typer.Argument(help="The cycle code.")],
              who: Annotated[str, typer.Argument(help="A username or staff id.")], as_json: JsonOption = False):
    """A member's scorecard: final score, grade, rank and where every number comes from."""
    with signed_in() as door:
        member = staff_id(door, who)
        card = door.call("appraisal", "get_scorecard", cycle, member)
        username = None if as_json else usernames(door).get(member)
    show(card, as_json, lambda c: reports.render_scorecard(c, username))


@command(appraisal, "ranking")
def ranking(cycle: Annotated[str, typer.Argument(help="The cycle code.")], as_json: JsonOption = False):
    """Every member of a cycle by rank, with final score and grade (supervisors, admins)."""
    with signed_in() as door:
        result = reports.ranking(door, cycle)
    show(result, as_json, reports.render_ranking)
