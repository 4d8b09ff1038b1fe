"""The published contract of ``appraisal``: a JSON Schema of every RPC method's arguments and result,
and of every event's ``data`` (``anchang_common.contract``; docs/contract/appraisal.md says it in words)."""
from anchang_common.contract import (
    BOOLEAN,
    CODE,
    DATE,
    ID,
    IDEMPOTENCY,
    RETURNED_ID,
    STATUSES,
    UTC_INSTANT,
    MethodContract,
    array,
    enum,
    integer,
    mapping,
    nullable,
    number,
    obj,
    params,
    string,
    text,
)

METRICS = ("first_response_compliance", "resolution_compliance", "mean_satisfaction", "complaints_handled",
           "reopen_rate", "tickets_resolved", "training_score", "certificates_held")
RULE = enum("linear", "threshold", "inverse")
GRADE = enum("A", "B", "C", "D")
KEY = string(1, 64, r"^[a-z][a-z0-9_]{0,63}$")
WEIGHT = integer(1, 100)
LEVEL = integer(1, 5)
RUBRIC = obj(required={str(level): text(500) for level in range(1, 6)}, description="what each level 1..5 means",
             title="Rubric")
RATING_KPI = obj(required={"key": KEY, "source": {"const": "rating"}, "weight": WEIGHT, "rubric": RUBRIC},
                 optional={"label": nullable(string(0, 200)), "target": nullable({"const": 5}),
                           "rule": nullable({"const": "linear"})}, title="RatingKpi")
METRIC_KPI = obj(required={"key": KEY, "source": enum(*(f"metric:{m}" for m in METRICS)), "weight": WEIGHT,
                           "target": number(0), "rule": RULE},
                 optional={"label": nullable(string(0, 200))}, description="a linear rule needs a target above 0",
                 title="MetricKpi")
DIMENSION = obj(required={"key": KEY, "label": text(200), "weight": WEIGHT,
                          "kpis": array({"anyOf": [RATING_KPI, METRIC_KPI]}, min_items=1)},
                description="the KPIs' weights sum to 100; KPI keys unique across the template", title="Dimension")
THRESHOLD = number(description="above 0, at most 100", exclusiveMinimum=0, maximum=100)
GRADES = obj(required={"A": THRESHOLD, "B": THRESHOLD, "C": THRESHOLD}, description="A above B above C",
             title="Grades")
TEMPLATE = obj(required={"code": CODE, "dimensions": array(DIMENSION, min_items=1), "grades": GRADES},
               optional={"label": nullable(string(0, 200)), "self_assessment_weight": integer(0, 100),
                         "promotion_ladder": nullable(mapping(CODE, CODE))},
               description="dimension keys unique; the dimensions' weights sum to 100", title="Template")
KPI_VIEW = obj(required={"key": KEY, "label": string(1, 200), "source": string(1, 64), "weight": WEIGHT,
                         "target": number(0), "rule": RULE}, optional={"rubric": RUBRIC}, title="KpiView")
TEMPLATE_VIEW = obj(required={
    "code": CODE, "label": string(0, 200), "self_assessment_weight": integer(0, 100), "grades": GRADES,
    "promotion_ladder": mapping(CODE, CODE),
    "dimensions": array(obj(required={"key": KEY, "label": string(1, 200), "weight": WEIGHT,
                                      "kpis": array(KPI_VIEW)}, title="DimensionView")),
    "created_at": UTC_INSTANT}, title="TemplateView")
CYCLE = obj(required={"code": CODE, "period_start": DATE, "period_end": DATE}, optional={"template_code": CODE},
            description="period_end on or after period_start, at most 366 days on; template_code default `default`",
            title="Cycle")
CYCLE_VIEW = obj(required={
    "code": CODE, "template_code": CODE, "period_start": DATE, "period_end": DATE,
    "status": enum("open", "finalized"), "finalized_at": nullable(UTC_INSTANT), "appraisals": integer(0),
    "staff_ids": array(RETURNED_ID)}, title="CycleView")
