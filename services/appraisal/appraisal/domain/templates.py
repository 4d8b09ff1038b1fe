"""Appraisal templates: weighted dimensions of weighted KPIs, grade thresholds, the weight of the
self-assessment, and the promotion ladder.

``parse_template`` validates a template as a caller wrote it and collects every problem under the
path of the bad value (``dimensions[2].kpis[1].weight``); it never echoes a value.
"""
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

#: the objective KPIs the service computes from events and the staff record (``kpis.RAW_VALUES``)
METRICS = ("first_response_compliance", "resolution_compliance", "mean_satisfaction", "complaints_handled",
           "reopen_rate", "tickets_resolved", "training_score", "certificates_held")
RULES = ("linear", "threshold", "inverse")
RATING = "rating"
METRIC_PREFIX = "metric:"
RATING_LEVELS = (1, 2, 3, 4, 5)
#: a rating is scored linearly to the top level: 5 -> 100, 3 -> 60
RATING_TARGET = 5
GRADES = ("A", "B", "C")  # D is everything below C
LOWEST_GRADE = "D"
TOTAL_WEIGHT = 100

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,63}")
CODE_EXPECTED = "must be 2-64 characters: letters, digits, '_' or '-', starting with a letter or digit"
KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
KEY_EXPECTED = "must be 1-64 characters: lower-case letters, digits and '_', starting with a letter"
MAX_LABEL = 200
MAX_RUBRIC = 500


def code_key(code: str) -> str:
    """What makes two codes the same: ``Default`` and ``default`` are one code."""
    return code.lower()


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    source: str  # "metric:<name>" or "rating"
    weight: int
    target: float
    rule: str
    #: rating KPIs only: what each level 1..5 means
    rubric: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_rating(self) -> bool:
        return self.source == RATING

    @property
    def metric(self) -> str | None:
        return None if self.is_rating else self.source[len(METRIC_PREFIX):]


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    weight: int
    kpis: tuple[Kpi, ...]


