"""The ticket service's settings (the ``TICKET`` section of its configuration), its clock, and a
timer whose interval comes from the configuration."""
from dataclasses import dataclass

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from anchang_common.types import utcnow
from ticket import domain, sla

SECTION = "TICKET"
REOPEN_WINDOW_DAYS = "REOPEN_WINDOW_DAYS"
FOLLOW_UP_DAYS = "FOLLOW_UP_DAYS"
AT_RISK_PERCENT = "AT_RISK_PERCENT"
ESCALATION_SECONDS = "ESCALATION_SECONDS"
ESCALATION_BATCH = "ESCALATION_BATCH"
DEFAULT_ESCALATION_SECONDS = 30.0
DEFAULT_ESCALATION_BATCH = 500


@dataclass(frozen=True)
class Settings:
    reopen_window_days: int = domain.DEFAULT_REOPEN_WINDOW_DAYS
    follow_up_days: int = domain.DEFAULT_FOLLOW_UP_DAYS
    at_risk_percent: int = sla.AT_RISK_PERCENT
    escalation_batch: int = DEFAULT_ESCALATION_BATCH

    @classmethod
    def from_config(cls, config):
        section = config.get(SECTION) or {}

        def value(key, default):
            raw = section.get(key)
            return int(raw) if raw not in (None, "") else default
        settings = cls(reopen_window_days=value(REOPEN_WINDOW_DAYS, domain.DEFAULT_REOPEN_WINDOW_DAYS),
                       follow_up_days=value(FOLLOW_UP_DAYS, domain.DEFAULT_FOLLOW_UP_DAYS),
                       at_risk_percent=value(AT_RISK_PERCENT, sla.AT_RISK_PERCENT),
                       escalation_batch=value(ESCALATION_BATCH, DEFAULT_ESCALATION_BATCH))
        if not 1 <= settings.at_risk_percent < 100:
            raise ValueError(f"{SECTION}.{AT_RISK_PERCENT} must be between 1 and 99")
        return settings


class TicketSettings(DependencyProvider):
    """Injects the service's ``Settings``, parsed at start-up (a bad value stops the service there)."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings


class SystemClock:
    def now(self):
        return utcnow()


class Clock(DependencyProvider):
    """Injects the clock the service reads ``now`` from (tests replace it with one they move)."""

    def get_dependency(self, worker_ctx):
        return SystemClock()


class ConfiguredTimer(Timer):
    """nameko's ``Timer`` whose interval is read from ``TICKET.<key>`` at start-up."""

    def __init__(self, key, default, **kwargs):
        self.key, self.default = key, default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        raw = (self.container.config.get(SECTION) or {}).get(self.key)
        self.interval = float(raw) if raw not in (None, "") else self.default


configured_timer = ConfiguredTimer.decorator
