"""The ticket rules without I/O: assignment, the lifecycle, reopening, who may act, the report."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ticket import domain, report

OPENED = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
TICKET = domain.Ticket(ticket_id="t1", client_id="c1", category="complaint", priority="high", channel="phone",
                       subject="s", state="resolved", assignee_id="a1", opened_at=OPENED, note_id="n1",
                       resolved_at=OPENED + timedelta(hours=2))


def test_the_least_loaded_agent_is_chosen_ties_by_staff_id():
    agents = [{"staff_id": "b", "load": 1}, {"staff_id": "c", "load": 0}, {"staff_id": "a", "load": 0}]
    assert domain.choose_agent(agents) == "a"
    assert domain.choose_agent([]) is None


@pytest.mark.parametrize("current, target", [("open", "resolved"), ("closed", "in_progress"),
                                             ("open", "waiting_customer"), ("resolved", "waiting_customer")])
def test_an_invalid_transition_names_both_states(current, target):
    with pytest.raises(domain.InvalidTransition, match=f"from {current} to {target}"):
        domain.check_transition(current, target)


def test_reopen_in_place_within_the_window_else_a_new_linked_ticket():
    assert domain.reopens_in_place(TICKET, TICKET.resolved_at + timedelta(days=7), 7) is True
    assert domain.reopens_in_place(TICKET, TICKET.resolved_at + timedelta(days=7, seconds=1), 7) is False
    assert domain.reopens_in_place(replace(TICKET, state="closed"), TICKET.resolved_at, 7) is False
    with pytest.raises(domain.InvalidTransition, match="from in_progress to in_progress"):
        domain.reopens_in_place(replace(TICKET, state="in_progress"), TICKET.resolved_at, 7)


def test_agents_act_on_their_own_tickets_supervisors_on_all():
    domain.may_act_on(("agent",), "a1", TICKET)
    domain.may_act_on(("supervisor",), "s1", TICKET)
    domain.may_act_on(("admin",), "x", TICKET)
    with pytest.raises(domain.NotYours):
        domain.may_act_on(("agent",), "a2", TICKET)


def test_the_report_groups_and_computes_compliance_median_p90_and_satisfaction():
    tickets = [replace(TICKET, ticket_id=f"t{i}", first_response_seconds=60 * (i + 1),
                       first_response_within_sla=i < 9, satisfaction_score=4 if i % 2 else 5)
               for i in range(10)] + [replace(TICKET, ticket_id="u", assignee_id=None, state="open",
                                              resolved_at=None)]
    rows = report.sla_report(tickets, "agent")
    assert [row["group"] for row in rows] == ["a1", "unassigned"]
    first = rows[0]["first_response"]
    assert (first["measured"], first["compliance_percent"], first["breaches"]) == (10, 90.0, 1)
    assert (first["median_business_minutes"], first["p90_business_minutes"]) == (5.5, 9.0)
    assert rows[0]["mean_satisfaction"] == 4.5 and rows[1]["tickets"] == 1
