"""A small template the appraisal tests compute scorecards of by hand."""
import copy

RUBRIC = {"1": "poor", "2": "fair", "3": "good", "4": "very good", "5": "excellent"}


def small_template(code="SMALL-1", self_weight=20, ladder=None):
    """service (60): first responses (linear to 90 %, 50) and courtesy (rating, 50);
    quality (40): reopen rate (inverse, 10 %, 50) and certificates (threshold 1, 50). A 90, B 75, C 60."""
    return copy.deepcopy({
        "code": code, "self_assessment_weight": self_weight, "grades": {"A": 90, "B": 75, "C": 60},
        "promotion_ladder": ladder or {},
        "dimensions": [
            {"key": "service", "label": "Service ability", "weight": 60, "kpis": [
                {"key": "frt", "source": "metric:first_response_compliance", "weight": 50, "target": 90,
                 "rule": "linear"},
                {"key": "courtesy", "source": "rating", "weight": 50, "rubric": RUBRIC}]},
            {"key": "quality", "label": "Personal quality", "weight": 40, "kpis": [
                {"key": "reopen", "source": "metric:reopen_rate", "weight": 50, "target": 10, "rule": "inverse"},
                {"key": "certs", "source": "metric:certificates_held", "weight": 50, "target": 1,
                 "rule": "threshold"}]},
        ]})
