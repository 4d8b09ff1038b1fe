"""The committed broker definitions and their loader, without a broker (the broker's own verdict is
tests/integration/test_broker_permissions.py)."""
import importlib.util
import json
import re
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PATH = REPO / "deploy" / "rabbitmq" / "definitions.json"
SERVICES = ("staff", "client_vault", "ticket", "appraisal")
EXCHANGES = ("nameko-rpc",) + tuple(f"{s}.events" for s in SERVICES)

spec = importlib.util.spec_from_file_location("anchang_rabbitmq_definitions", PATH.with_suffix(".py"))
definitions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(definitions)


def committed():
    return json.loads(PATH.read_text())


def rights(document, user):
    permission = next(p for p in document["permissions"] if p["user"] == user)
    topics = {t["exchange"]: t for t in document["topic_permissions"] if t["user"] == user}
    return permission, topics


def matches(pattern, text):
    return re.search(pattern, text) is not None  # RabbitMQ searches too (unanchored unless ^...$)


def test_the_committed_file_holds_no_password():
    assert {u["name"] for u in committed()["users"]} == set(SERVICES) | {"caller"}
    assert all(u["password_hash"] == "" and u["tags"] == [] for u in committed()["users"])


def test_every_user_has_a_topic_permission_on_every_exchange():
    # RabbitMQ allows everything on an exchange where a user has no topic permission at all
    document = committed()
    for user in SERVICES + ("caller",):
        assert set(rights(document, user)[1]) == set(EXCHANGES), user


def test_hash_is_rabbitmqs_sha256_scheme():
    # the worked example of RabbitMQ's documentation ("Computing Password Hash")
    assert definitions.hash_password("test12", bytes.fromhex("908DC60A")) == \
        "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"


def test_load_moves_everything_to_the_vhost_and_prefixes_every_user():
    document = definitions.load(vhost="v1", user_prefix="t-", passwords={"staff": "s3cret-pass"})
    assert {v["name"] for v in document["vhosts"]} == {"v1"}
    for kind in ("permissions", "topic_permissions", "exchanges"):
        assert {item["vhost"] for item in document[kind]} == {"v1"}
    assert all(u["name"].startswith("t-") for u in document["users"])
    assert all(p["user"].startswith("t-") for p in document["permissions"] + document["topic_permissions"])
    hashed = {u["name"]: u["password_hash"] for u in document["users"]}
    assert hashed["t-staff"] and not hashed["t-ticket"]
    with pytest.raises(ValueError):
        definitions.load(passwords={"nobody": "x"})


def test_render_takes_passwords_from_the_environment_and_refuses_gaps(tmp_path, capsys):
    environ = {f"RABBITMQ_PASSWORD_{u.upper()}": f"{u}-pw" for u in SERVICES + ("caller",)}
    out = tmp_path / "definitions.json"
    assert definitions.main(["render", "--out", str(out)], environ=environ) == 0
    rendered = json.loads(out.read_text())
    assert all(u["password_hash"] for u in rendered["users"]) and out.stat().st_mode & 0o077 == 0
    del environ["RABBITMQ_PASSWORD_CALLER"]
    with pytest.raises(SystemExit):
        definitions.main(["render"], environ=environ)
    assert "caller" in capsys.readouterr().err


@pytest.mark.parametrize("user, name, allowed", [
    ("staff", "rpc-staff", True),
    ("staff", "rpc-ticket", False),
    ("staff", f"rpc.reply-staff-{uuid.uuid4()}", True),
    ("staff", f"rpc.reply-ticket-{uuid.uuid4()}", False),
    ("staff", "evt-ticket-assigned--staff.on_ticket_assigned", True),
    ("staff", "evt-staff-changed--appraisal.on_staff_changed", False),
    ("staff", "evt-staff-changed", False),  # nameko's SINGLETON handler queue: nobody's own
    ("caller", f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}", True),
    ("caller", f"rpc.reply-gateway-{uuid.uuid4()}", True),
    ("caller", f"rpc.reply-staff-{uuid.uuid4()}", False),
    ("caller", "rpc-staff", False),
    ("caller", "amq.gen-abc", False),
])
def test_queue_names_each_user_may_read(user, name, allowed):
    permission, _ = rights(committed(), user)
    assert matches(permission["read"], name) is allowed
    assert matches(permission["configure"], name) is allowed


@pytest.mark.parametrize("user, exchange, key, allowed", [
    ("staff", "nameko-rpc", "staff.*", True),
    ("staff", "nameko-rpc", "staff.login", False),
    ("staff", "nameko-rpc", "ticket.*", False),
    ("staff", "nameko-rpc", "#", False),
    ("caller", "nameko-rpc", str(uuid.uuid4()), True),
    ("caller", "nameko-rpc", "staff.login", False),
    ("caller", "nameko-rpc", "staff.*", False),
    ("caller", "staff.events", "changed", False),
    ("ticket", "staff.events", "changed", True),
])
def test_binding_keys_each_user_may_use(user, exchange, key, allowed):
    _, topics = rights(committed(), user)
    assert matches(topics[exchange]["read"], key) is allowed


def test_nobody_but_the_owner_writes_an_events_exchange_nor_the_default_exchange():
    document = committed()
    for user in SERVICES + ("caller",):
        permission, topics = rights(document, user)
        assert not matches(permission["write"], "amq.default")
        for owner in SERVICES:
            owned = user == owner
            assert matches(permission["write"], f"{owner}.events") is owned, (user, owner)
            assert matches(topics[f"{owner}.events"]["write"], "changed") is owned, (user, owner)
