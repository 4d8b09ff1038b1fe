"""How the CLI shows things: readable tables on stdout, JSON for scripts (``--json``), errors, notes
and progress bars on stderr (so ``--json`` output stays clean).

Values are printed as text, never as Rich markup: a subject containing ``[red]`` shows as written."""
import json
import sys
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

#: columns of a table written to a file or a pipe (a terminal uses its own width)
PIPE_WIDTH = 200
MISSING = "—"


def stdout():
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def stderr():
    return Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else PIPE_WIDTH)


def emit_json(data):
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def cell(value):
    if value is None or value == "":
        return Text(MISSING, style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, float):
        return Text(f"{value:g}" if value == int(value) else f"{value:.2f}")
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value) or MISSING)
    return Text(str(value))


#: ids are 32 characters: kept on one line, so that they can be copied
ID_WIDTH = 32


def table(title, headers, rows, caption=None):
    """``headers``: column names; a name ending in ``#`` is numeric (right-aligned, the ``#`` dropped);
    one ending in ``id`` holds ids, kept whole."""
    shown = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for header in headers:
        numeric, ids = header.endswith("#"), header.endswith("id")
        shown.add_column(header.rstrip("#"), justify="right" if numeric else "left", overflow="fold",
                         no_wrap=numeric or ids, min_width=ID_WIDTH if ids else None)
    for row in rows:
        shown.add_row(*(cell(value) for value in row))
    stdout().print(shown)


def fields(title, pairs):
    """A record as ``name  value`` lines under a title."""
    shown = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 2, 0, 0))
    shown.add_column(style="bold")
    shown.add_column(overflow="fold")
    for name, value in pairs:
        shown.add_row(name, cell(value))
    stdout().print(shown)


def note(message):
    stderr().print(Text(message))


def failure(error):
    """``Error: <kind>: <message>`` and the hint, on stderr."""
    console = stderr()
    console.print(Text(f"Error: {error.kind}: {error.message}", style="bold red"))
    if error.hint:
        console.print(Text(error.hint, style="yellow"))


def progress():
    return Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=stderr())


def moment(value, seconds=False):
    """An ISO-8601 time as ``YYYY-MM-DD HH:MM[:SS]`` in UTC (``None`` stays missing)."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))
