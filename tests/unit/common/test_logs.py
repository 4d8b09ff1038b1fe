"""Log lines are JSON and never carry anything shaped like a phone or an ID number."""
import io
import json
import logging
import logging.config
from datetime import datetime, timedelta

import pytest

from anchang_common.config import load_config
from anchang_common.logs import REDACTED, redact
from tests.conftest import REPO


@pytest.mark.parametrize("text", [
    "13800138000", "+86 138 0013 8000", "+8613800138000", "138-0013-8000",
    "11010519491231002X", "110105194912310021", "110105491231002", "010-6552 9988 1234",
    "138.0013.8000", "138 0013 8000", "0086 138 0013 8000",
])
def test_phone_and_id_shapes_are_redacted(text):
    assert redact(f"client {text} called") == f"client {REDACTED} called"


@pytest.mark.parametrize("text", [
    "ticket 3f2a9c01 opened", "took 1234 ms", "2026-11-27T10:00:00+00:00", "version 12",
    "call id staff.login.0b9f7f3a-6c2e-4a51-9d9b-2f0f5e1c7a10",
])
def test_ordinary_text_is_kept(text):
    assert redact(text) == text


def test_service_logging_config_writes_redacted_json_lines():
    config = load_config(REPO / "services" / "staff" / "config.yaml")["LOGGING"]
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        log = logging.getLogger("anchang.test")
        log.warning("lookup for %s failed", "13800138000", extra={"call_id": "staff.x.1"})
        log.warning("import row", extra={"row": {"phone": "138.0013.8000"}, "contact": "+86 138 0013 8000"})
        try:
            raise ValueError("bad id 11010519491231002X")
        except ValueError:
            log.exception("import row rejected")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == f"lookup for {REDACTED} failed"
    assert lines[0]["level"] == "WARNING" and lines[0]["call_id"] == "staff.x.1"
    assert datetime.fromisoformat(lines[0]["time"]).utcoffset() == timedelta(0)
    assert "138.0013.8000" not in stream.getvalue() and "0013 8000" not in stream.getvalue()
    assert lines[1]["contact"] == REDACTED and REDACTED in lines[1]["row"]
    assert "11010519491231002X" not in stream.getvalue() and REDACTED in lines[2]["exc_info"]
