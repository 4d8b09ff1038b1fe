"""Who may call each method of ``staff`` (rendered into docs/permissions.md)."""
from anchang_common.errors import Forbidden
from anchang_common.permissions import PUBLIC, PermissionTable, Rule, allow, services_only
from staff import domain


def _roles_argument(arguments):
    roles = arguments.get("roles")
    return {r for r in roles if isinstance(r, str)} if isinstance(roles, (list, tuple)) else set()


def _grants_only_what_caller_may_grant(caller, arguments):
    refused = domain.roles_not_grantable(caller.principal.roles, _roles_argument(arguments))
    if refused:
        raise Forbidden(f"roles {', '.join(sorted(refused))} may be granted by an admin only")


def _raises_no_own_rights(caller, arguments):
    if arguments.get("staff_id") == caller.staff_id and domain.roles_raised(
            caller.principal.roles, _roles_argument(arguments)):
        raise Forbidden("nobody may raise their own rights")


GRANTABLE = Rule("`hr` grants `agent` only; `supervisor` (who may reveal customer PII), `hr`, `auditor`, "
                 "`admin` by an admin alone",
                 _grants_only_what_caller_may_grant)
NOT_OWN_RIGHTS = Rule("nobody raises their own rights", _raises_no_own_rights)
LAST_ADMIN = "the last active admin keeps `admin` and stays active"

PERMISSIONS = PermissionTable({
    "login": PUBLIC,
    "get_staff": allow(),
    "list_staff": allow(),
    "set_roles": allow("admin", rules=(NOT_OWN_RIGHTS,), notes=(LAST_ADMIN,)),
    "set_status": allow("admin", notes=(LAST_ADMIN,)),
    "available_agents": allow("supervisor", services=("ticket",)),
    "token_versions": services_only("client_vault", "ticket", "appraisal"),
    "create_position": allow("hr"),
    "get_position": allow(),
    "apply": allow("hr"),
    "record_assessment": allow("hr", "supervisor"),
    "decide": allow("hr", "supervisor"),
    "hire": allow("hr", rules=(GRANTABLE,)),
    "complete_training": allow("hr", "supervisor"),
    "add_certificate": allow("hr"),
    "scan_certificates": allow("admin"),
    "scan_security_acknowledgments": allow("admin"),
    "change_password": allow(onboarding=True, before_password_change=True),
    "logout": allow(onboarding=True, before_password_change=True),
    "reset_password": allow("admin"),
    "revoke_all_tokens": allow("admin"),
    "acknowledge_security_rules": allow(onboarding=True),
})
