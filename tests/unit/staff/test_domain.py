from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff import domain
from staff.domain import (
    Applicant,
    Criterion,
    LoginLockout,
    Requirements,
    Scorecard,
    age_on,
    all_modules_passed,
    certificate_expiring,
    decide,
    password_problems,
    score_problems,
    screen,
    training_passed,
    weighted_percent,
)

TODAY = date(2025, 6, 15)
REQ = Requirements(min_age=18, max_age=35, min_education="college")


def applicant(birth_date=date(2000, 1, 1), education="bachelor", major=None, certificates=()):
    return Applicant(birth_date, education, major, frozenset(certificates))


def codes(reasons):
    return [r.code for r in reasons]


# --- age -----------------------------------------------------------------------------------

@pytest.mark.parametrize("birth, on, age", [
    (date(2000, 6, 15), date(2025, 6, 14), 24),
    (date(2000, 6, 15), date(2025, 6, 15), 25),
    (date(2000, 12, 31), date(2001, 1, 1), 0),
    # Born on 29 February: a year older on 1 March in non-leap years, on 29 Feb in leap years.
    (date(2004, 2, 29), date(2022, 2, 28), 17),
    (date(2004, 2, 29), date(2022, 3, 1), 18),
    (date(2004, 2, 29), date(2024, 2, 28), 19),
    (date(2004, 2, 29), date(2024, 2, 29), 20),
])
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


def test_feb_29_birthday_eligible_from_1_march_in_non_leap_year():
    born = date(2004, 2, 29)
    assert codes(screen(REQ, applicant(born), date(2022, 2, 28))) == ["age"]
    assert screen(REQ, applicant(born), date(2022, 3, 1)) == []


# --- eligibility ---------------------------------------------------------------------------

def test_age_boundary_at_min_age():
    born = date(TODAY.year - 18, TODAY.month, TODAY.day)  # turns 18 on TODAY
    assert codes(screen(REQ, applicant(born), TODAY - timedelta(days=1))) == ["age"]
    assert screen(REQ, applicant(born), TODAY) == []


def test_age_boundary_at_max_age_plus_one():
    born = date(TODAY.year - 36, TODAY.month, TODAY.day)  # turns 36 (max_age + 1) on TODAY
    assert screen(REQ, applicant(born), TODAY - timedelta(days=1)) == []
    assert codes(screen(REQ, applicant(born), TODAY)) == ["age"]


def test_age_reason_names_the_required_range():
    [reason] = screen(REQ, applicant(date(2010, 1, 1)), TODAY)
    assert reason.code == "age"
    assert "18" in reason.message and "35" in reason.message


@pytest.mark.parametrize("level", domain.EDUCATION_LEVELS)
def test_each_education_level_against_college(level):
    reasons = screen(REQ, applicant(education=level), TODAY)
    meets = domain.EDUCATION_LEVELS.index(level) >= domain.EDUCATION_LEVELS.index("college")
    assert codes(reasons) == ([] if meets else ["education"])
    if not meets:
        assert "college" in reasons[0].message


def test_missing_certificates_give_one_reason_each():
    req = Requirements(18, 35, "high_school",
                       certificates=frozenset({"first_aid", "cs_level2", "fire"}))
    reasons = screen(req, applicant(certificates={"fire", "driving"}), TODAY)
    assert codes(reasons) == ["certificate", "certificate"]
    assert "cs_level2" in reasons[0].message
    assert "first_aid" in reasons[1].message


def test_all_certificates_held():
    req = Requirements(18, 35, "high_school", certificates=frozenset({"first_aid"}))
    assert screen(req, applicant(certificates={"first_aid", "fire"}), TODAY) == []


def test_wrong_or_missing_major():
    req = Requirements(18, 35, "college", majors=frozenset({"Hospitality", "Marketing"}))
    assert codes(screen(req, applicant(major="Physics"), TODAY)) == ["major"]
    assert codes(screen(req, applicant(major=None), TODAY)) == ["major"]


def test_major_comparison_ignores_case_and_whitespace():
    req = Requirements(18, 35, "college", majors=frozenset({"Hospitality Management"}))
    assert screen(req, applicant(major="  hospitality management "), TODAY) == []


def test_empty_majors_accept_any_major():
    assert screen(REQ, applicant(major="Anything"), TODAY) == []
    assert screen(REQ, applicant(major=None), TODAY) == []


