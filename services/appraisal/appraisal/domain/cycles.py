"""Cycles and the appraisals in them, as the service works with them."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from appraisal.domain.kpis import StaffRecord
from appraisal.domain.scoring import Ratings
from appraisal.domain.templates import Template

OPEN, FINALIZED = "open", "finalized"
SUPERVISOR, SELF = "supervisor", "self"
LEFT = "left"


@dataclass(frozen=True)
class Cycle:
    cycle_id: str
    code: str
    template: Template  # the template's definition as it was when the cycle opened
    period_start: date
    period_end: date
    status: str
    finalized_at: datetime | None = None

    @property
    def finalized(self) -> bool:
        return self.status == FINALIZED


@dataclass(frozen=True)
class Appraisal:
    appraisal_id: str
    staff_id: str
    member_status: str  # the member's status at staff, as last known; "left" is kept and marked
    record: StaffRecord
    ratings: Ratings
    final_score: float | None = None
    grade: str | None = None
    rank: int | None = None
    #: the scorecard as finalised (the view ``get_scorecard`` returns), ``None`` while open
    scorecard: Mapping | None = None

    @property
    def left(self) -> bool:
        return self.member_status == LEFT
