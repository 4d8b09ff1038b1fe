"""Who may call each method of ``client_vault`` (rendered into docs/permissions.md).

Disclosing plaintext (``reveal``, ``get_notes``, ``export_client``) is never an ``admin`` right by
that role alone. Any active member may *ask*: the method decides (``client_vault.disclosure``) and
audits every answer, so that an admin's, an hr's or an auditor's attempt is in the audit log and the
refused-reveals metric too, not only turned away at the gate."""
from anchang_common.permissions import PermissionTable, allow

PER_CLIENT = ("any member may ask; the method decides and audits: a `supervisor`, or an `agent` only while "
              "`ticket.has_open_assignment` says the client has an open ticket assigned to them; the member's "
              "information-security acknowledgment current; at most `REVEAL_LIMIT_PER_HOUR` distinct clients "
              "an hour; anyone else (`admin` included) is refused, and the refusal audited")
SUPERVISOR_ONLY = ("any member may ask; the method decides and audits: a `supervisor` only; the member's "
                   "information-security acknowledgment current; at most `REVEAL_LIMIT_PER_HOUR` distinct "
                   "clients an hour; anyone else (`admin` included) is refused, and the refusal audited")

PERMISSIONS = PermissionTable({
    "register_client": allow(),
    "find_by_phone": allow(),
    "get_client": allow(),
    "update_client": allow(),
    "add_note": allow(),
    "reveal": allow(notes=(PER_CLIENT,)),
    "get_notes": allow(notes=(PER_CLIENT,)),
    "export_client": allow(notes=(SUPERVISOR_ONLY,)),
    "import_clients": allow("supervisor"),
    "rotate_key": allow("admin"),
    "rewrap": allow("admin"),
    "erase_client": allow("admin"),
    "audit_log": allow("auditor"),
    "verify_audit_log": allow("auditor"),
})
