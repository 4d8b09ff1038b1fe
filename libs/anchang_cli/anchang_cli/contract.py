"""The enumerations of the public contract the commands offer as choices (docs/contract/*.md).

The CLI is a caller and imports no service; ``tests/unit/cli/test_contract.py`` checks these against
the services' own definitions."""
from enum import StrEnum


class Category(StrEnum):
    inquiry = "inquiry"
    complaint = "complaint"
    after_sales = "after_sales"
    repair = "repair"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TicketState(StrEnum):
    open = "open"
    in_progress = "in_progress"
    waiting_customer = "waiting_customer"
    resolved = "resolved"
    closed = "closed"


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    hr = "hr"
    auditor = "auditor"
    admin = "admin"


class StaffStatus(StrEnum):
    onboarding = "onboarding"
    active = "active"
    suspended = "suspended"
    left = "left"


class TrainingModule(StrEnum):
    culture = "culture"
    service_process = "service_process"
    privacy_security = "privacy_security"


class PiiField(StrEnum):
    name = "name"
    phone = "phone"
    id_number = "id_number"
    address = "address"


class Purpose(StrEnum):
    """Why a member asks to see a client's information in plaintext (``client_vault.reveal``)."""
    ticket_handling = "ticket_handling"
    follow_up = "follow_up"
    client_request = "client_request"
    complaint_investigation = "complaint_investigation"
    legal_obligation = "legal_obligation"


class NoteKind(StrEnum):
    feedback = "feedback"
    complaint = "complaint"
    ticket = "ticket"
    follow_up = "follow_up"
    survey = "survey"


class GroupBy(StrEnum):
    agent = "agent"
    category = "category"
    priority = "priority"


#: the error types a service may answer with (docs/contract/rpc.md#errors)
ERROR_TYPES = ("ValidationError", "NotFound", "Conflict", "Unauthenticated", "Forbidden", "DependencyUnavailable",
               "InternalError")