@dataclass(frozen=True)
class Template:
    """A template as created; ``code`` as written, unique regardless of case."""

    code: str
    dimensions: tuple[Dimension, ...]
    #: ``{"A": 90, "B": 75, "C": 60}``: the lowest final score of each grade, strictly descending
    grades: Mapping[str, float]
    #: percent of a rating taken from the self-assessment; the rest from the supervisors' mean
    self_assessment_weight: int = 0
    #: ``{position code: next position code}`` (an extension of the contract)
    promotion_ladder: Mapping[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        return tuple(k for d in self.dimensions for k in d.kpis)

    @property
    def rating_kpis(self) -> tuple[Kpi, ...]:
        return tuple(k for k in self.kpis if k.is_rating)

    def next_position(self, position_code: str | None) -> str | None:
        if not position_code:
            return None
        by_key = {code_key(k): v for k, v in self.promotion_ladder.items()}
        return by_key.get(code_key(position_code))


def grade_for(grades: Mapping[str, float], score: float) -> str:
    """The grade of a final ``score``: the first of A, B, C whose threshold it reaches, else D."""
    for grade in GRADES:
        if score >= grades[grade]:
            return grade
    return LOWEST_GRADE


# --- parsing ---------------------------------------------------------------------------------------

class TemplateProblems(ValueError):
    """Every problem of a template: ``problems`` maps a path to what is wrong there."""

    def __init__(self, problems):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{p}: {m}" for p, m in sorted(self.problems.items())))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(problems, path, value, max_len, required=True):
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        problems[path] = f"must be a non-empty string of at most {max_len} characters"
        return None
    return value.strip()


def _valid_weight(value) -> bool:
    return _is_int(value) and 1 <= value <= TOTAL_WEIGHT


def _weight(problems, path, value):
    if _valid_weight(value):
        return value
    problems[path] = f"must be an integer between 1 and {TOTAL_WEIGHT}"
    return None


def _check_total(problems, path, weights, what):
    if weights and None not in weights and sum(weights) != TOTAL_WEIGHT:
        problems[path] = f"the weights of the {what} must sum to {TOTAL_WEIGHT} (they sum to {sum(weights)})"


def _unknown_keys(problems, path, data, known):
    for key in data:
        if key not in known:
            name = key if isinstance(key, str) and KEY.fullmatch(key) else None
            # a caller's own key is named only when it looks like a key (never free text)
            problems[(f"{path}.{name}" if path else name) if name else path] = "unknown field"


def _rubric(problems, path, value):
    if not isinstance(value, Mapping):
        problems[path] = "must map each rating level 1..5 to what it means"
        return {}
    levels = {str(level) for level in RATING_LEVELS}
    rubric = {}
    for level in RATING_LEVELS:
        text = _text(problems, f"{path}.{level}", value.get(str(level), value.get(level)), MAX_RUBRIC)
        if text is not None:
            rubric[str(level)] = text
    if any(str(key) not in levels for key in value):
        problems[path] = "has levels other than 1..5"
    return rubric


_KPI_FIELDS = ("key", "label", "source", "weight", "target", "rule", "rubric")


def _kpi(problems, path, data, seen_keys):
    if not isinstance(data, Mapping):
        problems[path] = "must be an object"
        return None
    _unknown_keys(problems, path, data, _KPI_FIELDS)
    key = data.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        problems[f"{path}.key"] = KEY_EXPECTED
        key = None
    elif key in seen_keys:
        problems[f"{path}.key"] = "is used by another KPI of the template"
    else:
        seen_keys.add(key)
    label = _text(problems, f"{path}.label", data.get("label"), MAX_LABEL, required=False)
    weight = _weight(problems, f"{path}.weight", data.get("weight"))
    source = data.get("source")
    target, rule, rubric = data.get("target"), data.get("rule"), {}
    if source == RATING:
        if target is not None and target != RATING_TARGET:
            problems[f"{path}.target"] = f"a rating's target is the top level, {RATING_TARGET}"
        if rule is not None and rule != "linear":
            problems[f"{path}.rule"] = "a rating is scored linearly"
        target, rule = RATING_TARGET, "linear"
        rubric = _rubric(problems, f"{path}.rubric", data.get("rubric"))
    elif isinstance(source, str) and source.startswith(METRIC_PREFIX) and source[len(METRIC_PREFIX):] in METRICS:
        if not _is_number(target) or target < 0:
            problems[f"{path}.target"] = "required: a number of at least 0"
        elif rule == "linear" and target == 0:
            problems[f"{path}.target"] = "a linear rule needs a target above 0"
        if rule not in RULES:
            problems[f"{path}.rule"] = "must be one of " + ", ".join(RULES)
        if "rubric" in data:
            problems[f"{path}.rubric"] = "only a rating has a rubric"
    else:
        problems[f"{path}.source"] = "must be 'rating' or one of " + ", ".join(METRIC_PREFIX + m for m in METRICS)
    if key is None or weight is None or path in problems or any(p.startswith(path + ".") for p in problems):
        return None
    return Kpi(key, label or key, source, weight, float(target), rule, rubric)


_DIMENSION_FIELDS = ("key", "label", "weight", "kpis")


def _dimension(problems, path, data, seen_dimensions, seen_kpis):
    if not isinstance(data, Mapping):
        problems[path] = "must be an object"
        return None
    _unknown_keys(problems, path, data, _DIMENSION_FIELDS)
    key = data.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        problems[f"{path}.key"] = KEY_EXPECTED
    elif key in seen_dimensions:
        problems[f"{path}.key"] = "is used by another dimension"
    else:
        seen_dimensions.add(key)
    label = _text(problems, f"{path}.label", data.get("label"), MAX_LABEL)
    weight = _weight(problems, f"{path}.weight", data.get("weight"))
    raw_kpis = data.get("kpis")
    kpis = []
    if not isinstance(raw_kpis, list) or not raw_kpis:
        problems[f"{path}.kpis"] = "must be a non-empty list"
    else:
        kpis = [_kpi(problems, f"{path}.kpis[{i}]", k, seen_kpis) for i, k in enumerate(raw_kpis)]
        weights = [k.get("weight") if isinstance(k, Mapping) and _valid_weight(k.get("weight")) else None
                   for k in raw_kpis]
        _check_total(problems, f"{path}.kpis", weights, "KPIs of this dimension")
    if None in kpis or label is None or weight is None or f"{path}.key" in problems:
        return None
    return Dimension(key, label, weight, tuple(kpis))


def _grades(problems, value):
    if not isinstance(value, Mapping):
        problems["grades"] = "must map A, B and C to the lowest final score of each grade"
        return None
    grades = {}
    for grade in GRADES:
        threshold = value.get(grade)
        if not _is_number(threshold) or not 0 < threshold <= 100:
            problems[f"grades.{grade}"] = "required: a number above 0 and at most 100"
        else:
            grades[grade] = float(threshold)
    if any(key not in GRADES for key in value):
        problems["grades"] = "has grades other than A, B and C (D is everything below C)"
    if len(grades) == len(GRADES) and not grades["A"] > grades["B"] > grades["C"]:
        problems["grades"] = "thresholds must be ordered: A above B above C"
    return grades


def _ladder(problems, value):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems["promotion_ladder"] = "must map a position code to the next position's code"
        return {}
    ladder = {}
    for position, following in value.items():
        if not (isinstance(position, str) and CODE.fullmatch(position)):
            problems["promotion_ladder"] = f"every position code {CODE_EXPECTED}"
        elif not (isinstance(following, str) and CODE.fullmatch(following)):
            problems[f"promotion_ladder.{position}"] = CODE_EXPECTED
        elif code_key(position) in {code_key(p) for p in ladder}:
            problems[f"promotion_ladder.{position}"] = "appears twice (codes are the same regardless of case)"
        else:
            ladder[position] = following
    return ladder


_TEMPLATE_FIELDS = ("code", "label", "dimensions", "grades", "self_assessment_weight", "promotion_ladder")


def parse_template(data) -> Template:
    """The ``Template`` a caller wrote; ``TemplateProblems`` naming every bad path otherwise."""
    if not isinstance(data, Mapping):
        raise TemplateProblems({"": "must be an object"})
    problems = {}
    _unknown_keys(problems, "", data, _TEMPLATE_FIELDS)
    code = data.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        problems["code"] = CODE_EXPECTED
    label = _text(problems, "label", data.get("label"), MAX_LABEL, required=False)
    self_weight = data.get("self_assessment_weight", 0)
    if not (_is_int(self_weight) and 0 <= self_weight <= TOTAL_WEIGHT):
        problems["self_assessment_weight"] = f"must be an integer between 0 and {TOTAL_WEIGHT}"
    grades = _grades(problems, data.get("grades"))
    ladder = _ladder(problems, data.get("promotion_ladder"))
    raw_dimensions = data.get("dimensions")
    dimensions = []
    if not isinstance(raw_dimensions, list) or not raw_dimensions:
        problems["dimensions"] = "must be a non-empty list"
    else:
        seen_dimensions, seen_kpis = set(), set()
        dimensions = [_dimension(problems, f"dimensions[{i}]", d, seen_dimensions, seen_kpis)
                      for i, d in enumerate(raw_dimensions)]
        weights = [d.get("weight") if isinstance(d, Mapping) and _valid_weight(d.get("weight")) else None
                   for d in raw_dimensions]
        _check_total(problems, "dimensions", weights, "dimensions")
    if problems:
        raise TemplateProblems(problems)
    return Template(code, tuple(dimensions), grades, self_weight, ladder, label or "")


def template_view(template: Template) -> dict:
    """A template as the contract shows it (and as the storage keeps it): ``parse_template`` of it
    gives the same template back."""
    return {
        "code": template.code,
        "label": template.label,
        "self_assessment_weight": template.self_assessment_weight,
        "grades": dict(template.grades),
        "promotion_ladder": dict(template.promotion_ladder),
        "dimensions": [{
            "key": d.key, "label": d.label, "weight": d.weight,
            "kpis": [_kpi_view(k) for k in d.kpis]} for d in template.dimensions],
    }


def _kpi_view(kpi):
    view = {"key": kpi.key, "label": kpi.label, "source": kpi.source, "weight": kpi.weight,
            "target": kpi.target, "rule": kpi.rule}
    if kpi.is_rating:
        view["rubric"] = dict(kpi.rubric)
    return view
