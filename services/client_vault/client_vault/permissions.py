"""Who may call each method of ``client_vault`` (rendered into docs/permissions.md).

Disclosing plaintext (``reveal``, ``get_notes``, ``export_client``) is never an ``admin`` right by
that role alone; the per-client rules need the data and other services' answers, so the method
enforces them (``client_vault.disclosure``) and audits every refusal."""
from anchang_common.permissions import PermissionTable, allow

PER_CLIENT = ("an agent only while `ticket.has_open_assignment` says the client has an open ticket assigned "
              "to them; the member's information-security acknowledgment current; at most "
              "`REVEAL_LIMIT_PER_HOUR` distinct clients an hour")
SUPERVISOR_ONLY = ("the member's information-security acknowledgment current; at most `REVEAL_LIMIT_PER_HOUR` "
                   "distinct clients an hour")

PERMISSIONS = PermissionTable({
    "register_client": allow(),
    "find_by_phone": allow(),
    "get_client": allow(),
    "update_client": allow(),
    "add_note": allow(),
    "reveal": allow("supervisor", "agent", admin_inherits=False, notes=(PER_CLIENT,)),
    "get_notes": allow("supervisor", "agent", admin_inherits=False, notes=(PER_CLIENT,)),
    "export_client": allow("supervisor", admin_inherits=False, notes=(SUPERVISOR_ONLY,)),
    "import_clients": allow("supervisor"),
    "rotate_key": allow("admin"),
    "rewrap": allow("admin"),
    "erase_client": allow("admin"),
    "audit_log": allow("auditor"),
    "verify_audit_log": allow("auditor"),
})
