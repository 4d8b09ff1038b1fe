"""The published contract of ``client_vault``: a JSON Schema of every RPC method's arguments and result,
and of every event's ``data`` (``anchang_common.contract``; docs/contract/client_vault.md says it in
words). Every field holding a client's data in plaintext is marked ``x-pii``."""
from anchang_common.contract import (
    BOOLEAN,
    ID,
    IDEMPOTENCY,
    RETURNED_ID,
    UTC_INSTANT,
    MethodContract,
    array,
    enum,
    integer,
    mapping,
    nullable,
    number,
    obj,
    params,
    pii,
    string,
    text,
)

PII_FIELDS = ("name", "phone", "id_number", "address")
NOTE_KINDS = ("feedback", "complaint", "ticket", "follow_up", "survey")
PURPOSES = ("ticket_handling", "follow_up", "client_request", "complaint_investigation", "legal_obligation")
ERASURE_REASONS = ("client_request", "consent_withdrawn", "retention_expired", "legal_obligation")
REFUSAL_REASONS = ("no_reveal_role", "security_acknowledgment_not_current", "no_open_assignment",
                   "hourly_limit_exceeded", "dependency_unavailable")
#: a code the caller chooses (source, consent purpose): never free text
SOURCE_CODE = string(2, 40, r"^[a-z][a-z0-9_]{1,39}$")
#: an ISO-8601 time with its offset
OFFSET_INSTANT = string(16, 40, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                                r"(Z|[+-][0-9]{2}:[0-9]{2})$", format="date-time")
PHONE = pii(string(1, 30, description="a mainland China mobile number as people write it: spaces, dashes, "
                   "dots, +86 or 0086 allowed", examples=["13800138000", "+86 138-0013-8000"]))
ID_NUMBER = pii(string(18, 18, r"^[0-9]{17}[0-9Xx]$", description="an 18-character resident ID number whose "
                       "birth date exists and whose check digit is right", examples=["110101199003071233"]))
NAME = pii(text(50))
ADDRESS = pii(text(200))
CONSENT = obj(required={"purpose": SOURCE_CODE, "granted_at": OFFSET_INSTANT}, title="Consent")
PROFILE = obj(required={"name": NAME, "phone": PHONE, "source": SOURCE_CODE, "consent": CONSENT},
              optional={"id_number": nullable(ID_NUMBER), "address": nullable(ADDRESS)}, title="Profile")
CHANGES = obj(optional={"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS,
                        "source": SOURCE_CODE, "consent": CONSENT}, minProperties=1, title="ClientChanges")

