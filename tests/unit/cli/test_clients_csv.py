"""CSV rows for ``client import``: columns checked before any call, rows named by their line."""
import pytest

from anchang_cli import clients_csv
from anchang_cli.errors import BadInput


def test_rows_become_profiles_named_by_their_line():
    text = ("name,phone,id_number,address,consent_purpose\n"
            "李雷,13900139000,,北京市朝阳区建国路1号,\n"
            "\"韩, 梅梅\",138 0013 8000,110105194912310029,,marketing\n")
    rows = clients_csv.read(text, consent_purpose="customer_service", consent_granted_at="2026-01-01T00:00:00+00:00")
    assert [line for line, _ in rows] == [2, 3]
    assert rows[0][1] == {"name": "李雷", "phone": "13900139000", "source": "import",
                          "address": "北京市朝阳区建国路1号",
                          "consent": {"purpose": "customer_service", "granted_at": "2026-01-01T00:00:00+00:00"}}
    assert rows[1][1]["name"] == "韩, 梅梅" and rows[1][1]["consent"]["purpose"] == "marketing"
    assert rows[1][1]["id_number"] == "110105194912310029" and "address" not in rows[1][1]


def test_write_reads_back():
    profiles = [{"name": "王小明", "phone": "+86 138 0013 8000", "source": "walk_in", "address": "上海市,徐汇区",
                 "consent": {"purpose": "customer_service", "granted_at": "2026-01-01T00:00:00+00:00"}}]
    assert [p for _, p in clients_csv.read(clients_csv.write(profiles))] == profiles


@pytest.mark.parametrize(("header", "named"), [
    ("name,mobile", "missing column phone"),
    ("name,phone,email", "unknown column 'email'"),
    ("", "missing column name"),
])
def test_columns_are_checked_before_anything_is_sent(header, named):
    with pytest.raises(BadInput) as raised:
        clients_csv.read(header + "\n")
    assert named in raised.value.message