def test_several_failures_give_several_reasons():
    req = Requirements(18, 35, "bachelor", majors=frozenset({"Marketing"}),
                       certificates=frozenset({"a", "b"}))
    reasons = screen(req, applicant(date(1970, 1, 1), "high_school", "Physics", {"a"}), TODAY)
    assert codes(reasons) == ["age", "education", "major", "certificate"]
    assert all(r.message for r in reasons)


# --- assessment ----------------------------------------------------------------------------

CARD = Scorecard(
    criteria=(
        Criterion("communication", "Communication", 40, 10),
        Criterion("knowledge", "Business knowledge", 35, 5),
        Criterion("attitude", "Service attitude", 25, 20),
    ),
    pass_score=70,
    min_assessors=3,
)


def test_weighted_percent():
    # 40*8/10 + 35*4/5 + 25*10/20 = 32 + 28 + 12.5
    assert weighted_percent(CARD, {"communication": 8, "knowledge": 4, "attitude": 10}) == 72.5
    assert weighted_percent(CARD, {"communication": 10, "knowledge": 5, "attitude": 20}) == 100
    assert weighted_percent(CARD, {"communication": 0, "knowledge": 0, "attitude": 0}) == 0


def test_decide_with_several_assessors():
    assessments = [
        {"communication": 8, "knowledge": 4, "attitude": 10},    # 32 + 28 + 12.5  = 72.5
        {"communication": 6, "knowledge": 3, "attitude": 15},    # 24 + 21 + 18.75 = 63.75
        {"communication": 9.5, "knowledge": 5, "attitude": 17},  # 38 + 35 + 21.25 = 94.25
    ]
    # mean = 230.5 / 3 = 76.8333...
    assert decide(CARD, assessments) == domain.Decision("pass", 76.83, 3)


def test_decide_pass_at_exactly_pass_score_and_fail_below():
    low = {"communication": 5, "knowledge": 5, "attitude": 10}   # 20 + 35 + 12.5 = 67.5
    mid = {"communication": 7, "knowledge": 3, "attitude": 16}   # 28 + 21 + 20   = 69
    high = {"communication": 10, "knowledge": 3, "attitude": 10}  # 40 + 21 + 12.5 = 73.5
    assert decide(CARD, [low, mid, high]) == domain.Decision("pass", 70.0, 3)
    assert decide(CARD, [low, low, mid]) == domain.Decision("fail", 68.0, 3)


def test_pending_below_min_assessors():
    one = {"communication": 10, "knowledge": 5, "attitude": 20}
    assert decide(CARD, []) == domain.Decision("pending", None, 0)
    assert decide(CARD, [one, one]) == domain.Decision("pending", None, 2)
    assert decide(CARD, [one, one, one]) == domain.Decision("pass", 100.0, 3)


def _assessment(card):
    return st.fixed_dictionaries({
        c.key: st.floats(0, c.max_score, allow_nan=False) | st.integers(0, c.max_score)
        for c in card.criteria
    })


@given(st.lists(_assessment(CARD), min_size=3, max_size=7).flatmap(
    lambda xs: st.tuples(st.just(xs), st.permutations(xs))))
def test_decide_does_not_depend_on_order(pair):
    original, permuted = pair
    assert decide(CARD, permuted) == decide(CARD, original)


def test_score_problems():
    assert score_problems(CARD, {"communication": 8, "knowledge": 4.5, "attitude": 0}) == {}
    problems = score_problems(CARD, {"knowledge": 6, "attitude": True, "foo": 1})
    assert problems == {
        "scores.communication": "missing",
        "scores.knowledge": "must be between 0 and 5",
        "scores.attitude": "must be a number",
        "scores.foo": "unknown criterion",
    }


@pytest.mark.parametrize("bad", ["7", None, float("nan"), float("inf"), -0.5, 10.01, [1]])
def test_score_problems_bad_values(bad):
    scores = {"communication": bad, "knowledge": 4, "attitude": 10}
    assert list(score_problems(CARD, scores)) == ["scores.communication"]


def test_score_problems_never_names_odd_keys():
    problems = score_problems(CARD, {"communication": 8, "knowledge": 4, "attitude": 0,
                                     "13800138000": 1})
    assert problems == {"scores": "has keys that are not criteria of this position"}
    assert score_problems(CARD, ["communication"]) == {
        "scores": "must be an object mapping each criterion key to a number"}


