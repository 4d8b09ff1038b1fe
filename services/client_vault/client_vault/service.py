"""The client_vault service: customer PII, encrypted with keys only Vault holds.

Skeleton: health, metrics, the permission gate and token revocation are wired; the PII contract comes next.
"""
from anchang_common.base import RevocationListener, ServiceBase
from anchang_common.db import Database
from anchang_common.events import Events
from client_vault.permissions import PERMISSIONS


class Service(ServiceBase, RevocationListener):
    name = "client_vault"

    permissions = PERMISSIONS

    db = Database()
    events = Events()
