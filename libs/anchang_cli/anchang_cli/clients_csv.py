"""Client rows from a CSV file, for ``client import`` and the demo (pure: no calls).

Columns (a header line first, UTF-8, Excel's byte-order mark accepted): ``name``, ``phone`` required;
``id_number``, ``address``, ``source``, ``consent_purpose``, ``consent_granted_at`` optional, the last
three defaulting to the command's options. Each row becomes a ``client_vault`` profile; the service
validates the values and reports bad rows, which are named here by their line in the file."""
import csv
import io
from datetime import UTC, datetime

from anchang_cli.errors import BadInput

REQUIRED = ("name", "phone")
OPTIONAL = ("id_number", "address", "source", "consent_purpose", "consent_granted_at")
COLUMNS = REQUIRED + OPTIONAL


def read(text, source="import", consent_purpose=None, consent_granted_at=None):
    """``[(line, profile)]`` from the CSV ``text``; ``BadInput`` naming a missing or unknown column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problems = [f"missing column {name}" for name in missing] + [f"unknown column {name!r}" for name in unknown]
        raise BadInput(f"{'; '.join(problems)} (columns: {', '.join(COLUMNS)})")
    reader.fieldnames = header
    granted_at = consent_granted_at or datetime.now(UTC).isoformat(timespec="seconds")
    rows = []
    for record in reader:
        values = {name: (value or "").strip() for name, value in record.items() if name is not None}
        profile = {"name": values.get("name", ""), "phone": values.get("phone", ""),
                   "source": values.get("source") or source,
                   "consent": {"purpose": values.get("consent_purpose") or consent_purpose,
                               "granted_at": values.get("consent_granted_at") or granted_at}}
        for name in ("id_number", "address"):
            if values.get(name):
                profile[name] = values[name]
        rows.append((reader.line_num, profile))
    return rows


def write(profiles):
    """The CSV text of ``profiles`` (what ``read`` reads back)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in profiles:
        writer.writerow([p["name"], p["phone"], p.get("id_number", ""), p.get("address", ""), p.get("source", ""),
                         p.get("consent", {}).get("purpose", ""), p.get("consent", {}).get("granted_at", "")])
    return buffer.getvalue()


def chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]

