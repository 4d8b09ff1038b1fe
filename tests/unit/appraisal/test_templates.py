"""Template validation: every problem named by its path, never by its value."""
import pytest

from appraisal.default_template import DEFAULT_TEMPLATE
from appraisal.domain.templates import TemplateProblems, grade_for, parse_template, template_view
from tests.unit.appraisal.templates_for_tests import small_template


def problems_of(data):
    with pytest.raises(TemplateProblems) as bad:
        parse_template(data)
    return bad.value.problems


def test_the_default_template_covers_the_four_dimensions_and_mixes_kpis_with_ratings():
    template = parse_template(DEFAULT_TEMPLATE)
    assert [d.key for d in template.dimensions] == [
        "service_ability", "business_proficiency", "work_enthusiasm", "personal_quality"]
    metrics = {k.metric for k in template.kpis if not k.is_rating}
    assert metrics == {"first_response_compliance", "resolution_compliance", "mean_satisfaction",
                       "complaints_handled", "reopen_rate", "tickets_resolved", "training_score",
                       "certificates_held"}
    assert all(set(k.rubric) == {"1", "2", "3", "4", "5"} for k in template.rating_kpis)
    assert parse_template(template_view(template)) == template  # what is stored reads back the same


def test_a_bad_kpi_weight_is_named_by_its_path():
    data = small_template()
    data["dimensions"][1]["kpis"][1]["weight"] = -5
    assert problems_of(data) == {"dimensions[1].kpis[1].weight": "must be an integer between 1 and 100"}


def test_weights_must_sum_to_100_at_each_level():
    data = small_template()
    data["dimensions"][0]["weight"] = 50
    data["dimensions"][1]["kpis"][0]["weight"] = 40
    problems = problems_of(data)
    assert set(problems) == {"dimensions", "dimensions[1].kpis"}
    assert "sum to 90" in problems["dimensions"] and "sum to 90" in problems["dimensions[1].kpis"]


def test_each_kpi_needs_a_known_source_a_target_and_a_rule():
    data = small_template()
    data["dimensions"][0]["kpis"][0].update(source="metric:vibes")
    data["dimensions"][1]["kpis"][0].pop("target")
    data["dimensions"][1]["kpis"][1]["rule"] = "quadratic"
    data["dimensions"][0]["kpis"][1]["rubric"].pop("3")
    assert set(problems_of(data)) == {"dimensions[0].kpis[0].source", "dimensions[1].kpis[0].target",
                                      "dimensions[1].kpis[1].rule", "dimensions[0].kpis[1].rubric.3"}


def test_grade_thresholds_must_be_ordered():
    data = small_template()
    data["grades"] = {"A": 70, "B": 75, "C": 60}
    assert problems_of(data) == {"grades": "thresholds must be ordered: A above B above C"}


def test_keys_are_unique_and_unknown_fields_named_only_when_they_look_like_keys():
    data = small_template()
    data["dimensions"][1]["kpis"][0]["key"] = "frt"
    data["dimensions"][1]["extra"] = 1
    data["Zhang San 13800138000"] = "x"
    problems = problems_of(data)
    assert problems["dimensions[1].kpis[0].key"] == "is used by another KPI of the template"
    assert problems["dimensions[1].extra"] == "unknown field"
    assert problems[""] == "unknown field"
    assert not any("13800138000" in path or "13800138000" in message for path, message in problems.items())


@pytest.mark.parametrize("score, grade", [
    (100, "A"), (90, "A"), (89.99, "B"), (75, "B"), (74.99, "C"), (60, "C"), (59.99, "D"), (0, "D")])
def test_grade_boundaries(score, grade):
    assert grade_for({"A": 90, "B": 75, "C": 60}, score) == grade
