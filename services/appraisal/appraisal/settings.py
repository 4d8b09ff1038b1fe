"""The appraisal service's settings, read once from the ``APPRAISAL`` section of its configuration."""
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nameko.extensions import DependencyProvider

SECTION = "APPRAISAL"
TIMEZONE = "TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    #: the zone whose calendar days KPI facts are counted on (a cycle's period is in those days)
    timezone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)

    @classmethod
    def from_config(cls, config):
        section = config.get(SECTION) or {}
        name = section.get(TIMEZONE) or DEFAULT_TIMEZONE
        try:
            return cls(timezone=ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"{SECTION}.{TIMEZONE}: unknown time zone") from error


class AppraisalSettings(DependencyProvider):
    """Injects the service's ``Settings``, parsed at start-up (a bad value stops the service there)."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
