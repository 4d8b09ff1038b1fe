"""Scorecards computed by hand: each scoring rule, ratings with and without a self-assessment,
KPIs that are not measured, grade boundaries and ranks."""
from fractions import Fraction

import pytest

from appraisal.domain.kpis import RawValue
from appraisal.domain.scoring import Ratings, combined_rating, ranks, score_kpi, scorecard
from appraisal.domain.templates import parse_template
from tests.unit.appraisal.templates_for_tests import small_template

TEMPLATE = parse_template(small_template())


def raw(first_response=None, reopen=None, certificates=1):
    return {"first_response_compliance": RawValue(None if first_response is None else Fraction(first_response), 4),
            "reopen_rate": RawValue(None if reopen is None else Fraction(reopen), 6),
            "certificates_held": RawValue(Fraction(certificates), 2)}


@pytest.mark.parametrize("rule, raw_value, target, expected", [
    ("linear", 72, 90, 80), ("linear", 90, 90, 100), ("linear", 99, 90, 100), ("linear", 0, 90, 0),
    ("threshold", 1, 1, 100), ("threshold", Fraction(99, 100), 1, 0), ("threshold", 3, 1, 100),
    ("inverse", 20, 10, 50), ("inverse", 10, 10, 100), ("inverse", 0, 10, 100), ("inverse", 40, 10, 25),
    ("inverse", 1, 0, 0), ("inverse", 0, 0, 100),
])
def test_each_scoring_rule(rule, raw_value, target, expected):
    assert score_kpi(rule, Fraction(raw_value), Fraction(target)) == expected


def test_a_hand_computed_scorecard():
    # frt 72 % of 90 -> 80; courtesy 0.8 * 4 + 0.2 * 5 = 4.2 of 5 -> 84; service (80 + 84) / 2 = 82
    # reopen 20 % against 10 % (inverse) -> 50; certificates 1 of 1 -> 100; quality 75
    # final 0.6 * 82 + 0.4 * 75 = 79.2 -> B
    card = scorecard(TEMPLATE, raw(72, 20), Ratings({"sup1": {"courtesy": 4}}, {"courtesy": 5}))
    assert card.final_score == Fraction(792, 10) and card.grade == "B"
    service, quality = card.dimensions
    assert [(k.kpi.key, k.raw, k.score, k.events) for k in service.kpis] == [
        ("frt", 72, 80, 4), ("courtesy", Fraction(42, 10), 84, 2)]
    assert service.score == 82 and quality.score == 75
    assert [(k.kpi.key, k.raw, k.score, k.events) for k in quality.kpis] == [
        ("reopen", 20, 50, 6), ("certs", 1, 100, 2)]


def test_supervisors_are_averaged_and_a_self_assessment_alone_does_not_count():
    two = Ratings({"sup1": {"courtesy": 3}, "sup2": {"courtesy": 4}})
    assert combined_rating("courtesy", two, 20) == RawValue(Fraction(7, 2), 2)
    assert combined_rating("courtesy", Ratings({}, {"courtesy": 5}), 20) == RawValue(None, 1)
    # without a self-assessment the supervisors' mean takes the whole weight
    assert combined_rating("courtesy", Ratings({"sup1": {"courtesy": 4}}), 20).value == 4


def test_kpis_not_measured_leave_the_weighted_means():
    # no first response yet, no rating: service is not measured; quality 75 alone is the final score
    card = scorecard(TEMPLATE, raw(None, 20), Ratings({}))
    assert card.dimensions[0].score is None and card.dimensions[0].kpis[0].score is None
    assert card.final_score == 75 and card.grade == "B"
    # only the rating measured in service: 84, final 0.6 * 84 + 0.4 * 75 = 80.4
    card = scorecard(TEMPLATE, raw(None, 20), Ratings({"sup1": {"courtesy": 4}}, {"courtesy": 5}))
    assert card.dimensions[0].score == 84 and card.final_score == Fraction(804, 10)


@pytest.mark.parametrize("frt, courtesy, reopen, certificates, final, grade", [
    # service = (frt_score + courtesy * 20) / 2; quality = (reopen_score + certificates_score) / 2
    (90, 5, 10, 1, 100, "A"),
    # service (100 + 60) / 2 = 80, quality 100: 0.6 * 80 + 40 = 88 -> B
    (90, 3, 10, 1, 88, "B"),
    # service (75 + 100) / 2 = 87.5, quality 100: 52.5 + 40 = 92.5 -> A
    (67.5, 5, 10, 1, Fraction(925, 10), "A"),
    # service (50 + 100) / 2 = 75 -> 45; quality (100 + 0) / 2 = 50 -> 20: 65 -> C
    (45, 5, 5, 0, 65, "C"),
    # exactly 90: service (100 + 100) / 2, quality (50 + 100) / 2 = 75 -> 60 + 30 = 90 -> A
    (90, 5, 20, 1, 90, "A"),
    # exactly 75: service (50 + 100) / 2 = 75 -> 45; quality 75 -> 30: 75 -> B
    (45, 5, 20, 1, 75, "B"),
    # exactly 60: service (50 + 50) / 2 = 50 -> 30; quality 75 -> 30: 60 -> C
    (45, Fraction(5, 2), 20, 1, 60, "C"),
    # just under 60: service (50 + 40) / 2 = 45 -> 27; quality 75 -> 30: 57 -> D
    (45, 2, 20, 1, 57, "D"),
])
def test_grade_boundaries_hand_computed(frt, courtesy, reopen, certificates, final, grade):
    # a courtesy of 2.5 is two supervisors, 2 and 3
    supervisors = ({"sup1": {"courtesy": 2}, "sup2": {"courtesy": 3}} if courtesy == Fraction(5, 2)
                   else {"sup1": {"courtesy": courtesy}})
    card = scorecard(TEMPLATE, raw(frt, reopen, certificates), Ratings(supervisors))
    assert (card.final_score, card.grade) == (final, grade)


@pytest.mark.parametrize("frt, final, grade", [
    # frt 89.988 of 90 -> 99.98666..; service 99.99333.. -> 59.996; quality 75 -> 30: 89.996 shown as 90.00
    (Fraction(89988, 1000), 90, "A"),
    # frt 89.982 of 90 -> 99.98; service 99.99 -> 59.994; + 30: 89.994 shown as 89.99
    (Fraction(89982, 1000), Fraction(8999, 100), "B"),
])
def test_final_scores_are_rounded_to_two_decimals_and_graded_as_shown(frt, final, grade):
    card = scorecard(TEMPLATE, raw(frt, 20), Ratings({"s": {"courtesy": 5}}))
    assert (card.final_score, card.grade) == (final, grade)


def test_ranks_share_places_and_skip_leavers_and_the_unscored():
    scores = {"a": Fraction(80), "b": Fraction(90), "c": Fraction(80), "d": Fraction(70), "e": None,
              "f": Fraction(95)}
    assert ranks(scores, excluded=["f"]) == {"b": 1, "a": 2, "c": 2, "d": 4, "e": None, "f": None}
