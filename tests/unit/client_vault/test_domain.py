"""client_vault's rules, pure: masks, phone and ID parsing, who may see plaintext, the audit chain."""
from dataclasses import replace
from datetime import UTC, datetime

import phonenumbers
import pytest

from anchang_common.errors import ValidationError
from client_vault import domain, schemas
from client_vault.domain import AccessFacts, AuditEntry

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("written", ["13800138000", "138 0013 8000", "138-0013-8000", "138.0013.8000",
                                     "+86 138 0013 8000", "+8613800138000", "0086 13800138000", "008613800138000"])
def test_mainland_mobiles_are_normalised_to_e164(written):
    assert schemas.normalise_phone(written) == "+8613800138000"


@pytest.mark.parametrize("written", ["12345678901", "010-12345678", "+1 650 253 0000", "1380013800", "", None,
                                     13800138000])
def test_anything_else_is_not_a_mobile(written):
    assert schemas.normalise_phone(written) is None


def test_a_mobile_is_what_phonenumbers_calls_a_valid_cn_mobile():
    """``normalise_phone`` leaves out ``is_valid_number_for_region`` (its ``number_type`` check implies
    it): the same verdict on every 3-digit prefix, written bare, with +86 and as a landline."""
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    for prefix in range(100, 1000):
        for written in (f"{prefix}00138000", f"{prefix}0013800", f"+86 {prefix}0013800", f"0{prefix}1234567"):
            number = phonenumbers.parse(written, "CN")
            valid = (number.country_code == 86 and phonenumbers.is_valid_number_for_region(number, "CN")
                     and phonenumbers.number_type(number) in mobile)
            assert (schemas.normalise_phone(written) is not None) == valid, written


def test_id_numbers_need_a_real_birth_date_and_check_digit():
    assert schemas.valid_id_number("110101199003071233")
    assert schemas.valid_id_number("11010519491231002X")
    assert not schemas.valid_id_number("110101199003071234")  # check digit
    assert not schemas.valid_id_number("110101199002301236")  # 30 February


def test_masks_hide_all_but_what_the_contract_shows():
    assert domain.mask_name("张三") == "张*" and domain.mask_name("欧阳娜娜") == "欧***"
    assert domain.mask_phone("13800138000") == "138****8000"
    assert domain.mask_id_number("110101199003071233") == "1101**********1233"
    assert domain.mask_address("北京市朝阳区建国路88号") == "北京市朝阳区"
    assert domain.mask_address("苏州市工业园区星湖街") == "苏州市工业园区"
    assert domain.mask_address("杭州市西湖边") == "杭州市"
    assert domain.mask_address("建国路88号") == ""


def test_bad_profile_names_every_field_never_its_value():
    with pytest.raises(ValidationError) as raised:
        schemas.parse_profile({"name": "", "phone": "13800", "id_number": "110101199003071234", "source": "Walk In",
                               "consent": {"purpose": "service"}, "13800138000": "x"})
    assert set(raised.value.errors) == {"profile.name", "profile.phone", "profile.id_number", "profile.source",
                                        "profile.consent.granted_at", "profile"}
    assert "13800" not in str(raised.value) and "110101199003071234" not in str(raised.value)


def facts(role="agent", acknowledged=True, assigned=True, shown=()):
    return AccessFacts(role=role, acknowledgment_current=acknowledged, open_assignment=assigned,
                       clients_in_window=frozenset(shown))


def test_who_may_see_a_clients_plaintext():
    assert domain.reveal_role(("admin",)) is None
    assert domain.reveal_role(("admin", "supervisor")) == "supervisor"
    assert domain.refusal_reason(facts(), "c1", 30) is None
    assert domain.refusal_reason(facts(role=None), "c1", 30) == domain.NO_ROLE
    assert domain.refusal_reason(facts(assigned=False), "c1", 30) == domain.NO_OPEN_ASSIGNMENT
    assert domain.refusal_reason(facts("supervisor", assigned=None), "c1", 30) is None
    assert domain.refusal_reason(facts("supervisor", acknowledged=False), "c1", 30) == domain.ACKNOWLEDGMENT_NOT_CURRENT
    assert domain.refusal_reason(facts(), "c1", 30, supervisor_only=True) == domain.NO_ROLE


def test_the_hourly_limit_counts_distinct_clients():
    thirty = [f"c{n}" for n in range(30)]
    assert domain.refusal_reason(facts(shown=thirty[:29]), "c29", 30) is None
    assert domain.refusal_reason(facts(shown=thirty), "c30", 30) == domain.LIMIT_EXCEEDED
    assert domain.refusal_reason(facts(shown=thirty), "c3", 30) is None  # shown already this hour


def chain(length):
    entries, previous = [], domain.GENESIS_HASH
    for seq in range(1, length + 1):
        entry = domain.chained(AuditEntry("s1", "agent", domain.REVEAL, f"c{seq}", ("phone",), "follow_up",
                                          domain.ALLOWED, None, AT), seq, previous)
        entries.append(entry)
        previous = entry.hash
    return entries


def test_the_audit_chain_finds_the_first_altered_missing_or_cut_entry():
    entries = chain(5)
    head = (5, entries[-1].hash)
    assert domain.verify_chain(entries, *head) == domain.ChainReport(5, True, None)
    altered = entries[:2] + [replace(entries[2], outcome=domain.REFUSED)] + entries[3:]
    assert domain.verify_chain(altered, *head).first_broken_entry == 3
    assert domain.verify_chain(entries[:3] + entries[4:], *head).first_broken_entry == 4
    assert domain.verify_chain(entries[:4], *head) == domain.ChainReport(4, False, 5)
    rehashed = entries[:2] + [domain.chained(replace(entries[2], outcome=domain.REFUSED), 3, entries[1].hash)]
    assert domain.verify_chain(rehashed + entries[3:], *head).first_broken_entry == 4  # the link breaks
