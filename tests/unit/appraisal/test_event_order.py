"""Feeding the same ticket events twice, in reverse, or in any order and with any duplicates gives
the same scorecards: a property test over shuffled and duplicated streams, through the service's
own handlers and storage (each stream in a database of its own)."""
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool

from appraisal.default_template import DEFAULT_TEMPLATE
from tests.unit.appraisal.conftest import make_world, principal
from tests.unit.appraisal.events_for_tests import feed, handled_ticket

AGENTS = ("ann", "bob", "cai")
BOSS = principal("boss", "supervisor")
ADMIN = principal("root", "admin")
CYCLE = {"code": "2026-03", "period_start": "2026-03-01", "period_end": "2026-03-31", "template_code": "default"}

tickets = st.lists(st.tuples(
    st.sampled_from(AGENTS),
    st.dates(date(2026, 2, 27), date(2026, 4, 2)),  # some outside the period
    st.sampled_from(("inquiry", "complaint", "repair")),
    st.booleans(), st.booleans(),
    st.one_of(st.none(), st.integers(1, 5)),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 5)),
), min_size=1, max_size=8)


def stream_of(drawn):
    events = []
    for number, (agent, day, category, first_within, resolved_within, satisfaction, reopened, resurvey) in (
            enumerate(drawn)):
        events += handled_ticket(f"t{number}", agent, day.isoformat(), category, first_within, resolved_within,
                                 satisfaction, reopened, resurvey)
    return events


def scorecards_after(envelopes):
    """Each agent's scorecard in a fresh database fed ``envelopes`` in the order given."""
    engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    world = make_world(engine)
    try:
        for agent in AGENTS:
            world.staff.add(agent)
        world.as_(ADMIN).create_template(DEFAULT_TEMPLATE)
        world.as_(BOSS).open_cycle(CYCLE)
        feed(world, envelopes)
        return {agent: world.as_(BOSS).get_scorecard("2026-03", agent) for agent in AGENTS}
    finally:
        world.session.close()
        engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets, st.data())
def test_any_order_and_any_duplicates_give_the_same_scorecards(drawn, data):
    stream = stream_of(drawn)
    in_order = scorecards_after(stream)
    shuffled = data.draw(st.permutations(stream))
    duplicates = data.draw(st.lists(st.sampled_from(stream), max_size=len(stream)))
    positions = data.draw(st.lists(st.integers(0, len(stream)), min_size=len(duplicates), max_size=len(duplicates)))
    for envelope, position in zip(duplicates, positions, strict=True):
        shuffled.insert(position, envelope)
    assert scorecards_after(shuffled) == in_order
    assert scorecards_after(list(reversed(stream)) + stream) == in_order


def test_the_property_has_something_to_compare():
    """A stream whose scorecards differ from the empty stream's: the comparison above is not vacuous."""
    stream = stream_of([("ann", date(2026, 3, 3), "complaint", True, False, 2, True, 4)])
    cards = scorecards_after(stream)
    assert cards != scorecards_after([])
    kpis = {k["key"]: k for d in cards["ann"]["dimensions"] for k in d["kpis"]}
    assert kpis["tickets_resolved"]["raw"] == 1 and kpis["reopen_rate"]["raw"] == 100
    assert kpis["resolution_compliance"]["events"] == 2 and kpis["mean_satisfaction"]["raw"] == 4
    assert scorecards_after(stream + stream) == cards
    assert scorecards_after(list(reversed(stream))) == cards


def test_a_day_later_is_another_day():
    """Facts are counted on their day: moving one out of the period changes the scorecard."""
    inside = stream_of([("ann", date(2026, 3, 31), "inquiry", True, True, None, False, None)])
    outside = stream_of([("ann", date(2026, 3, 31) + timedelta(days=1), "inquiry", True, True, None, False, None)])
    assert scorecards_after(inside) != scorecards_after(outside)
