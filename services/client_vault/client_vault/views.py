"""What the client_vault RPC methods return: plain JSON. Masked views are made from the masked forms
stored at write time; plaintext appears only in the replies of reveal, get_notes and export_client."""


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def masked_view(client):
    """``{client_id, name, phone, id_number, address, source, consent, created_at}``, masked."""
    masked = client.masked
    return {"client_id": client.client_id, "name": masked.get("name"), "phone": masked.get("phone"),
            "id_number": masked.get("id_number"), "address": masked.get("address"), "source": client.source,
            "consent": consent_view(client), "created_at": _iso(client.created_at)}


def consent_view(client):
    return {"purpose": client.consent_purpose, "granted_at": _iso(client.consent_granted_at)}


def note_view(note, text):
    return {"note_id": note.note_id, "kind": note.kind, "text": text, "created_by": note.created_by,
            "created_at": _iso(note.created_at)}


def export_view(client, plaintext, notes):
    """The client's whole record in plaintext (``export_client``)."""
    return {"client_id": client.client_id, "name": plaintext.get("name"), "phone": plaintext.get("phone"),
            "id_number": plaintext.get("id_number"), "address": plaintext.get("address"),
            "source": client.source, "consent": consent_view(client), "created_at": _iso(client.created_at),
            "notes": notes}


def audit_entry_view(entry):
    return {"entry": entry.seq, "at": _iso(entry.at), "staff_id": entry.staff_id, "role": entry.role,
            "action": entry.action, "client_id": entry.client_id, "fields": list(entry.fields),
            "purpose": entry.purpose, "outcome": entry.outcome, "reason": entry.reason,
            "previous_hash": entry.previous_hash, "hash": entry.hash}


def chain_report_view(report):
    return {"entries": report.entries, "valid": report.valid, "first_broken_entry": report.first_broken_entry}
