"""``anchang staff ...``: the members, their roles, status, onboarding and the agents available."""
from typing import Annotated

import typer

from anchang_cli import output
from anchang_cli.commands.common import JsonOption, command, show, signed_in, staff_id
from anchang_cli.contract import Category, Role, StaffStatus, TrainingModule

app = typer.Typer(help="Staff members: list, show, roles, status, onboarding, available agents.",
                  no_args_is_help=True)
Who = Annotated[str, typer.Argument(help="A username or a staff id.")]


def member_rows(members):
    return [(m["username"], m.get("name"), m["status"], m["roles"], m["skills"], m["staff_id"]) for m in members]


def render_members(members):
    output.table(f"Staff ({len(members)})", ["username", "name", "status", "roles", "skills", "staff id"],
                 member_rows(members))


def render_member(member):
    acknowledgment = member.get("security_acknowledgment") or {}
    output.fields(member["username"], [
        ("name", member.get("name")), ("staff id", member["staff_id"]), ("status", member["status"]),
        ("roles", member["roles"]), ("skills", member["skills"]), ("position", member.get("position_code")),
        ("must change password", member.get("must_change_password")),
        ("security rules", "acknowledged until " + acknowledgment["expires_on"]
         if acknowledgment.get("current") else "not acknowledged (or lapsed)"),
    ])
    if member.get("trainings"):
        output.table("Training", ["module", "score#", "pass mark#", "passed", "attempted (UTC)"], [
            (t["module_code"], t["score"], t["pass_mark"], t["passed"], output.moment(t["attempted_at"]))
            for t in member["trainings"]])
    if member.get("certificates"):
        output.table("Certificates", ["code", "name", "issued", "expires"], [
            (c["code"], c["name"], c["issued_on"], c.get("expires_on")) for c in member["certificates"]])


@command(app, "list")
def list_staff(
    status: Annotated[StaffStatus | None, typer.Option(help="Only members with this status.")] = None,
    role: Annotated[Role | None, typer.Option(help="Only members with this role.")] = None,
    skill: Annotated[Category | None, typer.Option(help="Only members handling this ticket category.")] = None,
    as_json: JsonOption = False,
):
    """List staff members, by username."""
    with signed_in() as door:
        members = door.call("staff", "list_staff", status=status, role=role, skill=skill)
    show(members, as_json, render_members)


@command(app, "show")
def show_member(who: Who, as_json: JsonOption = False):
    """One member: roles, status, skills, training, certificates, security acknowledgment."""
    with signed_in() as door:
        member = door.call("staff", "get_staff", staff_id(door, who))
    show(member, as_json, render_member)


@command(app, "agents")
def agents(category: Annotated[Category, typer.Argument(help="A ticket category.")], as_json: JsonOption = False):
    """Active agents for a ticket category, least loaded first (supervisors)."""
    with signed_in() as door:
        available = door.call("staff", "available_agents", category)
    show(available, as_json, lambda rows: output.table(
        f"Agents for {category}", ["username", "open tickets#", "staff id"],
        [(a["username"], a["load"], a["staff_id"]) for a in rows]))


@command(app, "set-roles")
def set_roles(who: Who, roles: Annotated[list[Role], typer.Argument(help="The member's roles from now on.")],
              as_json: JsonOption = False):
    """Replace a member's roles (admin); their tokens stop working."""
    with signed_in() as door:
        member = door.call("staff", "set_roles", staff_id(door, who), [str(r) for r in roles])
    show(member, as_json, render_member)


@command(app, "set-status")
def set_status(who: Who, status: Annotated[StaffStatus, typer.Argument(help="The new status.")],
               as_json: JsonOption = False):
    """Change a member's status (admin): suspend, bring back, record a departure."""
    with signed_in() as door:
        member = door.call("staff", "set_status", staff_id(door, who), status)
    show(member, as_json, render_member)


@command(app, "reset-password")
def reset_password(who: Who, as_json: JsonOption = False):
    """Give a member a one-time password (admin); print it to hand over."""
    with signed_in() as door:
        reply = door.call("staff", "reset_password", staff_id(door, who))
    show(reply, as_json, lambda r: typer.echo(r["one_time_password"]))


@command(app, "train")
def train(who: Who, module: Annotated[TrainingModule, typer.Argument(help="The onboarding module.")],
          score: Annotated[float, typer.Argument(min=0, max=100, help="The score, 0..100.")],
          as_json: JsonOption = False):
    """Record an onboarding training result (hr, supervisor)."""
    with signed_in() as door:
        reply = door.call("staff", "complete_training", staff_id(door, who), module, score)
    show(reply, as_json, lambda r: output.fields(f"Training {r['module_code']}", [
        ("passed", r["passed"]), ("status", r["status"]), ("modules left", r["remaining_modules"])]))


@command(app, "acknowledge")
def acknowledge(as_json: JsonOption = False):
    """Acknowledge the information-security rules, for yourself (yearly)."""
    with signed_in() as door:
        reply = door.call("staff", "acknowledge_security_rules")
    show(reply, as_json, lambda r: output.fields("Information-security rules acknowledged", [
        ("until", r["expires_on"]), ("status", r["status"])]))


@command(app, "position")
def position(code: Annotated[str, typer.Argument(help="A position code.")], as_json: JsonOption = False):
    """A position's hiring requirements and assessment scorecard."""
    with signed_in() as door:
        found = door.call("staff", "get_position", code)
    show(found, as_json, render_position)


def render_position(found):
    requirements, scorecard = found["requirements"], found["scorecard"]
    output.fields(f"{found['code']}: {found['title']}", [
        ("age", f"{requirements['min_age']}..{requirements['max_age']}"),
        ("education", f"{requirements['min_education']} or above"), ("majors", requirements.get("majors") or "any"),
        ("certificates", requirements.get("certificates")),
        ("pass score", scorecard["pass_score"]), ("assessors", scorecard["min_assessors"])])
    output.table("Scorecard", ["criterion", "label", "weight#", "max score#"], [
        (c["key"], c["label"], c["weight"], c["max_score"]) for c in scorecard["criteria"]])
