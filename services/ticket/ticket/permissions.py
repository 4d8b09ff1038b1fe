"""Who may call each method of ``ticket`` (rendered into docs/permissions.md)."""
from anchang_common.permissions import PermissionTable

PERMISSIONS = PermissionTable({})
