import copy
from datetime import date

import pytest

from anchang_common.errors import ValidationError
from staff import domain, schemas
from staff.domain import Applicant, Criterion, Requirements, Scorecard

TODAY = date(2025, 6, 15)


def position(**changes):
    data = {
        "code": "sales-agent_01",
        "title": "Sales site service agent",
        "requirements": {"min_age": 18, "max_age": 35, "min_education": "college",
                         "majors": ["Hospitality", "Marketing"], "certificates": ["first_aid"]},
        "scorecard": {
            "criteria": [
                {"key": "communication", "label": "Communication", "weight": 60, "max_score": 10},
                {"key": "knowledge", "label": "Business knowledge", "weight": 40, "max_score": 5},
            ],
            "pass_score": 70,
            "min_assessors": 2,
        },
    }
    data.update(changes)
    return data


def candidate(**changes):
    data = {"name": "Zhang Wei", "birth_date": "2000-02-29", "education": "bachelor",
            "major": "Marketing", "certificates": ["first_aid"]}
    data.update(changes)
    return data


def errors(parse, *args):
    with pytest.raises(ValidationError) as info:
        parse(*args)
    return info.value.errors, str(info.value)


def assert_not_echoed(message, *values):
    """Every value is checked, however short (``李`` is a whole surname): pass only values that
    cannot occur in a message by themselves (not ``5`` or ``a``)."""
    for value in values:
        assert str(value) not in message, value


def assert_long_values_not_echoed(message, *values):
    """For the field-by-field cases, whose values include ``5`` and ``a``: values of 4 or more
    characters only (the personal-data test above checks every value)."""
    for value in values:
        if len(str(value).strip()) >= 4:
            assert str(value) not in message


# --- positions -----------------------------------------------------------------------------

def test_parse_position():
    code, title, requirements, scorecard = schemas.parse_position(position())
    assert code == "sales-agent_01"
    assert title == "Sales site service agent"
    assert requirements == Requirements(18, 35, "college", frozenset({"Hospitality", "Marketing"}),
                                        frozenset({"first_aid"}))
    assert scorecard == Scorecard(
        (Criterion("communication", "Communication", 60, 10),
         Criterion("knowledge", "Business knowledge", 40, 5)),
        70.0, 2)


def test_parse_position_optional_lists_default_to_empty():
    data = position()
    del data["requirements"]["majors"], data["requirements"]["certificates"]
    _, _, requirements, _ = schemas.parse_position(data)
    assert requirements.majors == frozenset() and requirements.certificates == frozenset()


def _set(data, path, value):
    """Set a value at a path like ("scorecard", "criteria", 1, "weight")."""
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@pytest.mark.parametrize("path, value, field", [
    (("code",), "Bad Code!", "position.code"),
    (("code",), "a", "position.code"),
    (("code",), "x" * 65, "position.code"),
    (("code",), "ok\n", "position.code"),
    (("title",), "   ", "position.title"),
    (("title",), "T" * 201, "position.title"),
    (("requirements",), "adults", "position.requirements"),
    (("requirements", "min_age"), 15, "position.requirements.min_age"),
    (("requirements", "min_age"), "18", "position.requirements.min_age"),
    (("requirements", "max_age"), 71, "position.requirements.max_age"),
    (("requirements", "max_age"), 17, "position.requirements.max_age"),  # below min_age
    (("requirements", "min_education"), "kindergarten", "position.requirements.min_education"),
    (("requirements", "majors"), "Marketing", "position.requirements.majors"),
    (("requirements", "certificates", 0), "", "position.requirements.certificates[0]"),
    (("scorecard", "criteria"), [], "position.scorecard.criteria"),
    (("scorecard", "criteria", 0), "communication", "position.scorecard.criteria[0]"),
    (("scorecard", "criteria", 1, "key"), "communication", "position.scorecard.criteria[1].key"),
    (("scorecard", "criteria", 1, "key"), "Has Space", "position.scorecard.criteria[1].key"),
    (("scorecard", "criteria", 1, "label"), None, "position.scorecard.criteria[1].label"),
    (("scorecard", "criteria", 1, "weight"), 0, "position.scorecard.criteria[1].weight"),
    (("scorecard", "criteria", 1, "weight"), 40.0, "position.scorecard.criteria[1].weight"),
    (("scorecard", "criteria", 1, "weight"), 30, "position.scorecard.criteria"),  # sum 90
    (("scorecard", "criteria", 1, "max_score"), True, "position.scorecard.criteria[1].max_score"),
    (("scorecard", "pass_score"), 100.5, "position.scorecard.pass_score"),
    (("scorecard", "pass_score"), float("nan"), "position.scorecard.pass_score"),
    (("scorecard", "min_assessors"), 0, "position.scorecard.min_assessors"),
])
def test_parse_position_names_the_bad_field(path, value, field):
    data = copy.deepcopy(position())
    _set(data, path, value)
    problems, message = errors(schemas.parse_position, data)
    assert list(problems) == [field]
    assert field in message
    assert_long_values_not_echoed(message, value)


