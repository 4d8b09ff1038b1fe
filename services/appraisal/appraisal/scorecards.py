"""Scorecards of a cycle's appraisals as they stand: the totals of the period's facts summed by the
store, scored by ``domain``. Used while a cycle is open (``get_scorecard``, ``calibration``) and to finalise it."""
from appraisal.domain import kpis, scoring


def current(store, cycle, appraisals, records=None):
    """``{staff_id: domain.scoring.Scorecard}`` of ``appraisals`` in ``cycle``; ``records``
    (``{staff_id: StaffRecord}``) replaces the records copied when the cycle opened."""
    if not appraisals:
        return {}
    records = records or {}
    totals = store.ticket_totals([a.staff_id for a in appraisals], cycle.period_start, cycle.period_end)
    return {a.staff_id: scoring.scorecard(
        cycle.template,
        kpis.values_from_totals(totals[a.staff_id], records.get(a.staff_id, a.record), cycle.period_end),
        a.ratings) for a in appraisals}
