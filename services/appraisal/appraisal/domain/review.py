"""Calibration of the reviewers before a cycle is finalised, and promotion recommendations."""
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from appraisal.domain.scoring import Ratings
from appraisal.domain.templates import GRADES, LOWEST_GRADE, code_key

ALL_GRADES = (*GRADES, LOWEST_GRADE)
#: a reviewer whose mean rating is this many levels below (above) the department's is harsh (lenient)
TENDENCY_LEVELS = Fraction(1, 2)
PROMOTION_GRADES = frozenset({"A", "B"})
#: graded A or B in this many consecutive finalised appraisals of the member (this one included)
PROMOTION_CYCLES = 2


@dataclass(frozen=True)
class ReviewerCalibration:
    reviewer_id: str
    rated: int  # members rated
    grades: Mapping[str, int]  # grade -> members rated who have it now
    mean_rating: Fraction
    difference: Fraction  # mean_rating minus the department's
    tendency: str  # "harsh", "lenient" or "in_line"


@dataclass(frozen=True)
class Calibration:
    department_mean_rating: Fraction | None
    grades: Mapping[str, int]
    unrated: int  # members no supervisor has rated yet
    reviewers: tuple[ReviewerCalibration, ...]


def _distribution(grades: Iterable[str | None]) -> dict[str, int]:
    counts = dict.fromkeys(ALL_GRADES, 0)
    for grade in grades:
        if grade is not None:
            counts[grade] += 1
    return counts


def _tendency(difference: Fraction) -> str:
    if difference <= -TENDENCY_LEVELS:
        return "harsh"
    if difference >= TENDENCY_LEVELS:
        return "lenient"
    return "in_line"


def calibrate(appraisals: Sequence[tuple[Ratings, str | None]]) -> Calibration:
    """``appraisals``: each member's ``(ratings, grade as it stands)``. Each reviewer's grade
    distribution (of the members they rated) and mean rating level against the department's (every
    supervisor rating level given in the cycle)."""
    levels_by_reviewer, grades_by_reviewer = {}, {}
    for ratings, grade in appraisals:
        for reviewer_id, levels in ratings.supervisors.items():
            levels_by_reviewer.setdefault(reviewer_id, []).extend(levels.values())
            grades_by_reviewer.setdefault(reviewer_id, []).append(grade)
    every_level = [level for levels in levels_by_reviewer.values() for level in levels]
    department = Fraction(sum(every_level), len(every_level)) if every_level else None
    reviewers = []
    for reviewer_id in sorted(levels_by_reviewer):
        levels = levels_by_reviewer[reviewer_id]
        mean = Fraction(sum(levels), len(levels))
        reviewers.append(ReviewerCalibration(
            reviewer_id, len(grades_by_reviewer[reviewer_id]), _distribution(grades_by_reviewer[reviewer_id]),
            mean, mean - department, _tendency(mean - department)))
    return Calibration(department, _distribution(grade for _, grade in appraisals),
                       sum(1 for ratings, _ in appraisals if not ratings.supervisors), tuple(reviewers))


def qualifies_for_promotion(recent_grades: Sequence[str | None], required_certificates: Iterable[str],
                            held_certificates: Iterable[str]) -> bool:
    """Graded A or B in the member's last ``PROMOTION_CYCLES`` finalised appraisals (``recent_grades``,
    newest first) and holding every certificate the next position requires (codes in any case)."""
    recent = list(recent_grades)[:PROMOTION_CYCLES]
    held = {code_key(code) for code in held_certificates}
    return (len(recent) == PROMOTION_CYCLES and all(g in PROMOTION_GRADES for g in recent)
            and all(code_key(code) in held for code in required_certificates))
