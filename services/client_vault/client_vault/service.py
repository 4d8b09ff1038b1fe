"""The client_vault service: customer PII, encrypted with keys only Vault holds.

Each method reads parse -> Vault (before any row is written) -> store -> dispatch. Who may call what
is in ``client_vault.permissions``; disclosures and the audit log (``client_vault.disclosure``), key
rotation (``client_vault.keys``) and bulk import (``client_vault.imports``) are parts of this class
kept in modules of their own.
"""
from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.entrypoints import rpc
from anchang_common.errors import NotFound, ValidationError
from anchang_common.events import Events
from anchang_common.gate import Auth
from anchang_common.types import new_id, utcnow
from client_vault import domain, schemas, views
from client_vault.crypto import Pii
from client_vault.disclosure import Disclosure
from client_vault.imports import Imports
from client_vault.keys import KeyRotation
from client_vault.permissions import PERMISSIONS
from client_vault.settings import ClientVaultSettings
from client_vault.storage import ClientStore


class Service(Disclosure, Imports, KeyRotation, ServiceBase, RevocationListener):
    name = "client_vault"

    permissions = PERMISSIONS

    store = ClientStore()
    pii = Pii()
    auth = Auth()
    events = Events()
    settings = ClientVaultSettings()

    @rpc
    def register_client(self, profile, idempotency_key=None):
        """A new client, or the existing one with this phone (``existing: true``), also when two
        registrations of one phone race: the unique blind index lets one insert, the other finds it."""
        profile = schemas.parse_profile(profile)
        [index] = self.pii.blind_indexes([profile.phone])
        existing = self.store.client_by_index(index)
        if existing is not None:
            return {"client_id": existing.client_id, "existing": True}
        client_id = new_id()
        ciphertexts = self.pii.encrypt_record(client_id, profile.pii())
        if not self.store.add_client(client_id, index, ciphertexts, profile, self._staff_id()):
            return {"client_id": self.store.client_by_index(index).client_id, "existing": True}
        self.events.dispatch("client_vault.client_registered", {"client_id": client_id, "source": profile.source})
        return {"client_id": client_id, "existing": False}

    @rpc
    def find_by_phone(self, phone):
        """The masked client with this phone. Only the candidate's phone is decrypted, to rule out an
        index collision."""
        e164 = schemas.normalise_phone(phone)
        if e164 is None:
            raise ValidationError({"phone": "must be a mainland China mobile number"})
        [index] = self.pii.blind_indexes([e164])
        client = self.store.client_by_index(index)
        if client is None or self.pii.decrypt_fields(
                client.client_id, {"phone": client.ciphertexts["phone"]})["phone"] != e164:
            raise NotFound("no client with this phone")
        return views.masked_view(client)

    @rpc
    def get_client(self, client_id):
        return views.masked_view(self.store.client(schemas.parse_id("client_id", client_id)))

    @rpc
    def update_client(self, client_id, changes):
        """Re-encrypts the changed fields (in one Vault call) and re-indexes a changed phone."""
        client_id = schemas.parse_id("client_id", client_id)
        pii, record = schemas.parse_changes(changes)
        client = self.store.client(client_id)
        index = self.pii.blind_indexes([pii["phone"]])[0] if "phone" in pii else None
        ciphertexts = self.pii.encrypt_record(client.client_id, pii) if pii else {}
        updated = self.store.update_client(client.client_id, ciphertexts, domain.mask_changes(pii), record, index)
        return views.masked_view(updated)

    @rpc
    def add_note(self, client_id, kind, text, idempotency_key=None):
        client_id = schemas.parse_id("client_id", client_id)
        kind, text = schemas.parse_note(kind, text)
        client = self.store.client(client_id)
        note_id = new_id()
        ciphertext = self.pii.encrypt_note(client.client_id, note_id, text)
        self.store.add_note(note_id, client.client_id, kind, ciphertext, self._staff_id())
        return {"note_id": note_id}

    @rpc
    def erase_client(self, client_id, reason):
        """PIPL erasure: ciphertexts, blind index, masked forms and notes go; the audit log keeps the act."""
        client_id = schemas.parse_id("client_id", client_id)
        reason = schemas.parse_erasure_reason(reason)
        self.store.erase(client_id)
        entry = self.store.append_audit(domain.AuditEntry(
            staff_id=self._staff_id(), role="admin", action=domain.ERASE, client_id=client_id,
            fields=(*domain.PII_FIELDS, "notes"), purpose=reason, outcome=domain.ALLOWED, reason=None,
            at=utcnow()))
        self.events.dispatch("client_vault.client_erased", {"client_id": client_id, "reason": reason})
        return {"client_id": client_id, "erased": True, "audit_entry": entry.seq}

    def _staff_id(self):
        principal = self.auth.principal
        return principal.staff_id if principal else None
