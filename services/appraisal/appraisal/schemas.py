"""Validation of the arguments of the appraisal RPC methods (docs/contract/appraisal.md).

Each parser collects every problem, then raises one ``ValidationError`` mapping the field path the
caller sent (``template.dimensions[2].kpis[1].weight``, ``ratings.courtesy``) to what is expected.
Messages never repeat a submitted value.
"""
import re
from collections.abc import Mapping
from datetime import date

from anchang_common.errors import ValidationError
from anchang_common.logs import redact
from anchang_common.parsing import parse_id as parse_id
from appraisal.domain import templates
from appraisal.domain.templates import RATING_LEVELS, TemplateProblems

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_COMMENT = 2000
#: the longest period a cycle may cover
MAX_PERIOD_DAYS = 366


def _raise(problems):
    if problems:
        raise ValidationError(problems)


def parse_template(template):
    """A ``domain.templates.Template``; every problem under ``template.<path>``."""
    try:
        return templates.parse_template(template)
    except TemplateProblems as bad:
        raise ValidationError({f"template.{path}" if path else "template": problem
                               for path, problem in bad.problems.items()}) from None


def parse_code(field, value):
    if isinstance(value, str) and templates.CODE.fullmatch(value):
        return value
    raise ValidationError({field: templates.CODE_EXPECTED})


def _date(problems, field, value):
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems[field] = "required: a date YYYY-MM-DD"
    return None


def parse_cycle(cycle):
    """``(code, period_start, period_end, template_code)`` of ``open_cycle``'s argument."""
    if not isinstance(cycle, Mapping):
        raise ValidationError({"cycle": "must be an object {code, period_start, period_end, template_code}"})
    problems = {}
    for key in cycle:
        if key not in ("code", "period_start", "period_end", "template_code"):
            problems[f"cycle.{key}" if isinstance(key, str) and templates.KEY.fullmatch(key) else "cycle"] = (
                "unknown field")
    code, template_code = cycle.get("code"), cycle.get("template_code", "default")
    if not (isinstance(code, str) and templates.CODE.fullmatch(code)):
        problems["cycle.code"] = templates.CODE_EXPECTED
    if not (isinstance(template_code, str) and templates.CODE.fullmatch(template_code)):
        problems["cycle.template_code"] = templates.CODE_EXPECTED
    start = _date(problems, "cycle.period_start", cycle.get("period_start"))
    end = _date(problems, "cycle.period_end", cycle.get("period_end"))
    if start and end and not 0 <= (end - start).days < MAX_PERIOD_DAYS:
        problems["cycle.period_end"] = f"must be on or after period_start, at most {MAX_PERIOD_DAYS} days on"
    _raise(problems)
    return code, start, end, template_code


def parse_ratings(template, ratings, comment):
    """``({kpi key: level}, comment)``: a level 1..5 for every rating KPI of ``template``."""
    problems = {}
    levels = {}
    if not isinstance(ratings, Mapping):
        problems["ratings"] = "must map every rating KPI of the template to a level 1..5"
    else:
        expected = {kpi.key for kpi in template.rating_kpis}
        for key in sorted(expected):
            level = ratings.get(key)
            if not (isinstance(level, int) and not isinstance(level, bool) and level in RATING_LEVELS):
                problems[f"ratings.{key}"] = "required: an integer level 1..5" if level is None else (
                    "must be an integer level 1..5")
            else:
                levels[key] = level
        for key in ratings:
            if key not in expected:
                named = isinstance(key, str) and templates.KEY.fullmatch(key)
                problems[f"ratings.{key}" if named else "ratings"] = "not a rating KPI of the cycle's template"
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        problems["comment"] = f"must be a string of at most {MAX_COMMENT} characters"
    elif comment is not None and redact(comment) != comment:
        problems["comment"] = "must not contain phone or ID numbers (no customer information here)"
    _raise(problems)
    return levels, (comment.strip() or None) if comment else None
