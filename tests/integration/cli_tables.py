"""Reading what ``anchang`` prints (Rich tables, Unicode or ASCII boxes) back, and checking the demo's
tables against what the services answer."""
import re

CELL_SEPARATORS = re.compile(r"[│┃|]")
MISSING = "—"


def table(text, title):
    """The body rows of the first table whose title line starts with ``title``: ``[[cell, ...]]``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    rows = []
    for line in lines[start + 1:]:
        stripped = line.strip()
        if stripped.startswith(("└", "+")) and rows:
            break
        if stripped.startswith(("│", "|")):
            rows.append([cell.strip() for cell in CELL_SEPARATORS.split(stripped)[1:-1]])
    return rows


def number(cell):
    """A printed number back (``None`` for the missing mark)."""
    return None if cell == MISSING else float(cell)


def asked(printed):
    """``(since, until, cycle_code)`` the demo tells the user to ask the services about."""
    command = printed.split("anchang sla report --since ")[1].split("\n")[0]
    since, rest = command.split(" --until ")
    return since, rest.split(" --by ")[0], printed.split("anchang appraisal ranking ")[1].split()[0]


def sla_figures(group):
    """A group of ``ticket.sla_report`` as the columns of the printed table after the group's name."""
    first, resolution = group["first_response"], group["resolution"]
    return [group["tickets"], group["resolved"], first["compliance_percent"], first["median_business_minutes"],
            first["p90_business_minutes"], resolution["compliance_percent"], resolution["median_business_minutes"],
            resolution["p90_business_minutes"], group["breaches"], group["mean_satisfaction"],
            group["satisfaction_responses"]]


def assert_demo_tables_agree(printed, report, names, cards):
    """The SLA table and the ranking ``anchang demo`` printed hold the figures of ``report``
    (``ticket.sla_report`` by agent) and ``cards`` (``appraisal.get_scorecard`` of every member of the
    cycle); ``names``: ``{staff_id: username}``."""
    rows = {row[0]: [number(cell) for cell in row[1:]] for row in table(printed, "SLA report by agent")}
    assert rows == {names[g["group"]]: sla_figures(g) for g in report["groups"]}
    ranking = {row[-1]: row for row in table(printed, "Appraisal ")}
    assert set(ranking) == set(cards)
    for staff_id, card in cards.items():
        rank, username, score, grade = ranking[staff_id][:4]
        assert (number(rank), username, number(score), grade) == (card["rank"], names[staff_id],
                                                                  card["final_score"], card["grade"])
