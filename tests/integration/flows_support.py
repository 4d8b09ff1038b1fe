"""Helpers of tests/integration/test_flows.py: the real services started and seeded on a test's vhost,
the people who work them, a client, and a listener for appraisal's events."""
from dataclasses import dataclass

from nameko.exceptions import RemoteError

from anchang_common.entrypoints import UnitOfWork, event_handler
from appraisal.bootstrap import seed_default_template
from tests.integration.test_staff import PASSWORD, hire_and_activate
from ticket.bootstrap import seed

PHONE, E164 = "138 0013 8000", "+8613800138000"
#: ticket texts (PII: they go to client_vault as notes), each with a marker to search tables for
DESCRIPTION = "客户说厨房水管漏水 FLOW-DESC-5101"
MESSAGE = "师傅明天上门 FLOW-RESP-5102"
RESOLUTION = "已更换水管 FLOW-RES-5103"
COMMENT = "服务很好 FLOW-SURVEY-5104"
TEXTS = (DESCRIPTION, MESSAGE, RESOLUTION, COMMENT)

heard = []  # appraisal events the listener received


class AppraisalListener:
    """Hears appraisal's events as another service would."""

    name = "flows_listener"
    unit_of_work = UnitOfWork()

    @event_handler("appraisal", "finalized")
    def on_finalized(self, envelope):
        heard.append(envelope)

    @event_handler("appraisal", "promotion_recommended")
    def on_promotion_recommended(self, envelope):
        heard.append(envelope)


def start_client_vault(harness):
    return harness.start("client_vault")


def start_ticket(harness):
    service = harness.start("ticket")
    seed(service.config["DATABASE_URL"])
    return service


def start_appraisal(harness):
    service = harness.start("appraisal")
    assert seed_default_template(service.config["DATABASE_URL"]) == "created"
    return service


@dataclass
class Member:
    staff_id: str
    token: str


def member(harness, admin, username, roles, skills=None):
    """A hired, trained, acknowledged and active member logged in."""
    staff_id = hire_and_activate(harness, admin, username, roles, skills)
    with harness.rpc() as rpc:
        return Member(staff_id, rpc.staff.login(username, PASSWORD)["token"])


def error_of(call):
    """The ``RemoteError`` ``call()`` raised (it must raise one)."""
    try:
        result = call()
    except RemoteError as error:
        return error
    raise AssertionError(f"expected a refusal, got {result!r}")


def refused(call):
    """The error type ``call()`` was refused with."""
    return error_of(call).exc_type


def profile(phone=PHONE, name="张三"):
    return {"name": name, "phone": phone, "id_number": "110101199003071233", "address": "北京市朝阳区建国路88号",
            "source": "walk_in", "consent": {"purpose": "service", "granted_at": "2026-01-05T09:00:00+08:00"}}


def new_ticket(client_id, category="after_sales", priority="high", description=DESCRIPTION):
    return {"client_id": client_id, "category": category, "priority": priority, "channel": "phone",
            "subject": "Kitchen pipe", "description": description}