CONSENT_VIEW = obj(required={"purpose": SOURCE_CODE, "granted_at": UTC_INSTANT}, title="ConsentView")
#: masked forms: the name's first character, 138****8000, 1101**********1233, the address to the district
MASKED_CLIENT = obj(required={
    "client_id": RETURNED_ID, "name": string(1, 50), "phone": string(11, 11, r"^[0-9]{3}\*{4}[0-9]{4}$"),
    "id_number": nullable(string(18, 18, r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$")), "address": nullable(string(0, 200)),
    "source": SOURCE_CODE, "consent": CONSENT_VIEW, "created_at": UTC_INSTANT}, title="MaskedClient")
NOTE_VIEW = obj(required={"note_id": RETURNED_ID, "kind": enum(*NOTE_KINDS), "text": pii(string(1, 5000)),
                          "created_by": nullable(RETURNED_ID), "created_at": UTC_INSTANT}, title="Note")
EXPORT = obj(required={
    "client_id": RETURNED_ID, "name": pii(string(1, 50)), "phone": pii(string(1, 20)),
    "id_number": nullable(pii(string(18, 18))), "address": nullable(pii(string(1, 200))), "source": SOURCE_CODE,
    "consent": CONSENT_VIEW, "created_at": UTC_INSTANT, "notes": array(NOTE_VIEW)}, title="ClientExport")
HASH = string(64, 64, r"^[0-9a-f]{64}$")
AUDIT_ENTRY = obj(required={
    "entry": integer(1), "at": UTC_INSTANT, "staff_id": nullable(RETURNED_ID),
    "role": nullable(enum("agent", "supervisor", "admin")), "action": enum("reveal", "notes", "export", "erase"),
    "client_id": RETURNED_ID, "fields": array(enum(*PII_FIELDS, "notes")),
    "purpose": enum(*dict.fromkeys(PURPOSES + ERASURE_REASONS)), "outcome": enum("allowed", "refused"),
    "reason": nullable(enum(*REFUSAL_REASONS)), "previous_hash": HASH, "hash": HASH}, title="AuditEntry")
DISCLOSURE = {"client_id": ID, "purpose": enum(*PURPOSES)}

METHODS = {
    "register_client": MethodContract(
        params(required={"profile": PROFILE}, optional=IDEMPOTENCY),
        obj(required={"client_id": RETURNED_ID, "existing": BOOLEAN}),
        "A new client, or the one already registered with this phone (`existing: true`)."),
    "find_by_phone": MethodContract(params(required={"phone": PHONE}), MASKED_CLIENT,
                                    "The masked client with this phone, found by its blind index."),
    "get_client": MethodContract(params(required={"client_id": ID}), MASKED_CLIENT, "A client, masked."),
    "update_client": MethodContract(
        params(required={"client_id": ID, "changes": CHANGES}), MASKED_CLIENT,
        "Change profile fields; changed PII is encrypted again."),
    "add_note": MethodContract(
        params(required={"client_id": ID, "kind": enum(*NOTE_KINDS), "text": pii(text(5000))}, optional=IDEMPOTENCY),
        obj(required={"note_id": RETURNED_ID}), "A note on a client, its text encrypted like the profile."),
    "reveal": MethodContract(
        params(required={"client_id": ID, "fields": array(enum(*PII_FIELDS), min_items=1),
                         "purpose": enum(*PURPOSES)}),
        obj(optional={field: nullable(pii(string(1, 200))) for field in PII_FIELDS}),
        "Supervisor, or the agent of an open ticket of the client: the asked fields in plaintext (audited)."),
    "get_notes": MethodContract(
        params(required=DISCLOSURE), array(NOTE_VIEW),
        "The client's notes in plaintext, oldest first; allowed and audited as a reveal."),
    "export_client": MethodContract(
        params(required=DISCLOSURE), EXPORT,
        "Supervisor: the client's whole record in plaintext, for their own access request (audited)."),
    "import_clients": MethodContract(
        params(required={"rows": array(PROFILE, min_items=1, max_items=10_000, description=(
            "profiles; a bad row is rejected on its own (`rejected`), the others stored"))}, optional=IDEMPOTENCY),
        obj(required={"created": integer(0), "existing": integer(0),
                      "rejected": array(obj(required={"row": integer(0), "reasons": mapping(string(1))})),
                      "seconds": number(0), "rows_per_second": nullable(number(0))}),
        "Supervisor: register up to 10,000 clients at once."),
    "rotate_key": MethodContract(
        params(), obj(required={"key_version": integer(1), "to_rewrap": integer(0)}),
        "Admin: rotate the PII key."),
    "rewrap": MethodContract(
        params(optional={"batch_size": integer(1, 5000)}),
        obj(required={"rewrapped": integer(0), "key_version": integer(1), "min_decryption_version": integer(1)}),
        "Admin: rewrap every ciphertext to the newest key version, then retire the older versions."),
    "erase_client": MethodContract(
        params(required={"client_id": ID, "reason": enum(*ERASURE_REASONS)}),
        obj(required={"client_id": RETURNED_ID, "erased": {"const": True}, "audit_entry": integer(1)}),
        "Admin: PIPL erasure of a client's data; the audit log keeps the act."),
    "audit_log": MethodContract(
        params(optional={"client_id": ID, "staff_id": ID, "since": OFFSET_INSTANT}), array(AUDIT_ENTRY),
        "Auditor or admin: the hash-chained audit log of disclosures and erasures, oldest first."),
    "verify_audit_log": MethodContract(
        params(), obj(required={"entries": integer(0), "valid": BOOLEAN, "first_broken_entry": nullable(integer(1))}),
        "Auditor or admin: walk the audit log's hash chain."),
}

EVENTS = {
    "client_vault.client_registered": obj(required={"client_id": RETURNED_ID, "source": SOURCE_CODE}),
    "client_vault.client_erased": obj(required={"client_id": RETURNED_ID, "reason": enum(*ERASURE_REASONS)}),
    "client_vault.reveal_anomaly": obj(required={
        "staff_id": RETURNED_ID, "reveals": integer(1), "window_minutes": integer(1), "client_id": RETURNED_ID,
        "audit_entry": integer(1)}),
}
