"""The demo's script: realistic invented data the services accept, and a day that exercises what it
claims to (screening, failed assessments, breaches only where the one-minute policy applies)."""
from collections import Counter
from datetime import UTC, date, datetime

from anchang_cli.demo import script as story
from client_vault import schemas as client_schemas
from staff.domain import EDUCATION_LEVELS


def day(seed=11, **sizes):
    return story.write("abcd", seed, today=date(2026, 3, 2), now=datetime(2026, 3, 2, 8, 30, tzinfo=UTC), **sizes)


def test_the_same_seed_writes_the_same_day():
    first, second = day(), day()
    assert first.clients == second.clients and first.tickets == second.tickets
    assert day(seed=12).clients != first.clients


def test_clients_are_valid_chinese_profiles_but_the_bad_rows():
    script = day()
    for profile in script.clients + script.walk_ins:
        client_schemas.parse_profile(profile)  # raises ValidationError on anything the service refuses
        assert all("\u4e00" <= ch <= "\u9fff" or ch == "·" for ch in profile["name"])
    phones = [client_schemas.parse_profile(p).phone for p in script.clients + script.walk_ins]
    assert len(set(phones)) == len(phones)
    for bad in script.bad_rows:
        try:
            client_schemas.parse_profile(bad)
        except Exception as error:  # noqa: BLE001 - any refusal will do
            assert type(error).__name__ == "ValidationError"
        else:
            raise AssertionError(f"accepted: {sorted(bad)}")


def test_candidates_are_screened_out_and_fail_as_planned():
    script = day(agents=8)
    assert Counter(c.eligible for c in script.agents)[False] == 3
    assert sum(1 for c in script.agents if c.eligible and not c.passes) == 2
    assert all(c.education in EDUCATION_LEVELS for c in script.agents + script.supervisors)


def test_every_category_has_at_least_two_agents():
    skills = Counter(category for index in range(4) for category in story.skills(index))
    assert set(skills) == set(story.CATEGORIES) and min(skills.values()) >= 2


def test_only_urgent_repairs_are_late_and_none_is_left_open():
    script = day(tickets=400)
    urgent = [t for t in script.tickets if t.urgent_repair]
    assert urgent and any(t.late for t in urgent) and not all(t.late for t in urgent)
    assert not any(t.stays_open or t.stays_waiting or t.pause for t in urgent)
    assert not any(t.late for t in script.tickets if not t.urgent_repair)
    walk_ins = range(len(script.clients), len(script.clients) + len(script.walk_ins))
    assert all(t.client in walk_ins for t in urgent)
    assert {t.category for t in script.tickets} == set(story.CATEGORIES)
