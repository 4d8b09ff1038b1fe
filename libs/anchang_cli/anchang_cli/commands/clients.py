"""``anchang client ...``: register, find and show clients (masked), reveal with a purpose, import a CSV."""
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from anchang_cli import clients_csv, output
from anchang_cli.commands.common import JsonOption, command, show, signed_in
from anchang_cli.contract import NoteKind, PiiField, Purpose
from anchang_cli.errors import BadInput

app = typer.Typer(help="Clients: register, find, show (masked), reveal (audited), notes, CSV import.",
                  no_args_is_help=True)
ClientId = Annotated[str, typer.Argument(help="The client id.")]
#: rows per import_clients call: the progress bar moves once per chunk
IMPORT_CHUNK = 250


def render_client(client):
    consent = client.get("consent") or {}
    output.fields(f"Client {client['client_id']} (masked)", [
        ("name", client["name"]), ("phone", client["phone"]), ("id number", client.get("id_number")),
        ("address", client.get("address")), ("source", client.get("source")),
        ("consent", f"{consent.get('purpose')} since {output.moment(consent.get('granted_at'))} UTC"
         if consent else None),
        ("registered", f"{output.moment(client.get('created_at'))} UTC")])


@command(app, "register")
def register(
    name: Annotated[str, typer.Option(prompt=True, help="The client's name.")],
    phone: Annotated[str, typer.Option(prompt=True, help="A mainland mobile number, as people write it.")],
    consent: Annotated[str, typer.Option(help="The purpose the client consented to, a code.")] = "customer_service",
    source: Annotated[str, typer.Option(help="Where the client came from, a code (walk_in, hotline, ...).")]
    = "walk_in",
    id_number: Annotated[str | None, typer.Option(help="Resident ID number (18 characters).")] = None,
    address: Annotated[str | None, typer.Option(help="Address.")] = None,
    as_json: JsonOption = False,
):
    """Register a client (an existing phone number returns that client)."""
    profile = {"name": name, "phone": phone, "source": source,
               "consent": {"purpose": consent, "granted_at": datetime.now(UTC).isoformat(timespec="seconds")}}
    profile |= {k: v for k, v in (("id_number", id_number), ("address", address)) if v}
    with signed_in() as door:
        reply = door.call("client_vault", "register_client", profile)
    show(reply, as_json, lambda r: output.note(
        f"{'Already registered' if r['existing'] else 'Registered'}: client {r['client_id']}"))


@command(app, "find")
def find(phone: Annotated[str, typer.Argument(help="The client's mobile number.")], as_json: JsonOption = False):
    """Find a client by phone number (masked view)."""
    with signed_in() as door:
        client = door.call("client_vault", "find_by_phone", phone)
    show(client, as_json, render_client)


@command(app, "show")
def show_client(client_id: ClientId, as_json: JsonOption = False):
    """A client's masked view."""
    with signed_in() as door:
        client = door.call("client_vault", "get_client", client_id)
    show(client, as_json, render_client)


@command(app, "reveal")
def reveal(
    client_id: ClientId,
    purpose: Annotated[Purpose, typer.Option(prompt="Purpose", help="Why you need to see it (audited).")],
    field: Annotated[list[PiiField] | None, typer.Option("--field", "-f", help="A field to reveal (repeatable); "
                                                         "default name and phone.")] = None,
    as_json: JsonOption = False,
):
    """Show a client's fields in plaintext: supervisors, or the agent holding an open ticket of the
    client; every reveal, allowed or refused, is audited with its purpose."""
    fields = [str(f) for f in field] if field else ["name", "phone"]
    with signed_in() as door:
        revealed = door.call("client_vault", "reveal", client_id, fields, purpose)
    show(revealed, as_json, lambda r: output.fields(f"Client {client_id} (revealed for {purpose})",
                                                    list(r.items())))


@command(app, "note")
def note(client_id: ClientId, kind: Annotated[NoteKind, typer.Argument(help="The kind of note.")],
         text: Annotated[str, typer.Argument(help="The note (kept encrypted).")], as_json: JsonOption = False):
    """Add a note (feedback, complaint, ...) to a client's record."""
    with signed_in() as door:
        reply = door.call("client_vault", "add_note", client_id, kind, text)
    show(reply, as_json, lambda r: output.note(f"Note {r['note_id']} added."))


@command(app, "import")
def import_clients(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="A CSV file: name, phone[, id_number, address, source, "
                                              "consent_purpose, consent_granted_at].")],
    consent: Annotated[str | None, typer.Option(help="Consent purpose of rows that give none (a code).")] = None,
    source: Annotated[str, typer.Option(help="Source of rows that give none (a code).")] = "import",
    as_json: JsonOption = False,
):
    """Import clients from a CSV file (supervisors), with a progress bar and a report of the rejected
    rows by line. A phone already registered is not registered twice."""
    text = file.read_text(encoding="utf-8-sig")
    rows = clients_csv.read(text, source=source, consent_purpose=consent)
    if not rows:
        raise BadInput(f"{file} has no rows")
    with signed_in() as door:
        report = run_import(door, rows)
    show(report, as_json, render_import)


def run_import(door, rows, progress=None):
    """Import ``[(line, profile)]`` in chunks; ``{rows, created, existing, rejected: [{line, reasons}]}``.
    A phone already registered counts as existing, so importing a file again creates nobody twice."""
    report = {"rows": len(rows), "created": 0, "existing": 0, "rejected": []}
    with output.progress() if progress is None else nullcontext(progress) as bar:
        task = bar.add_task("Importing clients", total=len(rows))
        for chunk in clients_csv.chunks(rows, IMPORT_CHUNK):
            reply = door.call("client_vault", "import_clients", [profile for _, profile in chunk])
            report["created"] += reply["created"]
            report["existing"] += reply["existing"]
            report["rejected"] += [{"line": chunk[r["row"]][0], "reasons": r["reasons"]} for r in reply["rejected"]]
            bar.advance(task, len(chunk))
    return report


def render_import(report):
    output.fields("Import", [("rows", report["rows"]), ("created", report["created"]),
                             ("already registered", report["existing"]), ("rejected", len(report["rejected"]))])
    if report["rejected"]:
        output.table("Rejected rows (fix them and import the file again)", ["line#", "field", "problem"], [
            (r["line"], field, problem) for r in report["rejected"] for field, problem in sorted(r["reasons"].items())])
