"""Who may call each method of ``client_vault`` (rendered into docs/permissions.md)."""
from anchang_common.permissions import PermissionTable

PERMISSIONS = PermissionTable({})
