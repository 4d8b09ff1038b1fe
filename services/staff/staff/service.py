"""The staff service: recruitment, assessment, hiring, onboarding training, certificates, accounts.

Each method reads parse -> decide (``domain``, on domain objects) -> store (``storage``) -> dispatch.
Who may call what is in ``staff.permissions``. Recruitment (``staff.recruitment``) and the agents'
load (``staff.agent_load``) are parts of this class, kept in modules of their own.
"""

from nameko.timer import timer

from anchang_common.base import ServiceBase
from anchang_common.entrypoints import rpc, transactional
from anchang_common.errors import Conflict, Unauthenticated
from anchang_common.events import Events
from anchang_common.gate import Auth
from anchang_common.types import utc_today, utcnow
from staff import accounts, domain, scans, schemas, views
from staff.agent_load import AgentLoad
from staff.passwords import hash_password, one_time_password
from staff.permissions import PERMISSIONS
from staff.recruitment import Recruitment
from staff.settings import StaffSettings
from staff.storage import StaffStore

DAILY_SECONDS = 24 * 3600


class Service(Recruitment, AgentLoad, ServiceBase):
    name = "staff"

    permissions = PERMISSIONS
    #: staff's own ``token_versions`` table is the source every other service asks
    token_versions_authoritative = True

    store = StaffStore()
    auth = Auth()
    events = Events()
    settings = StaffSettings()

    # -- accounts ---------------------------------------------------------------------------
    @rpc(sensitive_arguments=("password",))
    def login(self, username, password):
        username, password = schemas.parse_credentials(username, password)
        member = accounts.verified(self.store, self.settings.lockout, password, username=username)
        if member.status not in ("onboarding", "active"):
            raise Unauthenticated(f"account is {member.status}")
        return accounts.open_session(self.auth, member)

    @rpc(sensitive_arguments=("old_password", "new_password"))
    def change_password(self, old_password, new_password):
        """Replace the caller's password; every token of theirs issued before stops working (a fresh
        one is returned), and a one-time password is one no more."""
        principal = self.auth.principal
        old, new = schemas.parse_password_change(old_password, new_password, principal.username)
        member = accounts.verified(self.store, self.settings.lockout, old, staff_id=principal.staff_id)
        self.store.update_member(member.staff_id, password_hash=hash_password(new), must_change_password=False)
        return accounts.open_session(self.auth, self._revoke_tokens(member.staff_id))

    @rpc
    def logout(self):
        """End the caller's sessions: every token of the member (on every device) stops working."""
        self._revoke_tokens(self.auth.principal.staff_id)
        return {"logged_out": True}

    @rpc
    def revoke_all_tokens(self):
        """Incident response: every token issued before now stops working, for every member."""
        members = self.store.bump_every_token_version()
        for member in members:
            self.events.dispatch("staff.changed", views.changed_event(member))
        return {"revoked": len(members)}

    @rpc
    def reset_password(self, staff_id):
        staff_id = self.store.member(schemas.parse_id("staff_id", staff_id), details=False).staff_id
        password = one_time_password()
        self.store.update_member(staff_id, password_hash=hash_password(password), must_change_password=True)
        self.store.clear_login_failures(staff_id)
        self._revoke_tokens(staff_id)
        return {"one_time_password": password}

    @rpc
    def get_staff(self, staff_id):
        return self._view(self.store.member(schemas.parse_id("staff_id", staff_id)))

    @rpc
    def list_staff(self, status=None, role=None, skill=None):
        status = schemas.parse_status(status) if status is not None else None
        role = schemas.parse_roles([role])[0] if role is not None else None
        skill = schemas.parse_category(skill) if skill is not None else None
        return [self._view(m) for m in self.store.members(status)
                if (role is None or role in m.roles) and (skill is None or skill in m.skills)]

    @rpc
    def set_roles(self, staff_id, roles):
        roles = schemas.parse_roles(roles)
        member = self.store.member(schemas.parse_id("staff_id", staff_id), details=False)
        self._check_admin_remains(member.staff_id, roles, member.status)
        self.store.update_member(member.staff_id, roles=list(roles))
        self._revoke_tokens(member.staff_id)
        return self._view(self.store.member(member.staff_id))

    @rpc
    def set_status(self, staff_id, status):
        status = schemas.parse_status(status)
        member = self.store.member(schemas.parse_id("staff_id", staff_id))
        if member.staff_id == self.auth.principal.staff_id and status != "active":
            raise Conflict("an administrator cannot suspend or remove their own account")
        days = self.settings.security_acknowledgment_days
        if status == "active" and not member.may_become_active(utc_today(), days):
            raise Conflict("a member becomes active once onboarding is finished: every module passed "
                           "and the security rules acknowledged")
        self._check_admin_remains(member.staff_id, member.roles, status)
        finishes_onboarding = member.onboarded_at is None and status == "active"
        self.store.update_member(member.staff_id, status=status,
                                 **({"onboarded_at": utcnow()} if finishes_onboarding else {}))
        self._revoke_tokens(member.staff_id)
        if finishes_onboarding:
            self.events.dispatch("staff.activated", {"staff_id": member.staff_id})
        return self._view(self.store.member(member.staff_id))

    def _check_admin_remains(self, staff_id, roles, status):
        try:
            domain.check_admin_remains(self.store.active_admin_ids(), staff_id, roles, status)
        except ValueError as error:
            raise Conflict(str(error)) from None

    def _revoke_tokens(self, staff_id):
        """Every token of the member issued before now stops working, here and (through the event)
        everywhere. Returns the member as now stored."""
        member = self.store.bump_token_version(staff_id)
        self.events.dispatch("staff.changed", views.changed_event(member))
        return member

    @rpc
    def token_versions(self, staff_ids):
        """``{staff_id: current token version}`` of the members staff knows (for the other services)."""
        return self.store.token_versions(schemas.parse_id_list("staff_ids", staff_ids))

    # -- onboarding, security rules and certificates -------------------------------------
    @rpc
    def complete_training(self, staff_id, module_code, score):
        module_code, score = schemas.parse_training(module_code, score)
        member = self.store.member(schemas.parse_id("staff_id", staff_id), details=False)
        if member.status in ("suspended", "left"):
            raise Conflict(f"staff member is {member.status}")
        pass_mark = self.settings.training_pass_mark
        passed = domain.training_passed(score, pass_mark)
        self.store.add_training(member.staff_id, domain.TrainingRecord(
            module_code, score, pass_mark, passed, utcnow()))
        member = self._activate_if_ready(member.staff_id)
        return {"module_code": module_code, "passed": passed, "status": member.status,
                "remaining_modules": [m for m in domain.TRAINING_MODULES if m not in member.passed_modules]}

    @rpc
    def acknowledge_security_rules(self):
        """The caller acknowledges the information-security rules (renewed every configured days)."""
        staff_id = self.auth.principal.staff_id
        self.store.update_member(staff_id, security_acknowledged_at=utcnow(), security_lapse_notified_at=None)
        member = self._activate_if_ready(staff_id)
        acknowledgment = member.acknowledgment(utc_today(), self.settings.security_acknowledgment_days)
        self.events.dispatch("staff.security_acknowledged", {
            "staff_id": staff_id, "expires_on": acknowledgment.expires_on.isoformat()})
        return views.acknowledgment_view(acknowledgment) | {"status": member.status}

    def _activate_if_ready(self, staff_id):
        """An onboarding member who passed every module and acknowledged the rules becomes active."""
        member = self.store.member(staff_id)
        if not member.ready_to_activate(utc_today(), self.settings.security_acknowledgment_days):
            return member
        self.store.update_member(staff_id, status="active", onboarded_at=utcnow())
        self._revoke_tokens(staff_id)  # onboarding tokens carry the old status
        self.events.dispatch("staff.activated", {"staff_id": staff_id})
        return self.store.member(staff_id)

    def _view(self, member):
        days = self.settings.security_acknowledgment_days
        return views.member_view(member, member.acknowledgment(utc_today(), days))

    @rpc
    def add_certificate(self, staff_id, certificate):
        certificate = schemas.parse_certificate(certificate)
        member = self.store.member(schemas.parse_id("staff_id", staff_id), details=False)
        self.store.add_certificate(member.staff_id, certificate)
        return self._view(self.store.member(member.staff_id))

    @timer(interval=DAILY_SECONDS)
    @transactional
    def daily_scans_timer(self):
        self._announce(scans.expiring_certificates(self.store, utc_today()))
        self._announce(scans.lapsed_acknowledgments(self.store, utc_today(), self.settings))

    @rpc
    def scan_certificates(self, today=None):
        """Run the daily certificate scan now (operations; ``today`` lets a drill pick the date)."""
        return self._announce(scans.expiring_certificates(self.store, schemas.parse_day("today", today)))

    @rpc
    def scan_security_acknowledgments(self, today=None):
        """Run the daily scan of lapsed security acknowledgments now; each lapse is announced once."""
        today = schemas.parse_day("today", today)
        return self._announce(scans.lapsed_acknowledgments(self.store, today, self.settings))

    def _announce(self, found):
        event_type, payloads = found
        for data in payloads:
            self.events.dispatch(event_type, data)
        return {"notified": len(payloads)}
