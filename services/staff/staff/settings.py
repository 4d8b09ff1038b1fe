"""The staff service's settings, read once from the ``STAFF`` section of its configuration."""
from dataclasses import dataclass
from datetime import timedelta

from nameko.extensions import DependencyProvider

from staff import domain

SECTION = "STAFF"
TRAINING_PASS_MARK = "TRAINING_PASS_MARK"
LOGIN_MAX_FAILURES = "LOGIN_MAX_FAILURES"
LOGIN_FAILURE_WINDOW_MINUTES = "LOGIN_FAILURE_WINDOW_MINUTES"
LOGIN_LOCKOUT_MINUTES = "LOGIN_LOCKOUT_MINUTES"
SECURITY_ACKNOWLEDGMENT_DAYS = "SECURITY_ACKNOWLEDGMENT_DAYS"


@dataclass(frozen=True)
class Settings:
    training_pass_mark: float = domain.DEFAULT_PASS_MARK
    lockout: domain.LoginLockout = domain.LoginLockout()
    security_acknowledgment_days: int = domain.DEFAULT_SECURITY_ACKNOWLEDGMENT_DAYS

    @classmethod
    def from_config(cls, config):
        section = config.get(SECTION) or {}

        def value(key, default, kind):
            raw = section.get(key)
            return kind(raw) if raw not in (None, "") else default
        return cls(
            training_pass_mark=value(TRAINING_PASS_MARK, domain.DEFAULT_PASS_MARK, float),
            lockout=domain.LoginLockout(
                max_failures=value(LOGIN_MAX_FAILURES, 5, int),
                window=timedelta(minutes=value(LOGIN_FAILURE_WINDOW_MINUTES, 15, int)),
                lock_for=timedelta(minutes=value(LOGIN_LOCKOUT_MINUTES, 15, int))),
            security_acknowledgment_days=value(
                SECURITY_ACKNOWLEDGMENT_DAYS, domain.DEFAULT_SECURITY_ACKNOWLEDGMENT_DAYS, int))


class StaffSettings(DependencyProvider):
    """Injects the service's ``Settings``, parsed at start-up (a bad value stops the service there)."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
