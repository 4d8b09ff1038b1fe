"""The SLA engine against hand-computed expectations, and its properties (hypothesis).

Dates are of 2026: Monday 5 January; the National Day holiday 1-7 October (``chinesecalendar``);
Saturday 10 October an extra working day. Shanghai is UTC+8 all year; New York moves to UTC-4 on
8 March 2026. Every instant below is written in the calendar's local time and compared in UTC.
"""
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticket import domain, sla
from ticket.bootstrap import official_days_off, official_extra_workdays
from ticket.calendar import BusinessCalendar, every_day, weekdays_only

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
NINE, FIVE_PM, SIX_PM = 9 * 60, 17 * 60, 18 * 60
EVERY_DAY = BusinessCalendar("default", "Asia/Shanghai", every_day(NINE, SIX_PM))
OFFICE = BusinessCalendar("cn-office", "Asia/Shanghai", weekdays_only(NINE, SIX_PM),
                          official_days_off(), official_extra_workdays())
OFFICE_NO_EXTRA_DAYS = BusinessCalendar("plain", "Asia/Shanghai", weekdays_only(NINE, SIX_PM), official_days_off())
NEW_YORK_OFFICE = BusinessCalendar("ny", "America/New_York", weekdays_only(NINE, FIVE_PM))


def local(zone, *fields):
    return datetime(*fields, tzinfo=zone).astimezone(UTC)


def sh(*fields):
    return local(SHANGHAI, *fields)


DEADLINES = [
    # (what, calendar, start, business minutes, expected deadline)
    ("within the day", OFFICE, sh(2026, 1, 5, 10, 0), 120, sh(2026, 1, 5, 12, 0)),
    ("over a night", OFFICE, sh(2026, 1, 5, 17, 0), 120, sh(2026, 1, 6, 10, 0)),
    ("opened at night counts from the opening", OFFICE, sh(2026, 1, 5, 22, 0), 30, sh(2026, 1, 6, 9, 30)),
    ("over a weekend", OFFICE, sh(2026, 1, 9, 17, 30), 60, sh(2026, 1, 12, 9, 30)),
    ("every day: the weekend counts", EVERY_DAY, sh(2026, 1, 9, 17, 30), 60, sh(2026, 1, 10, 9, 30)),
    ("over the National Day holiday", OFFICE, sh(2026, 9, 30, 17, 0), 120, sh(2026, 10, 8, 10, 0)),
    ("on an extra working day", OFFICE, sh(2026, 10, 9, 17, 0), 120, sh(2026, 10, 10, 10, 0)),
    ("without the extra working day", OFFICE_NO_EXTRA_DAYS, sh(2026, 10, 9, 17, 0), 120, sh(2026, 10, 12, 10, 0)),
    ("the budget ends at closing time", OFFICE, sh(2026, 1, 5, 9, 0), 540, sh(2026, 1, 5, 18, 0)),
    ("New York, over the weekend the clocks change", NEW_YORK_OFFICE, local(NEW_YORK, 2026, 3, 6, 16, 0), 120,
     local(NEW_YORK, 2026, 3, 9, 10, 0)),
]


@pytest.mark.parametrize("what, calendar, start, minutes, expected", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_deadlines(what, calendar, start, minutes, expected):
    assert calendar.add_business_minutes(start, minutes) == expected
    assert calendar.business_minutes_between(start, expected) == minutes


def test_new_york_deadline_in_utc_is_hand_computed():
    # Friday 16:00 EST is 21:00 UTC; Monday 10:00 EDT (after the change) is 14:00 UTC
    assert NEW_YORK_OFFICE.add_business_minutes(datetime(2026, 3, 6, 21, 0, tzinfo=UTC), 120) == datetime(
        2026, 3, 9, 14, 0, tzinfo=UTC)


BETWEEN = [
    ("a night", OFFICE, sh(2026, 1, 5, 17, 0), sh(2026, 1, 6, 10, 0), 120),
    ("a weekend", OFFICE, sh(2026, 1, 9, 17, 0), sh(2026, 1, 12, 10, 0), 120),
    ("a whole holiday week", OFFICE, sh(2026, 10, 1, 0, 0), sh(2026, 10, 8, 0, 0), 0),
    ("the extra working Saturday", OFFICE, sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0), 540),
    ("backwards is nothing", OFFICE, sh(2026, 1, 6, 10, 0), sh(2026, 1, 5, 10, 0), 0),
]


@pytest.mark.parametrize("what, calendar, start, end, minutes", BETWEEN, ids=[b[0] for b in BETWEEN])
def test_business_minutes_between(what, calendar, start, end, minutes):
    assert calendar.business_minutes_between(start, end) == minutes


def test_the_seeded_library_knows_2026():
    assert {date(2026, 10, day) for day in range(1, 8)} <= official_days_off()
    assert {date(2026, 10, 10), date(2026, 9, 20)} <= official_extra_workdays()


POLICY = sla.Policy("inquiry", "normal", 120, 1440, "default")


