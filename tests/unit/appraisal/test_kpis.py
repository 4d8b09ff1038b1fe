"""KPI raw values from facts, by hand: each KPI, the period's bounds, the staff record."""
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from appraisal.domain.kpis import Certificate, RawValue, StaffRecord, Training, raw_values
from appraisal.event_facts import ticket_fact
from tests.unit.appraisal.events_for_tests import handled_ticket, ticket_event

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 3, 1), date(2026, 3, 31)


def facts(envelopes):
    return [ticket_fact(e["type"].partition(".")[2], e, SHANGHAI) for e in envelopes]


def test_each_ticket_kpi_by_hand():
    stream = (handled_ticket("t1", "ann", "2026-03-02", first_within=True, resolved_within=True, satisfaction=5)
              + handled_ticket("t2", "ann", "2026-03-03", "complaint", first_within=False, resolved_within=True,
                               satisfaction=3, reopened=True)
              + handled_ticket("t3", "ann", "2026-03-04", first_within=True, resolved_within=False)
              + handled_ticket("t4", "bob", "2026-03-04", "complaint", satisfaction=1))
    values = raw_values("ann", facts(stream), None, START, END)
    # first responses: t1, t3 within of t1, t2, t3
    assert values["first_response_compliance"] == RawValue(Fraction(200, 3), 3)
    # resolutions: t1 in, t2 in, t2 again in, t3 late -> 3 of 4
    assert values["resolution_compliance"] == RawValue(Fraction(75), 4)
    assert values["mean_satisfaction"] == RawValue(Fraction(4), 2)
    assert values["complaints_handled"] == RawValue(Fraction(1), 2)  # t2, resolved twice
    assert values["tickets_resolved"] == RawValue(Fraction(3), 4)
    # t2 of t1, t2, t3 reopened
    assert values["reopen_rate"] == RawValue(Fraction(100, 3), 5)
    assert values["training_score"] == RawValue(None, 0)


def test_rates_without_facts_are_not_measured_and_counts_are_zero():
    values = raw_values("nobody", [], None, START, END)
    assert values["first_response_compliance"].value is None and values["mean_satisfaction"].value is None
    assert values["reopen_rate"].value is None
    assert values["tickets_resolved"] == RawValue(Fraction(0), 0)


def test_the_period_is_in_calendar_days_of_the_configured_zone():
    # 2026-03-31T17:00Z is 1 April in Shanghai: outside a March period; 2026-02-28T17:00Z is 1 March
    late = ticket_event("resolved", "t9", "2026-03-31T17:00:00+00:00", "ann", staff_id="ann", within_sla=True,
                        business_seconds=1)
    early = ticket_event("resolved", "t8", "2026-02-28T17:00:00+00:00", "ann", staff_id="ann", within_sla=True,
                         business_seconds=1)
    assert raw_values("ann", facts([late, early]), None, START, END)["tickets_resolved"].value == 1


def test_the_latest_satisfaction_of_a_ticket_counts():
    first = ticket_event("satisfaction_recorded", "t1", "2026-03-02T05:00:00+00:00", "ann", staff_id="ann", score=2)
    again = ticket_event("satisfaction_recorded", "t1", "2026-03-05T05:00:00+00:00", "ann", staff_id="ann", score=4)
    for stream in ([first, again], [again, first]):
        assert raw_values("ann", facts(stream), None, START, END)["mean_satisfaction"] == RawValue(Fraction(4), 1)


def test_training_scores_and_certificates_from_the_staff_record():
    record = StaffRecord("ann", "active", certificates=(
        Certificate("CS-1", date(2020, 1, 1), None),
        Certificate("CS-2", date(2020, 1, 1), date(2026, 3, 30)),  # expired before the period ended
        Certificate("CS-3", date(2026, 4, 2), None)),  # not yet issued
        trainings=(Training("culture", 50), Training("culture", 80), Training("service_process", 90)))
    values = raw_values("ann", [], record, START, END)
    assert values["training_score"] == RawValue(Fraction(85), 3)  # best per module: 80, 90
    assert values["certificates_held"] == RawValue(Fraction(1), 3)


def test_a_fact_is_attributed_to_the_staff_id_else_to_the_assignee():
    at = datetime(2026, 3, 2, tzinfo=SHANGHAI).isoformat()
    breach = ticket_event("sla_breached", "t1", at, "ann", kind="resolution",
                          due_at=(datetime(2026, 3, 2) + timedelta(hours=4)).isoformat() + "+00:00")
    assert facts([breach])[0].staff_id == "ann"
