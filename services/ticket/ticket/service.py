"""The ticket service: questions, complaints, after-sales care and repairs under SLA.

Skeleton: health, metrics, Vault and token revocation are wired; the ticket contract comes next.
"""
from anchang_common.auth import Auth
from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.db import Database
from anchang_common.events import Events
from anchang_common.vault import Vault


class Service(ServiceBase, RevocationListener):
    name = "ticket"

    db = Database()
    vault = Vault()
    auth = Auth()
    events = Events()
