"""Disclosing a client's plaintext to a member (``reveal``, ``get_notes``, ``export_client``) and the
audit log that records every such act: a part of the client_vault service class.

The permission table lets supervisors and agents in (never ``admin`` by that role alone); the rules
per client are decided here (``domain.refusal_reason``) from what staff says of the member's
security acknowledgment, what ticket says of the member's assignments, and the audit log's count of
clients shown to the member in the last hour.

A refused disclosure raises, and the unit of work rolls back whatever a raising method wrote. So a
refusal is audited, and its anomaly event dispatched, then ``unit_of_work.commit()`` commits that
entry (and publishes the event) before the refusal is raised: the caller gets the error, the audit
keeps the act. Nothing else is written before a refusal, so nothing else is committed early.
"""
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from anchang_common.calls import ServiceRpc
from anchang_common.entrypoints import rpc
from anchang_common.errors import DependencyUnavailable, Forbidden
from anchang_common.metrics import PII_REVEAL_ANOMALIES, PII_REVEALS
from anchang_common.types import utcnow
from client_vault import crypto, domain, schemas, views

REFUSALS = {
    domain.NO_ROLE: "only a supervisor, or the agent assigned to an open ticket of this client, may see it",
    domain.ACKNOWLEDGMENT_NOT_CURRENT: "the information-security rules must be acknowledged first",
    domain.NO_OPEN_ASSIGNMENT: "no open ticket of this client is assigned to the caller",
    domain.LIMIT_EXCEEDED: "the hourly limit of clients shown is reached; a supervisor has been told",
}


def ask(call):
    """``call()`` to another service; its being down or unknown is ``DependencyUnavailable``."""
    try:
        return call()
    except (UnknownService, RpcTimeout) as error:
        raise DependencyUnavailable("a service this call needs is unavailable") from error
    except RemoteError as error:
        if error.exc_type == "DependencyUnavailable":
            raise DependencyUnavailable("a service this call needs is unavailable") from error
        raise