# --- passwords, training -------------------------------------------------------------------

def test_password_accepted():
    assert password_problems("correct horse 42", "zhang.wei") == []


@pytest.mark.parametrize("password, problem", [
    ("abc12345", "must be at least 10 characters long"),
    ("abcdefghijk", "must contain at least one digit"),
    ("1234567890", "must contain at least one letter"),
    ("my-Zhang.Wei-2025", "must not contain the username"),
])
def test_password_policy(password, problem):
    problems = password_problems(password, "zhang.wei")
    assert problems == [problem]
    assert all(password not in p for p in problems)


def test_password_with_many_problems():
    assert len(password_problems("abc", "abc")) == 3  # too short, no digit, contains username


def test_password_length_boundary():
    assert password_problems("abcdefgh12", "someone") == []
    assert password_problems("abcdefgh1", "someone") == ["must be at least 10 characters long"]


def test_training():
    assert training_passed(60, domain.DEFAULT_PASS_MARK)
    assert not training_passed(59.99, domain.DEFAULT_PASS_MARK)
    assert training_passed(75, 75) and not training_passed(74, 75)
    assert all_modules_passed(["privacy_security", "culture", "service_process", "extra"])
    assert not all_modules_passed(["culture", "service_process"])
    assert not all_modules_passed([])


# --- login lockout -------------------------------------------------------------------------

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_no_lock_below_max_failures():
    lockout = LoginLockout()
    assert lockout.locked_until([T0 + i * MIN for i in range(4)], T0 + 5 * MIN) is None


def test_lock_after_five_failures_within_window():
    lockout = LoginLockout()
    failures = [T0 + i * MIN for i in range(5)]  # last at T0 + 4 min
    until = T0 + 4 * MIN + timedelta(minutes=15)
    assert lockout.locked_until(failures, T0 + 4 * MIN) == until
    assert lockout.locked_until(failures, until - timedelta(seconds=1)) == until
    assert lockout.locked_until(failures, until) is None  # over at exactly that instant


def test_window_edges():
    lockout = LoginLockout()
    just_inside = [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 15 * MIN - timedelta(seconds=1)]
    just_outside = [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 15 * MIN]
    now = T0 + 15 * MIN
    assert lockout.locked_until(just_inside, now) is not None
    assert lockout.locked_until(just_outside, now) is None


def test_old_failures_outside_window_do_not_count():
    lockout = LoginLockout()
    failures = [T0, T0 + MIN] + [T0 + 40 * MIN + i * MIN for i in range(3)]
    assert lockout.locked_until(failures, T0 + 43 * MIN) is None


def test_lock_from_unsorted_failures_and_custom_policy():
    lockout = LoginLockout(max_failures=3, window=timedelta(minutes=5), lock_for=timedelta(hours=1))
    failures = [T0 + 4 * MIN, T0, T0 + 2 * MIN]
    assert lockout.locked_until(failures, T0 + 10 * MIN) == T0 + 4 * MIN + timedelta(hours=1)


# --- certificates --------------------------------------------------------------------------

@pytest.mark.parametrize("expires_on, expiring", [
    (None, False),
    (TODAY - timedelta(days=1), False),  # already expired
    (TODAY, True),
    (TODAY + timedelta(days=30), True),
    (TODAY + timedelta(days=31), False),
])
def test_certificate_expiring(expires_on, expiring):
    assert certificate_expiring(expires_on, TODAY) is expiring


def test_certificate_expiring_custom_horizon():
    assert certificate_expiring(TODAY + timedelta(days=7), TODAY, days_ahead=7)
    assert not certificate_expiring(TODAY + timedelta(days=8), TODAY, days_ahead=7)


def test_nobody_raises_their_own_rights_an_admin_included():
    assert domain.roles_raised(("admin",), ("admin", "supervisor")) == {"supervisor"}
    assert domain.roles_raised(("admin",), ("admin", "auditor")) == set()  # admin holds its rights
    assert domain.roles_raised(("admin",), ("agent",)) == set()
    assert domain.roles_raised(("hr", "agent"), ("agent",)) == set()
    assert domain.roles_raised(("agent",), ("agent", "hr")) == {"hr"}
