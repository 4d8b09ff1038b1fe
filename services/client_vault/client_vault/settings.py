"""The client_vault service's settings, read once from the ``CLIENT_VAULT`` section of its configuration."""
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from client_vault import domain

SECTION = "CLIENT_VAULT"
REVEAL_LIMIT_PER_HOUR = "REVEAL_LIMIT_PER_HOUR"


@dataclass(frozen=True)
class Settings:
    #: distinct clients whose data one member may be shown in an hour
    reveal_limit_per_hour: int = domain.DEFAULT_REVEAL_LIMIT_PER_HOUR

    @classmethod
    def from_config(cls, config):
        raw = (config.get(SECTION) or {}).get(REVEAL_LIMIT_PER_HOUR)
        limit = int(raw) if raw not in (None, "") else domain.DEFAULT_REVEAL_LIMIT_PER_HOUR
        if limit < 1:
            raise ValueError(f"{REVEAL_LIMIT_PER_HOUR} must be at least 1")
        return cls(reveal_limit_per_hour=limit)


class ClientVaultSettings(DependencyProvider):
    """Injects the service's ``Settings``, parsed at start-up (a bad value stops the service there)."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
