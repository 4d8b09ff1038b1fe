"""Who may call what: one permission table per service, next to its service class.

A table maps every RPC method of a service to a ``Permission``: the staff roles and the service
identities that may call it, and the rules on its arguments (who may grant which role, ...). The
entrypoint checks the table before the method runs (``gate.Gate``); a method without an entry stops
the service at start-up. ``docs/permissions.md`` is rendered from the tables
(``python -m anchang_common.permissions``) and a test keeps it current.

Everything here is pure: ``authorize`` decides from the verified caller and the bound arguments.
"""
import sys
from dataclasses import dataclass, field

from anchang_common.errors import Forbidden, Unauthenticated

#: the staff roles, in the order they are shown
ROLES = ("agent", "supervisor", "hr", "auditor", "admin")
#: account states; only ``active`` members may call most methods
STATUSES = ("onboarding", "active", "suspended", "left")
SERVICES = ("staff", "client_vault", "ticket", "appraisal")
#: ``admin`` holds every other role's rights, except where a permission says ``admin_inherits=False``
ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """Who is calling, verified: a staff member (``principal``), a service identity, or both (a
    service calling on behalf of a member)."""

    principal: object = None  # auth.Principal
    service: str | None = None

    @property
    def staff_id(self):
        return self.principal.staff_id if self.principal else None

    @property
    def identity(self):
        """A stable name of the caller, e.g. for idempotency keys: ``staff:<id>`` or ``service:<name>``."""
        return f"staff:{self.principal.staff_id}" if self.principal else f"service:{self.service}"


@dataclass(frozen=True)
class Rule:
    """A rule on a call's arguments: ``check(caller, arguments)`` raises ``Forbidden``."""

    description: str
    check: object

    def __call__(self, caller, arguments):
        self.check(caller, arguments)


@dataclass(frozen=True)
class Permission:
    public: bool = False
    any_staff: bool = False
    roles: tuple = ()
    services: tuple = ()
    #: onboarding members may call it too (their own training, password change)
    onboarding: bool = False
    #: may be called while the member must still change a one-time password
    before_password_change: bool = False
    admin_inherits: bool = True
    rules: tuple = field(default=())
    #: rules that need the service's data, enforced by the method itself (shown in the docs)
    notes: tuple = field(default=())

    def describe_callers(self):
        if self.public:
            return "anyone (no token)"
        who = []
        if self.any_staff:
            who.append("any active member" + (" or onboarding member" if self.onboarding else ""))
        elif self.roles:
            roles = list(self.roles) + ([ADMIN] if self.admin_inherits and ADMIN not in self.roles else [])
            who.append(", ".join(f"`{r}`" for r in roles))
        who.extend(f"service `{s}`" for s in self.services)
        return "; ".join(who) or "nobody"


PUBLIC = Permission(public=True)


def allow(*roles, services=(), onboarding=False, before_password_change=False, admin_inherits=True,
          rules=(), notes=()):
    """A permission for ``roles`` (none given: any active staff member) and ``services``."""
    unknown = [r for r in roles if r not in ROLES] + [s for s in services if s not in SERVICES]
    if unknown:
        raise ValueError(f"unknown roles or services {unknown}")
    return Permission(any_staff=not roles and not services, roles=tuple(roles), services=tuple(services),
                      onboarding=onboarding, before_password_change=before_password_change,
                      admin_inherits=admin_inherits, rules=tuple(rules), notes=tuple(notes))


def services_only(*services):
    """A permission for service identities alone: no staff member may call it directly."""
    return allow(services=services)


class PermissionTable(dict):
    """``{method name: Permission}`` of one service."""

    def check_covers(self, service_name, rpc_methods):
        """Raise (at start-up) when a served method has no entry, or an entry names no method."""
        missing = sorted(f"{service_name}.{name}" for name in set(rpc_methods) - set(self))
        extra = sorted(f"{service_name}.{name}" for name in set(self) - set(rpc_methods))
        if missing or extra:
            raise RuntimeError(f"permission table: no entry for {missing}; entries without a method {extra}")


def authorize(permission, caller, arguments):
    """Nothing when ``caller`` may make this call; ``Unauthenticated`` or ``Forbidden`` otherwise."""
    if permission.public:
        return
    if caller.service is not None and caller.service in permission.services:
        _check_rules(permission, caller, arguments)
        return
    principal = caller.principal
    if principal is None:
        if caller.service is not None:
            raise Forbidden("not permitted")
        raise Unauthenticated("missing bearer token")
    if not (permission.any_staff or permission.roles):
        raise Forbidden("not permitted")
    allowed_states = ("active", "onboarding") if permission.onboarding else ("active",)
    if principal.status not in allowed_states:
        raise Forbidden("account is not active")
    if principal.must_change_password and not permission.before_password_change:
        raise Forbidden("the one-time password must be changed first (change_password)")
    if permission.roles and not principal.has_any(permission.roles, permission.admin_inherits):
        raise Forbidden("not permitted")
    _check_rules(permission, caller, arguments)


def _check_rules(permission, caller, arguments):
    for rule in permission.rules:
        rule(caller, arguments)


def render_markdown(tables):
    """The permission tables as Markdown: ``tables`` is ``{service: PermissionTable}``."""
    lines = ["# Permissions", "",
             "Generated from each service's permission table (`<service>/permissions.py`) by",
             "`python -m anchang_common.permissions`; a test fails when this file is stale.", "",
             "`admin` holds every role's rights unless a row says otherwise. Service identities are",
             "Vault identity tokens carried in the context key `service_authorization`.", ""]
    for service, table in tables.items():
        lines += [f"## {service}", ""]
        if not table:
            lines += ["No RPC method served yet.", ""]
            continue
        lines += ["| method | who may call it | argument rules |", "|---|---|---|"]
        for method in sorted(table):
            permission = table[method]
            who = permission.describe_callers()
            if not permission.admin_inherits and permission.roles:
                who += " (not `admin` by that role alone)"
            if permission.before_password_change:
                who += "; also before a one-time password is changed"
            rules = "; ".join([rule.description for rule in permission.rules]
                              + [f"{note} (checked against the data)" for note in permission.notes]) or "—"
            lines.append(f"| `{method}` | {who} | {rules} |")
        lines.append("")
    return "\n".join(lines)


def load_tables():
    import importlib

    tables = {}
    for service in SERVICES:
        module = importlib.import_module(f"{service}.permissions")
        tables[service] = module.PERMISSIONS
    return tables


if __name__ == "__main__":  # pragma: no cover - writes docs/permissions.md
    sys.stdout.write(render_markdown(load_tables()))