def test_weights_sum_problem_names_the_sum():
    data = position()
    data["scorecard"]["criteria"][1]["weight"] = 30
    problems, _ = errors(schemas.parse_position, data)
    assert problems == {"position.scorecard.criteria": "weights must sum to 100, not 90"}


def test_parse_position_reports_every_bad_field_at_once():
    data = position(code="-BAD", title="")
    data["requirements"]["min_age"] = 10
    data["scorecard"]["criteria"][1]["weight"] = -1
    del data["scorecard"]["min_assessors"]
    problems, message = errors(schemas.parse_position, data)
    assert set(problems) == {
        "position.code", "position.title", "position.requirements.min_age",
        "position.scorecard.criteria[1].weight", "position.scorecard.min_assessors"}
    assert all(field in message for field in problems)


@pytest.mark.parametrize("data, field", [
    (None, "position"), ([], "position"), ({}, "position.code")])
def test_parse_position_not_an_object(data, field):
    problems, _ = errors(schemas.parse_position, data)
    assert field in problems


# --- candidates ----------------------------------------------------------------------------

def test_parse_candidate():
    name, applicant = schemas.parse_candidate(candidate(), TODAY)
    assert name == "Zhang Wei"
    assert applicant == Applicant(date(2000, 2, 29), "bachelor", "Marketing",
                                  frozenset({"first_aid"}))


def test_parse_candidate_optional_fields():
    data = candidate()
    del data["major"], data["certificates"]
    _, applicant = schemas.parse_candidate(data, TODAY)
    assert applicant.major is None and applicant.certificates == frozenset()


@pytest.mark.parametrize("field, value", [
    ("name", ""),
    ("name", "N" * 101),
    ("name", 42),
    ("birth_date", "2001-02-29"),   # not a leap year
    ("birth_date", "15/06/2000"),
    ("birth_date", "20000615"),
    ("birth_date", "2025-06-16"),   # tomorrow
    ("birth_date", None),
    ("education", "phd"),
    ("major", ""),
    ("major", 7),
    ("certificates", "first_aid"),
    ("certificates", ["first_aid", ""]),
])
def test_parse_candidate_names_the_bad_field(field, value):
    problems, message = errors(schemas.parse_candidate, candidate(**{field: value}), TODAY)
    [path] = problems
    assert path.startswith(f"candidate.{field}")
    assert path in message
    assert_long_values_not_echoed(message, value)


def test_birth_date_today_is_accepted():
    _, applicant = schemas.parse_candidate(candidate(birth_date="2025-06-15"), TODAY)
    assert applicant.birth_date == TODAY