SCORE = nullable(number(0, 100))
SCORECARD = obj(required={
    "cycle_code": CODE, "staff_id": RETURNED_ID, "finalized": BOOLEAN, "member_status": enum(*STATUSES),
    "left": BOOLEAN, "final_score": SCORE, "grade": nullable(GRADE), "rank": nullable(integer(1)),
    "period_start": DATE, "period_end": DATE,
    "dimensions": array(obj(required={
        "key": KEY, "label": string(1, 200), "weight": WEIGHT, "score": SCORE,
        "kpis": array(obj(required={
            "key": KEY, "label": string(1, 200), "source": string(1, 64), "rule": RULE, "raw": nullable(number()),
            "target": number(0), "score": SCORE, "weight": WEIGHT, "events": integer(0), "measured": BOOLEAN},
            title="KpiScore"))}, title="DimensionScore"))}, title="ScorecardView")
GRADE_COUNTS = obj(required={grade: integer(0) for grade in ("A", "B", "C", "D")}, title="GradeCounts")
CALIBRATION = obj(required={
    "cycle_code": CODE, "status": enum("open", "finalized"), "department_mean_rating": nullable(number(1, 5)),
    "grades": GRADE_COUNTS, "unrated": integer(0),
    "supervisors": array(obj(required={
        "supervisor_id": RETURNED_ID, "rated": integer(0), "grades": GRADE_COUNTS,
        "mean_rating": nullable(number(1, 5)),
        "difference": nullable(number(-4, 4)), "tendency": enum("harsh", "lenient", "in_line")},
        title="SupervisorCalibration"))}, title="Calibration")
IN_CYCLE = {"cycle_code": CODE}

METHODS = {
    "create_template": MethodContract(
        params(required={"template": TEMPLATE}, optional=IDEMPOTENCY), TEMPLATE_VIEW,
        "HR: an appraisal template of weighted dimensions of weighted KPIs, with grade thresholds."),
    "get_template": MethodContract(params(required={"code": CODE}), TEMPLATE_VIEW, "A template, by code in any case."),
    "list_templates": MethodContract(params(), array(TEMPLATE_VIEW), "Every template, by code."),
    "open_cycle": MethodContract(
        params(required={"cycle": CYCLE}, optional=IDEMPOTENCY), CYCLE_VIEW,
        "Supervisor or HR: an appraisal cycle, one appraisal per active member."),
    "get_cycle": MethodContract(params(required=IN_CYCLE), CYCLE_VIEW, "An appraisal cycle."),
    "submit_rating": MethodContract(
        params(required=IN_CYCLE | {"staff_id": ID, "ratings": mapping(LEVEL, KEY)},
               optional={"comment": string(0, 2000, description="no phone or ID numbers")} | IDEMPOTENCY),
        obj(required={"cycle_code": CODE, "staff_id": RETURNED_ID, "kind": enum("self", "supervisor"),
                      "ratings": mapping(LEVEL, KEY)}),
        "A supervisor's rating of a member, or a member's self-assessment: a level for every rating KPI."),
    "calibration": MethodContract(
        params(required=IN_CYCLE), CALIBRATION,
        "Supervisor or HR: each supervisor's grades and mean rating against the department's."),
    "finalize_cycle": MethodContract(
        params(required=IN_CYCLE),
        obj(required={"cycle_code": CODE, "status": {"const": "finalized"}, "staff_count": integer(0),
                      "promotions_recommended": array(RETURNED_ID)}),
        "Supervisor or HR: final scores, grades and ranks, locked; promotions recommended."),
    "get_scorecard": MethodContract(
        params(required=IN_CYCLE | {"staff_id": ID}), SCORECARD,
        "A member's scorecard: every number with where it came from."),
}

EVENTS = {
    "appraisal.finalized": obj(required={"cycle_code": CODE, "staff_count": integer(0)}),
    "appraisal.promotion_recommended": obj(required={
        "cycle_code": CODE, "staff_id": RETURNED_ID, "grade": enum("A", "B"), "position_code": CODE,
        "current_position_code": CODE}),
}
