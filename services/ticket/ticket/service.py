"""The ticket service: questions, complaints, after-sales care and repairs under SLA.

Skeleton: health, metrics, the permission gate and token revocation are wired; the ticket contract comes next.
"""
from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.db import Database
from anchang_common.events import Events
from ticket.permissions import PERMISSIONS


class Service(ServiceBase, RevocationListener):
    name = "ticket"

    permissions = PERMISSIONS

    db = Database()
    events = Events()
