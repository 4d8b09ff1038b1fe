"""Reading the tables ``anchang`` prints (Rich, Unicode or ASCII boxes) back into cells."""
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