def test_a_pause_spanning_a_night_is_excluded_from_both_clocks():
    opened = sh(2026, 1, 5, 16, 0)
    assert sla.deadline(EVERY_DAY, opened, timedelta(hours=4), ()) == sh(2026, 1, 6, 11, 0)
    # waiting for the customer from 17:00 to 10:00 the next day: 1 h ran before, 3 h after
    pause = sla.Pause(sh(2026, 1, 5, 17, 0), sh(2026, 1, 6, 10, 0))
    assert sla.deadline(EVERY_DAY, opened, timedelta(hours=4), (pause,)) == sh(2026, 1, 6, 13, 0)
    clocks = sla.clocks(EVERY_DAY, POLICY, opened, (pause,))
    # first response 2 h: 1 h before the pause, 1 h after it
    assert clocks["first_response"].due_at == sh(2026, 1, 6, 11, 0)
    # resolution 24 h of business time: 1 h on Monday, 23 h from Tuesday 10:00 (8 h a day)
    assert clocks["resolution"].due_at == sh(2026, 1, 8, 15, 0)
    assert sla.elapsed(EVERY_DAY, opened, sh(2026, 1, 6, 12, 0), (pause,)) == timedelta(hours=3)


def test_while_paused_there_is_no_deadline_and_on_resume_the_rest_of_the_budget_counts():
    opened = sh(2026, 1, 5, 9, 0)
    waiting = sla.Pause(sh(2026, 1, 5, 10, 0))
    assert sla.deadline(EVERY_DAY, opened, timedelta(hours=2), (waiting,)) is None
    resumed = sla.Pause(sh(2026, 1, 5, 10, 0), sh(2026, 1, 5, 15, 0))
    assert sla.deadline(EVERY_DAY, opened, timedelta(hours=2), (resumed,)) == sh(2026, 1, 5, 16, 0)
    # a budget that ran out before the pause began stays where it was
    assert sla.deadline(EVERY_DAY, opened, timedelta(minutes=30), (waiting,)) == sh(2026, 1, 5, 9, 30)


def test_a_policy_change_on_an_open_ticket_moves_its_deadlines():
    opened = sh(2026, 1, 5, 9, 0)
    before = sla.clocks(EVERY_DAY, POLICY, opened, ())
    assert before["first_response"] == sla.Clock(sh(2026, 1, 5, 11, 0), sh(2026, 1, 5, 10, 36))
    urgent = sla.Policy("inquiry", "normal", 15, 240, "default")
    after = sla.clocks(EVERY_DAY, urgent, opened, ())
    assert after["first_response"] == sla.Clock(sh(2026, 1, 5, 9, 15), sh(2026, 1, 5, 9, 12))
    assert after["resolution"].due_at == sh(2026, 1, 5, 13, 0)


def test_a_calendar_change_moves_the_deadline():
    opened = sh(2026, 1, 9, 17, 0)  # a Friday
    assert sla.deadline(EVERY_DAY, opened, timedelta(hours=2), ()) == sh(2026, 1, 10, 10, 0)
    assert sla.deadline(OFFICE, opened, timedelta(hours=2), ()) == sh(2026, 1, 12, 10, 0)


def test_the_stopped_clock_says_whether_it_was_within_the_sla():
    opened = sh(2026, 1, 5, 17, 30)
    assert sla.within(OFFICE, POLICY, "first_response", opened, sh(2026, 1, 6, 10, 30), ()) == (7200, True)
    assert sla.within(OFFICE, POLICY, "first_response", opened, sh(2026, 1, 6, 10, 31), ()) == (7260, False)


def test_an_unassigned_ticket_is_at_risk_from_the_start():
    ticket = domain.Ticket(ticket_id="t1", client_id="c1", category="inquiry", priority="normal", channel="phone",
                           subject="s", state="open", assignee_id=None, opened_at=sh(2026, 1, 5, 9, 0),
                           note_id="n1")
    timed = domain.with_clocks(ticket, EVERY_DAY, POLICY)
    assert timed.at_risk(sh(2026, 1, 5, 9, 0))
    assert domain.next_check_at(timed) == sh(2026, 1, 5, 9, 0)
    assigned = domain.with_clocks(replace(ticket, assignee_id="a1"), EVERY_DAY, POLICY)
    assert not assigned.at_risk(sh(2026, 1, 5, 9, 0))
    assert domain.next_check_at(assigned) == sh(2026, 1, 5, 10, 36)  # 80 % of 2 h


# --- properties --------------------------------------------------------------------------------
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC")


@st.composite
def calendars(draw):
    hours = []
    for _ in range(7):
        if draw(st.booleans()) and len([h for h in hours if h]) < 6:
            opens = draw(st.integers(0, 23 * 60))  # open an hour at least: deadlines stay within years
            hours.append((opens, draw(st.integers(opens + 60, 24 * 60))))
        else:
            hours.append(None)
    if not any(hours):
        hours[0] = (NINE, SIX_PM)
    days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
    holidays = draw(st.frozensets(days, max_size=20))
    workdays = draw(st.frozensets(days, max_size=5)) - holidays
    return BusinessCalendar("p", draw(st.sampled_from(ZONES)), tuple(hours), holidays, workdays)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))
budgets = st.integers(1, 5 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, budgets, instants, st.integers(1, 7 * 24 * 60))
def test_a_deadline_never_moves_earlier_when_a_pause_is_added(calendar, opened, budget, pause_start, minutes):
    pause = sla.Pause(pause_start, pause_start + timedelta(minutes=minutes))
    assert sla.deadline(calendar, opened, budget, (pause,)) >= sla.deadline(calendar, opened, budget, ())


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants, instants)
def test_business_time_is_additive(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    assert (calendar.business_time_between(a, b) + calendar.business_time_between(b, c)
            == calendar.business_time_between(a, c))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, budgets)
def test_a_deadline_falls_inside_opening_hours_and_spends_exactly_the_budget(calendar, start, budget):
    due = calendar.add_business_time(start, budget)
    assert calendar.is_open(due)
    assert calendar.business_time_between(start, due) == budget