class Disclosure:
    """Mixed into ``client_vault.service.Service``; needs its ``store``, ``pii``, ``auth``, ``events``,
    ``settings`` and ``unit_of_work``."""

    staff_rpc = ServiceRpc("staff")
    ticket_rpc = ServiceRpc("ticket")

    @rpc
    def reveal(self, client_id, fields, purpose):
        client_id, fields, purpose = schemas.parse_reveal(client_id, fields, purpose)
        client = self._admit(domain.REVEAL, client_id, fields, purpose)
        present = {f: client.ciphertexts[f] for f in fields if f in client.ciphertexts}
        plaintext = self.pii.decrypt_fields(client.client_id, present)
        self._allowed(domain.REVEAL, client.client_id, fields, purpose)
        return {field: plaintext.get(field) for field in fields}

    @rpc
    def get_notes(self, client_id, purpose):
        client_id = schemas.parse_id("client_id", client_id)
        purpose = schemas.parse_purpose(purpose)
        client = self._admit(domain.NOTES, client_id, ("notes",), purpose)
        notes = self._note_views(client.client_id)
        self._allowed(domain.NOTES, client.client_id, ("notes",), purpose)
        return notes

    @rpc
    def export_client(self, client_id, purpose):
        """The whole record in plaintext, for the client's own access request (PIPL)."""
        client_id = schemas.parse_id("client_id", client_id)
        purpose = schemas.parse_purpose(purpose)
        fields = (*domain.PII_FIELDS, "notes")
        client = self._admit(domain.EXPORT, client_id, fields, purpose, supervisor_only=True)
        plaintext = self.pii.decrypt_fields(client.client_id, client.ciphertexts)
        notes = self._note_views(client.client_id)
        self._allowed(domain.EXPORT, client.client_id, fields, purpose)
        return views.export_view(client, plaintext, notes)

    @rpc
    def audit_log(self, client_id=None, staff_id=None, since=None):
        entries = self.store.audit_entries(schemas.parse_optional_id("client_id", client_id),
                                           schemas.parse_optional_id("staff_id", staff_id),
                                           schemas.parse_since(since))
        return [views.audit_entry_view(entry) for entry in entries]

    @rpc
    def verify_audit_log(self):
        return views.chain_report_view(domain.verify_chain(*self.store.audit_chain()))

    # -- the rules -------------------------------------------------------------------------------
    def _admit(self, action, client_id, fields, purpose, supervisor_only=False):
        """The client, when the caller may be shown it; otherwise the refusal is audited, committed
        and raised (``Forbidden``, or ``DependencyUnavailable`` when staff or ticket cannot say)."""
        client = self.store.client(client_id)
        principal = self.auth.principal
        role = domain.reveal_role(principal.roles)
        try:
            facts = self._facts(principal.staff_id, role, client.client_id, supervisor_only)
        except DependencyUnavailable:
            self._refuse(action, client.client_id, fields, purpose, role, domain.DEPENDENCY_UNAVAILABLE)
            raise
        reason = domain.refusal_reason(facts, client.client_id, self.settings.reveal_limit_per_hour,
                                       supervisor_only)
        if reason is not None:
            self._refuse(action, client.client_id, fields, purpose, role, reason)
            raise Forbidden(REFUSALS[reason])
        return client

    def _facts(self, staff_id, role, client_id, supervisor_only):
        if role is None or (supervisor_only and role != "supervisor"):
            return domain.AccessFacts(role=role, acknowledgment_current=False)
        member = ask(lambda: self.staff_rpc.get_staff(staff_id))
        current = bool((member.get("security_acknowledgment") or {}).get("current"))
        assigned = None
        if role == "agent" and current:
            assigned = ask(lambda: self.ticket_rpc.has_open_assignment(staff_id, client_id)) is True
        shown = self.store.clients_disclosed_since(staff_id, utcnow() - domain.REVEAL_WINDOW)
        return domain.AccessFacts(role=role, acknowledgment_current=current, open_assignment=assigned,
                                  clients_in_window=shown)

    def _audit(self, action, client_id, fields, purpose, role, outcome, reason=None):
        return self.store.append_audit(domain.AuditEntry(
            staff_id=self.auth.principal.staff_id, role=role, action=action, client_id=client_id,
            fields=tuple(fields), purpose=purpose, outcome=outcome, reason=reason, at=utcnow()))

    def _allowed(self, action, client_id, fields, purpose):
        role = domain.reveal_role(self.auth.principal.roles)
        self._audit(action, client_id, fields, purpose, role, domain.ALLOWED)
        PII_REVEALS.labels(domain.ALLOWED, role).inc()

    def _refuse(self, action, client_id, fields, purpose, role, reason):
        """Audit the refusal and commit it; the first limit refusal of a member in a window also
        dispatches ``client_vault.reveal_anomaly`` (appends are serialised, so exactly one is first)."""
        entry = self._audit(action, client_id, fields, purpose, role, domain.REFUSED, reason)
        if reason == domain.LIMIT_EXCEEDED and self.store.limit_refusals_since(
                entry.staff_id, entry.at - domain.REVEAL_WINDOW) == 1:
            self.events.dispatch("client_vault.reveal_anomaly", {
                "staff_id": entry.staff_id, "reveals": self.settings.reveal_limit_per_hour,
                "window_minutes": int(domain.REVEAL_WINDOW.total_seconds() // 60), "client_id": client_id,
                "audit_entry": entry.seq})
            PII_REVEAL_ANOMALIES.inc()
        PII_REVEALS.labels(domain.REFUSED, role or "none").inc()
        self.unit_of_work.commit()

    def _note_views(self, client_id):
        notes = self.store.notes(client_id)
        texts = self.pii.decrypt([(n.ciphertext, crypto.note_context(client_id, n.note_id)) for n in notes])
        return [views.note_view(note, text) for note, text in zip(notes, texts, strict=True)]