def test_candidate_errors_never_contain_personal_data():
    data = candidate(name="李" * 101, birth_date="1990-13-45", education="小学",
                     major="M" * 201, certificates=["ID 110101199003071234", ""])
    problems, message = errors(schemas.parse_candidate, data, TODAY)
    assert set(problems) == {"candidate.name", "candidate.birth_date", "candidate.education",
                             "candidate.major", "candidate.certificates[1]"}
    assert_not_echoed(message, "李", "1990", "13-45", "小学", "MMM", "110101199003071234")


# --- scores --------------------------------------------------------------------------------

CARD = Scorecard((Criterion("communication", "Communication", 60, 10),
                  Criterion("knowledge", "Knowledge", 40, 5)), 70, 2)


def test_parse_scores():
    assert schemas.parse_scores(CARD, {"communication": 7, "knowledge": 4.5}) == {
        "communication": 7.0, "knowledge": 4.5}


def test_parse_scores_reports_every_problem():
    problems, message = errors(schemas.parse_scores, CARD, {"knowledge": 9.75, "foo": 1})
    assert problems == {"scores.communication": "missing",
                        "scores.knowledge": "must be between 0 and 5",
                        "scores.foo": "unknown criterion"}
    assert_not_echoed(message, "9.75")


# --- hiring and accounts -------------------------------------------------------------------

def test_parse_hire():
    assert schemas.parse_hire("zhang.wei", "correct horse 42", ["supervisor", "agent"], None) == (
        "zhang.wei", ("agent", "supervisor"), domain.TICKET_CATEGORIES)
    assert schemas.parse_hire("li_na", "Secret-pass-9", ["agent"], ["repair", "inquiry"]) == (
        "li_na", ("agent",), ("inquiry", "repair"))


@pytest.mark.parametrize("args, field", [
    (("Zhang", "correct horse 42", ["agent"], None), "username"),
    (("zw", "correct horse 42", ["agent"], None), "username"),
    (("9lives", "correct horse 42", ["agent"], None), "username"),
    (("zhang.wei", "short1", ["agent"], None), "password"),
    (("zhang.wei", "Zhang.Wei.2025!", ["agent"], None), "password"),
    (("zhang.wei", None, ["agent"], None), "password"),
    (("zhang.wei", "correct horse 42", [], None), "roles"),
    (("zhang.wei", "correct horse 42", "agent", None), "roles"),
    (("zhang.wei", "correct horse 42", ["agent", "root"], None), "roles[1]"),
    (("zhang.wei", "correct horse 42", ["agent"], []), "skills"),
    (("zhang.wei", "correct horse 42", ["agent"], ["billing"]), "skills[0]"),
])
def test_parse_hire_names_the_bad_field(args, field):
    problems, message = errors(schemas.parse_hire, *args)
    assert list(problems) == [field]
    assert field in message
    assert_long_values_not_echoed(message, args[1])


def test_parse_hire_reports_every_bad_field_and_never_the_password():
    problems, message = errors(schemas.parse_hire, "X", "hunter2", ["god"], ["billing"])
    assert set(problems) == {"username", "password", "roles[0]", "skills[0]"}
    assert "hunter2" not in message
    assert "must be at least 10 characters long" in problems["password"]


def test_parse_training():
    assert schemas.parse_training("culture", 59.5) == ("culture", 59.5)
    problems, _ = errors(schemas.parse_training, "cooking", 101)
    assert set(problems) == {"module_code", "score"}
    problems, _ = errors(schemas.parse_training, "culture", "90")
    assert set(problems) == {"score"}


def test_parse_certificate():
    assert schemas.parse_certificate({"code": "first_aid", "name": "First aid",
                                      "issued_on": "2024-01-31", "expires_on": "2027-01-31"}) == (
        domain.CertificateRecord("first_aid", "First aid", date(2024, 1, 31), date(2027, 1, 31)))
    assert schemas.parse_certificate({"code": "CS-1", "name": "n", "issued_on": "2024-01-31"}
                                     ).expires_on is None


