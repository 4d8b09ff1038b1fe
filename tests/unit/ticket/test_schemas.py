"""``open_ticket``'s argument: every bad field named, customer details kept out of the subject."""
import pytest

from anchang_common.errors import ValidationError
from ticket import schemas

GOOD = {"client_id": "c1", "category": "repair", "priority": "high", "channel": "phone",
        "subject": "Water leak in the kitchen", "description": "张先生 13800138000 reports a leak"}


def test_a_good_ticket_parses_and_keeps_the_description_apart():
    fields, description = schemas.parse_new_ticket(GOOD)
    assert fields["subject"] == "Water leak in the kitchen" and "description" not in fields
    assert description == GOOD["description"]


@pytest.mark.parametrize("subject", ["Call back 138 0013 8000", "ID 110101199003071234", "+86 13800138000 leak"])
def test_a_subject_with_a_phone_or_id_number_is_refused_without_echoing_it(subject):
    with pytest.raises(ValidationError) as refused:
        schemas.parse_new_ticket({**GOOD, "subject": subject})
    assert set(refused.value.errors) == {"ticket.subject"}
    assert "138" not in str(refused.value) and "1101" not in str(refused.value)


def test_every_bad_field_is_named():
    with pytest.raises(ValidationError) as refused:
        schemas.parse_new_ticket({**GOOD, "category": "gossip", "priority": "whenever", "channel": "Tel!"})
    assert set(refused.value.errors) == {"ticket.category", "ticket.priority", "ticket.channel"}
