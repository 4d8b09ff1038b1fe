"""Who may call each method of ``appraisal`` (rendered into docs/permissions.md)."""
from anchang_common.permissions import PermissionTable, allow

PERMISSIONS = PermissionTable({
    "list_templates": allow(),
    "get_template": allow(),
})