@pytest.mark.parametrize("changes, field", [
    ({"code": ""}, "certificate.code"),
    ({"code": "first aid"}, "certificate.code"),
    ({"name": None}, "certificate.name"),
    ({"issued_on": "yesterday"}, "certificate.issued_on"),
    ({"expires_on": "2024-02-30"}, "certificate.expires_on"),
    ({"expires_on": "2024-01-31"}, "certificate.expires_on"),  # same day as issued
    ({"expires_on": "2023-12-31"}, "certificate.expires_on"),
])
def test_parse_certificate_names_the_bad_field(changes, field):
    data = {"code": "first_aid", "name": "First aid", "issued_on": "2024-01-31", **changes}
    problems, message = errors(schemas.parse_certificate, data)
    assert list(problems) == [field]
    assert field in message
    assert_long_values_not_echoed(message, *changes.values())


def test_parse_certificate_reports_every_bad_field():
    problems, _ = errors(schemas.parse_certificate, {"issued_on": "2024-1-1", "expires_on": 5})
    assert set(problems) == {"certificate.code", "certificate.name", "certificate.issued_on",
                             "certificate.expires_on"}


def test_parse_roles_status_category():
    assert schemas.parse_roles(["admin", "hr", "admin"]) == ("hr", "admin")
    assert schemas.parse_status("suspended") == "suspended"
    assert schemas.parse_category("after_sales") == "after_sales"
    assert list(errors(schemas.parse_roles, ["superuser"])[0]) == ["roles[0]"]
    assert list(errors(schemas.parse_status, "fired")[0]) == ["status"]
    assert list(errors(schemas.parse_category, "billing")[0]) == ["category"]
    assert "fired" not in errors(schemas.parse_status, "fired")[1]


@pytest.mark.parametrize("value", ["", "   ", "x" * 65, None, 12])
def test_parse_id_rejects(value):
    problems, message = errors(schemas.parse_id, "candidate_id", value)
    assert list(problems) == ["candidate_id"]
    assert "candidate_id" in message


def test_parse_id_accepts():
    assert schemas.parse_id("staff_id", "7f3c") == "7f3c"
    assert schemas.parse_id("staff_id", "x" * 64) == "x" * 64


@pytest.mark.parametrize("code", ["CS-AGENT-01", "cs_agent_01", "Agent2", "42"])
def test_codes_are_accepted_as_people_write_them(code):
    assert schemas.parse_position(position(code=code))[0] == code
    assert schemas.parse_code("position_code", code) == code


@pytest.mark.parametrize("code", ["-lead", "a", "CS AGENT", "代码", "x" * 65, "ab/c"])
def test_codes_of_other_characters_are_refused(code):
    assert list(errors(schemas.parse_code, "position_code", code)[0]) == ["position_code"]


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "1234567890", "Sunshine2024!",
                                      "iloveyou12"])
def test_common_passwords_are_refused(password):
    problems, message = errors(schemas.parse_hire, "zhang.wei", password, ["agent"], None)
    assert "common" in problems["password"]
    assert password not in message


def test_a_password_change_needs_a_new_policy_password():
    assert schemas.parse_password_change("old-pass-123", "blue-lantern-77", "zhang.wei") == (
        "old-pass-123", "blue-lantern-77")
    problems, message = errors(schemas.parse_password_change, "blue-lantern-77", "blue-lantern-77", "zw")
    assert list(problems) == ["new_password"] and "blue-lantern" not in message
    problems, _ = errors(schemas.parse_password_change, None, "short", "zw")
    assert set(problems) == {"old_password", "new_password"}


def test_login_arguments_must_be_strings():
    assert schemas.parse_credentials(" Zhang.Wei ", "anything") == ("zhang.wei", "anything")
    assert set(errors(schemas.parse_credentials, 5, ["x"])[0]) == {"username", "password"}
