"""What the appraisal RPC methods return: plain JSON made from domain objects. Numbers are rounded
to two decimals for reading; the computations behind them are exact."""
from appraisal.domain.templates import template_view

DECIMALS = 2


def number(value):
    return None if value is None else round(float(value), DECIMALS)


def stored_template_view(template, created_at):
    return template_view(template) | {"created_at": created_at.isoformat()}


def cycle_view(cycle, appraisals):
    return {"code": cycle.code, "template_code": cycle.template.code,
            "period_start": cycle.period_start.isoformat(), "period_end": cycle.period_end.isoformat(),
            "status": cycle.status, "finalized_at": cycle.finalized_at.isoformat() if cycle.finalized_at else None,
            "appraisals": len(appraisals), "staff_ids": [a.staff_id for a in appraisals]}


def scorecard_view(cycle, appraisal, card, rank):
    """``card``: a ``domain.scoring.Scorecard``. The view is also what a finalised cycle stores."""
    return {
        "cycle_code": cycle.code, "staff_id": appraisal.staff_id, "finalized": cycle.finalized,
        "member_status": appraisal.member_status, "left": appraisal.left,
        "final_score": number(card.final_score), "grade": card.grade, "rank": rank,
        "period_start": cycle.period_start.isoformat(), "period_end": cycle.period_end.isoformat(),
        "dimensions": [{
            "key": d.key, "label": d.label, "weight": d.weight, "score": number(d.score),
            "kpis": [{"key": k.kpi.key, "label": k.kpi.label, "source": k.kpi.source, "rule": k.kpi.rule,
                      "raw": number(k.raw), "target": number(k.kpi.target), "score": number(k.score),
                      "weight": k.kpi.weight, "events": k.events, "measured": k.score is not None}
                     for k in d.kpis]} for d in card.dimensions],
    }


def calibration_view(cycle, calibration):
    return {
        "cycle_code": cycle.code, "status": cycle.status,
        "department_mean_rating": number(calibration.department_mean_rating),
        "grades": dict(calibration.grades), "unrated": calibration.unrated,
        "supervisors": [{"supervisor_id": r.reviewer_id, "rated": r.rated, "grades": dict(r.grades),
                         "mean_rating": number(r.mean_rating), "difference": number(r.difference),
                         "tendency": r.tendency} for r in calibration.reviewers],
    }


def finalized_event(cycle, appraisals):
    return {"cycle_code": cycle.code, "staff_count": len(appraisals)}


def promotion_event(cycle, appraisal, grade, next_position):
    return {"cycle_code": cycle.code, "staff_id": appraisal.staff_id, "grade": grade,
            "position_code": next_position, "current_position_code": appraisal.record.position_code}
