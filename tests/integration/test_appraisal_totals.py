"""A scorecard's ticket totals summed by the database (``AppraisalStorage.ticket_totals``, one
statement) are the totals the domain defines over the facts themselves (``kpis.ticket_totals``):
a property test over drawn facts (any member, kind, day in or out of the period, duplicate tickets,
ties in time, surveys without a score), on SQLite and PostgreSQL through the service's migrations."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from appraisal.domain import kpis
from appraisal.storage import AppraisalStorage

MEMBERS = ("ann", "bob", "cai")
START, END = date(2026, 3, 1), date(2026, 3, 31)
NOON = datetime(2026, 3, 1, 4, tzinfo=UTC)

facts = st.lists(st.builds(
    lambda member, kind, ticket, day, minute, within, category, score: dict(
        kind=kind, ticket_id=f"t{ticket}", staff_id=member, day=day,
        occurred_at=NOON + timedelta(days=(day - START).days, minutes=minute), category=category,
        within_sla=within, score=score),
    st.sampled_from(MEMBERS[:2] + (None,)),
    st.sampled_from(kpis.KPI_EVENTS + ("closed",)),
    st.integers(0, 3),  # few tickets: each resolved, reopened and surveyed more than once
    st.sampled_from((START - timedelta(days=1), START, START + timedelta(days=1), END, END + timedelta(days=1))),
    st.integers(0, 1),  # two minutes: ties in time, broken by the event id
    st.one_of(st.none(), st.booleans()),
    st.sampled_from(("inquiry", "complaint", "repair", None)),
    st.one_of(st.none(), st.integers(1, 5)),
), max_size=50)


@pytest.fixture
def storage(database_url):
    engine = sa.create_engine(database_url("appraisal"))
    with Session(engine) as session:
        yield AppraisalStorage(session)
    engine.dispose()


def store_only(storage, drawn):
    """The drawn facts, each with an event id of its own, as the only facts of the store."""
    session = storage.session
    session.execute(sa.text("DELETE FROM ticket_facts"))
    stored = [kpis.TicketFact(event_id=f"{number:04x}", **fields) for number, fields in enumerate(drawn)]
    for fact in stored:
        storage.add_ticket_fact(fact)
    session.flush()
    return stored


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=facts)
def test_the_store_sums_what_the_domain_defines(storage, drawn):
    stored = store_only(storage, drawn)
    summed = storage.ticket_totals(list(MEMBERS) + ["nobody"], START, END)
    for member in MEMBERS + ("nobody",):
        assert summed[member] == kpis.ticket_totals(member, stored, START, END), member


def test_a_busy_period_is_counted_fact_by_fact(storage):
    """By hand: two resolutions of one complaint, a reopening by someone else, the newest of three
    surveys of a ticket (two at the same time), and facts outside the period or of another member
    left out."""
    def fact(kind, ticket, day=5, member="ann", minute=0, **fields):
        return dict(kind=kind, ticket_id=ticket, staff_id=member, day=START + timedelta(days=day),
                    occurred_at=NOON + timedelta(days=day, minutes=minute), **fields)
    stored = store_only(storage, [
        fact("first_responded", "t1", within_sla=True), fact("first_responded", "t2", within_sla=False),
        fact("resolved", "t1", category="complaint", within_sla=True),
        fact("reopened", "t1", member="bob", minute=5),
        fact("resolved", "t1", category="complaint", within_sla=False, minute=9),
        fact("resolved", "t2", category="inquiry", within_sla=True),
        fact("satisfaction_recorded", "t1", score=2), fact("satisfaction_recorded", "t1", score=4, minute=9),
        fact("satisfaction_recorded", "t1", score=5, minute=9),  # same time: the later event id wins
        fact("satisfaction_recorded", "t2"),  # no score: not a survey
        fact("resolved", "t3", day=-1, within_sla=True),  # before the period
        fact("resolved", "t4", member="bob", within_sla=True),
    ])
    expected = kpis.TicketTotals(responded=2, responded_within=1, resolutions=3, resolutions_within=2,
                                 resolved_tickets=2, complaint_resolutions=2, complaint_tickets=1, reopenings=1,
                                 reopened_tickets=1, surveys=1, survey_score_sum=5)
    assert storage.ticket_totals(["ann"], START, END)["ann"] == expected
    assert kpis.ticket_totals("ann", stored, START, END) == expected
