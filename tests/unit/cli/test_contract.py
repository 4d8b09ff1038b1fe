"""The CLI's copy of the contract's enumerations (it imports no service) is the services' own."""
import pytest

from anchang_cli import contract
from anchang_cli.demo import script
from client_vault import domain as client_vault
from staff import domain as staff
from ticket import domain as ticket


@pytest.mark.parametrize(("ours", "theirs"), [
    (contract.Category, ticket.CATEGORIES),
    (contract.Priority, ticket.PRIORITIES),
    (contract.TicketState, ticket.STATES),
    (contract.PiiField, client_vault.PII_FIELDS),
    (contract.Purpose, client_vault.PURPOSES),
    (contract.NoteKind, client_vault.NOTE_KINDS),
])
def test_the_choices_are_the_services(ours, theirs):
    assert [member.value for member in ours] == list(theirs)


def test_roles_statuses_and_modules_are_staffs():
    assert {r.value for r in contract.Role} == set(staff.ROLES)
    assert {s.value for s in contract.StaffStatus} == set(staff.STATUSES)
    assert [m.value for m in contract.TrainingModule] == list(staff.TRAINING_MODULES)


def test_the_demo_writes_education_levels_staff_knows():
    assert script.EDUCATION == staff.EDUCATION_LEVELS
    assert set(script.CATEGORIES) == set(ticket.CATEGORIES) and set(script.PRIORITIES) == set(ticket.PRIORITIES)
