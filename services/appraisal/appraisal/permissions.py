"""Who may call each method of ``appraisal`` (rendered into docs/permissions.md)."""
from anchang_common.permissions import PermissionTable, allow

OWN_OR_SUPERVISOR = "a member reads their own scorecard; a supervisor (or admin) anyone's"
RATER = ("a supervisor rates another member; a member rates only themselves (self-assessment); "
         "nobody rates themselves as supervisor; a finalised cycle takes no rating")

PERMISSIONS = PermissionTable({
    "list_templates": allow(),
    "get_template": allow(),
    "create_template": allow("hr"),
    "open_cycle": allow("supervisor", "hr"),
    "get_cycle": allow(),
    "submit_rating": allow(notes=(RATER,)),
    "calibration": allow("supervisor", "hr"),
    "finalize_cycle": allow("supervisor", "hr"),
    "get_scorecard": allow(notes=(OWN_OR_SUPERVISOR,)),
})
