"""The rules of client_vault, pure: no I/O, no Vault, no database.

What a client's record holds and how each field is masked; who may see a client's plaintext and
when the hourly reveal limit refuses; the audit log's hash chain and its verification.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

#: the fields of a profile that are PII, each encrypted on its own with its own derivation context
PII_FIELDS = ("name", "phone", "id_number", "address")
REQUIRED_PII_FIELDS = ("name", "phone")
NOTE_KINDS = ("feedback", "complaint", "ticket", "follow_up", "survey")
#: why a member reveals a client's data: codes only (a free-text purpose could itself carry PII)
PURPOSES = ("ticket_handling", "follow_up", "client_request", "complaint_investigation", "legal_obligation")
#: why a client's data is erased
ERASURE_REASONS = ("client_request", "consent_withdrawn", "retention_expired", "legal_obligation")

#: what the audit log records
REVEAL, EXPORT, NOTES, ERASE = "reveal", "export", "notes", "erase"
#: actions that disclose plaintext to a member, and so count against the hourly limit
DISCLOSING_ACTIONS = (REVEAL, EXPORT, NOTES)
ALLOWED, REFUSED = "allowed", "refused"

# reasons a disclosure is refused (audit entries carry them)
NO_ROLE = "no_reveal_role"
NO_OPEN_ASSIGNMENT = "no_open_assignment"
ACKNOWLEDGMENT_NOT_CURRENT = "security_acknowledgment_not_current"
LIMIT_EXCEEDED = "hourly_limit_exceeded"
DEPENDENCY_UNAVAILABLE = "dependency_unavailable"

REVEAL_WINDOW = timedelta(hours=1)
DEFAULT_REVEAL_LIMIT_PER_HOUR = 30
GENESIS_HASH = "0" * 64

_DISTRICT = re.compile(r"^.{1,20}?(?:区|县|旗)")
_CITY = re.compile(r"^.{1,12}?市")


# -- masks ---------------------------------------------------------------------------------------

def mask_name(name):
    """``张三`` -> ``张*``: the first character, a star for each other one."""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(national_number):
    """``13800138000`` -> ``138****8000``."""
    return national_number[:3] + "*" * (len(national_number) - 7) + national_number[-4:]


def mask_id_number(id_number):
    """``110101199003071233`` -> ``1101**********1233``."""
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_address(address):
    """The address down to the district (``北京市朝阳区``), or the city; nothing finer."""
    match = _DISTRICT.match(address) or _CITY.match(address)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Profile:
    """A client's PII in plaintext (only ever in memory) and the rest of the record.

    ``phone`` is the E.164 form (``+8613800138000``); ``national_phone`` the 11 digits."""

    name: str
    phone: str
    source: str
    consent_purpose: str
    consent_granted_at: datetime
    id_number: str | None = None
    address: str | None = None

    @property
    def national_phone(self):
        return self.phone[3:] if self.phone.startswith("+86") else self.phone

    def pii(self):
        """``{field: plaintext}`` of the PII fields present."""
        values = {"name": self.name, "phone": self.phone, "id_number": self.id_number, "address": self.address}
        return {name: value for name, value in values.items() if value is not None}

    def masked(self):
        """The masked view's PII part, computed once at write time: views never need to decrypt."""
        return {"name": mask_name(self.name), "phone": mask_phone(self.national_phone),
                "id_number": mask_id_number(self.id_number) if self.id_number else None,
                "address": mask_address(self.address) if self.address else None}


def mask_changes(changes):
    """The masked forms of the PII ``changes`` (``{field: plaintext}``, phone in E.164)."""
    maskers = {"name": mask_name, "phone": lambda p: mask_phone(p[3:] if p.startswith("+86") else p),
               "id_number": mask_id_number, "address": mask_address}
    return {name: maskers[name](value) for name, value in changes.items() if name in maskers}


# -- who may see plaintext -----------------------------------------------------------------------

def reveal_role(roles):
    """The role a disclosure is made under: ``supervisor`` before ``agent``; ``None`` for neither
    (``admin`` alone never reveals)."""
    for role in ("supervisor", "agent"):
        if role in roles:
            return role
    return None


@dataclass(frozen=True)
class AccessFacts:
    """What the decision needs to know, gathered by the service (from staff and ticket)."""

    role: str | None
    acknowledgment_current: bool
    #: ``ticket.has_open_assignment``; only asked for an agent (``None`` otherwise)
    open_assignment: bool | None = None
    #: distinct clients the member was shown in the last hour, this client included or not
    clients_in_window: frozenset = field(default_factory=frozenset)


def refusal_reason(facts, client_id, limit, supervisor_only=False):
    """Why this disclosure is refused, or ``None`` when it is allowed.

    The limit counts distinct clients disclosed to the member in the last hour: showing again a client
    already shown in the window harvests nothing new, a new client beyond ``limit`` is refused."""
    if facts.role is None or (supervisor_only and facts.role != "supervisor"):
        return NO_ROLE
    if not facts.acknowledgment_current:
        return ACKNOWLEDGMENT_NOT_CURRENT
    if facts.role == "agent" and not facts.open_assignment:
        return NO_OPEN_ASSIGNMENT
    if client_id not in facts.clients_in_window and len(facts.clients_in_window) >= limit:
        return LIMIT_EXCEEDED
    return None


# -- the audit chain -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditEntry:
    """One audited act. Ids and codes only: never a value of the client's data."""

    staff_id: str | None
    role: str | None
    action: str
    client_id: str
    fields: tuple
    purpose: str | None
    outcome: str
    reason: str | None
    at: datetime
    #: set when the entry is appended (its position in the chain, 1-based)
    seq: int | None = None
    previous_hash: str | None = None
    hash: str | None = None

    def content(self):
        return {"seq": self.seq, "at": self.at.isoformat(), "staff_id": self.staff_id, "role": self.role,
                "action": self.action, "client_id": self.client_id, "fields": list(self.fields),
                "purpose": self.purpose, "outcome": self.outcome, "reason": self.reason}


def entry_hash(entry, previous_hash):
    """SHA-256 over the previous entry's hash and this entry's content (canonical JSON)."""
    payload = json.dumps(entry.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{previous_hash}\n{payload}".encode()).hexdigest()


def chained(entry, seq, previous_hash):
    """``entry`` as the ``seq``-th of the chain, after an entry hashed ``previous_hash``."""
    placed = replace(entry, seq=seq, previous_hash=previous_hash)
    return replace(placed, hash=entry_hash(placed, previous_hash))


@dataclass(frozen=True)
class ChainReport:
    entries: int
    valid: bool
    first_broken_entry: int | None


def verify_chain(entries, head_length, head_hash):
    """Check ``entries`` (in ``seq`` order) against each other and the chain head: an altered entry
    breaks its own hash, a deleted one leaves a gap in ``seq`` or a link that does not match, a
    removed tail falls short of the head's length. ``first_broken_entry`` is the first ``seq`` that
    fails (for a removed tail, the first one missing)."""
    previous = GENESIS_HASH
    count = 0
    for expected_seq, entry in enumerate(entries, start=1):
        count += 1
        if (entry.seq != expected_seq or entry.previous_hash != previous
                or entry_hash(entry, previous) != entry.hash):
            return ChainReport(len(entries), False, expected_seq)
        previous = entry.hash
    if count != head_length or (head_length and previous != head_hash):
        return ChainReport(len(entries), False, min(count, head_length) + 1 if count < head_length else count)
    return ChainReport(len(entries), True, None)
