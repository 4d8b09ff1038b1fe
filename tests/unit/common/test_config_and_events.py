"""Configuration interpolation and the event envelope."""
import pytest

from anchang_common.config import load_config
from anchang_common.errors import ValidationError
from anchang_common.events import EventBuffer, make_envelope, parse_envelope
from tests.conftest import REPO


def test_config_reads_variables_with_defaults(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("AMQP_URI", "amqp://u:p@broker:5672/anchang")
    monkeypatch.setenv("MAX_WORKERS", "25")
    config = load_config(REPO / "services" / "ticket" / "config.yaml")
    assert config["AMQP_URI"] == "amqp://u:p@broker:5672/anchang"
    assert config["DATABASE_URL"] == "sqlite:///.run/ticket.db"
    assert config["max_workers"] == 25
    assert config["WEB_SERVER_ADDRESS"] == "0.0.0.0:8003"
    assert config["VAULT"]["TOKEN"] is None and config["VAULT"]["ADDR"] == "http://127.0.0.1:8200"


def test_envelope_has_the_contract_fields():
    envelope = make_envelope("ticket.opened", {"ticket_id": "t1", "category": "repair"})
    assert set(envelope) == {"event_id", "type", "occurred_at", "version", "data"}
    assert envelope["type"] == "ticket.opened" and envelope["version"] == 1
    assert parse_envelope(envelope) is envelope


@pytest.mark.parametrize("data", [
    {"comment": "客户说房子漏水, 电话13800138000, 请尽快上门维修处理, 谢谢" * 3},
    {"client": {"profile": object()}},
    {"comment": "张三 电话13800138000"},
    {"name": "李"},
    {"education": "小学"},
    {"note": "call back"},
])
def test_envelope_refuses_free_text_and_documents(data):
    with pytest.raises(ValueError):
        make_envelope("ticket.opened", data)


def test_a_service_dispatches_only_its_own_events():
    queued = []
    buffer = EventBuffer("staff", session=None, queue=queued.append)
    with pytest.raises(ValueError):
        buffer.dispatch("ticket.opened", {})
    assert queued == []


def test_a_malformed_event_names_the_missing_fields():
    with pytest.raises(ValidationError) as raised:
        parse_envelope({"type": "ticket.opened"})
    assert "event.event_id" in str(raised.value) and "event.data" in str(raised.value)
