"""Scores: each KPI's raw value scored by its rule, ratings combined, dimensions and the final score
weighted, the grade and the rank. Exact arithmetic (``Fraction``): no result depends on the order of
the terms. A KPI that is not measured (no fact behind a rate or mean, no supervisor rating) leaves the
weighted means: the weights of the measured ones are scaled up to 100, and the scorecard shows it.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from appraisal.domain.kpis import RawValue
from appraisal.domain.templates import Kpi, Template, grade_for

HUNDRED = Fraction(100)
#: final scores are kept to two decimals; the grade is that of the score shown
SCORE_DECIMALS = 2


def score_kpi(rule: str, raw: Fraction, target: Fraction) -> Fraction:
    """``linear``: ``raw / target`` in percent, capped at 100; ``threshold``: 100 when ``raw`` reaches
    ``target``, else 0; ``inverse`` (lower is better): 100 up to ``target``, then ``target / raw`` in
    percent (0 when the target is 0)."""
    raw, target = Fraction(raw), Fraction(target)
    if rule == "linear":
        return min(HUNDRED, raw / target * 100)
    if rule == "threshold":
        return HUNDRED if raw >= target else Fraction(0)
    if rule == "inverse":
        return HUNDRED if raw <= target else target / raw * 100  # raw > target >= 0
    raise ValueError(f"unknown scoring rule {rule}")


@dataclass(frozen=True)
class Ratings:
    """The ratings of one appraisal: ``{reviewer id: {kpi key: level}}`` from supervisors, and the
    member's own ``{kpi key: level}`` (``None``: no self-assessment)."""

    supervisors: Mapping[str, Mapping[str, int]]
    self_assessment: Mapping[str, int] | None = None


def combined_rating(kpi_key: str, ratings: Ratings, self_weight: int) -> RawValue:
    """The supervisors' mean level, with the self-assessment taking ``self_weight`` percent when there
    is one; not measured without a supervisor rating (a self-assessment alone does not count)."""
    levels = [r[kpi_key] for r in ratings.supervisors.values() if kpi_key in r]
    own = (ratings.self_assessment or {}).get(kpi_key)
    events = len(levels) + (own is not None)
    if not levels:
        return RawValue(None, events)
    mean = Fraction(sum(levels), len(levels))
    if own is None:
        return RawValue(mean, events)
    return RawValue((mean * (100 - self_weight) + own * self_weight) / 100, events)


@dataclass(frozen=True)
class KpiScore:
    kpi: Kpi
    raw: Fraction | None
    score: Fraction | None
    events: int


@dataclass(frozen=True)
class DimensionScore:
    key: str
    label: str
    weight: int
    score: Fraction | None
    kpis: tuple[KpiScore, ...]


@dataclass(frozen=True)
class Scorecard:
    final_score: Fraction | None  # rounded to SCORE_DECIMALS
    grade: str | None
    dimensions: tuple[DimensionScore, ...]


def _weighted_mean(pairs) -> Fraction | None:
    measured = [(weight, score) for weight, score in pairs if score is not None]
    total = sum(weight for weight, _ in measured)
    return sum((weight * score for weight, score in measured), Fraction(0)) / total if total else None


def scorecard(template: Template, raw_values: Mapping[str, RawValue], ratings: Ratings) -> Scorecard:
    """The scorecard of one member: ``raw_values`` by metric name (``kpis.raw_values``), ``ratings``."""
    dimensions = []
    for dimension in template.dimensions:
        scored = []
        for kpi in dimension.kpis:
            raw = (combined_rating(kpi.key, ratings, template.self_assessment_weight) if kpi.is_rating
                   else raw_values.get(kpi.metric, RawValue(None, 0)))
            score = None if raw.value is None else score_kpi(kpi.rule, raw.value, Fraction(kpi.target))
            scored.append(KpiScore(kpi, raw.value, score, raw.events))
        score = _weighted_mean((k.kpi.weight, k.score) for k in scored)
        dimensions.append(DimensionScore(dimension.key, dimension.label, dimension.weight, score, tuple(scored)))
    final = _weighted_mean((d.weight, d.score) for d in dimensions)
    if final is None:
        return Scorecard(None, None, tuple(dimensions))
    final = round(final, SCORE_DECIMALS)
    return Scorecard(final, grade_for(template.grades, final), tuple(dimensions))


def ranks(scores: Mapping[str, Fraction | None], excluded: Sequence[str] = ()) -> dict[str, int | None]:
    """Competition ranking by final score, highest first (equal scores share a rank: 1, 2, 2, 4);
    members ``excluded`` (who left) and those without a score get ``None``."""
    ranked = sorted(((s, staff_id) for staff_id, s in scores.items() if s is not None and staff_id not in excluded),
                    key=lambda pair: pair[0], reverse=True)
    first_place = {}
    for place, (score, _) in enumerate(ranked, start=1):
        first_place.setdefault(score, place)
    return {staff_id: first_place[s] if s is not None and staff_id not in excluded else None
            for staff_id, s in scores.items()}
