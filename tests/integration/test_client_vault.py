"""The client_vault contract end to end over the real broker, Vault, staff and each database dialect,
with a stand-in ``ticket`` on the real broker answering ``has_open_assignment`` from a set the test
controls (same name, same contract; the real ``ticket`` replaces it once it is served)."""
import uuid

import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_waiter

from anchang_common.db import make_engine
from anchang_common.entrypoints import UnitOfWork, event_handler
from anchang_common.vault import VaultClient, VaultRequestError
from client_vault.crypto import PII_KEY, PiiCipher, field_context
from tests.integration.test_staff import PASSWORD, hire_and_activate

#: (staff_id, client_id) pairs with an open ticket assigned: what the stand-in ticket answers
ASSIGNMENTS = set()
anomalies = []
PHONE = "138 0013 8000"
ID_NUMBER = "110101199003071233"


class TicketStandIn:
    """``ticket.has_open_assignment(staff_id, client_id)`` with the contract's meaning."""

    name = "ticket"

    @rpc
    def has_open_assignment(self, staff_id, client_id):
        return (staff_id, client_id) in ASSIGNMENTS


class AnomalyListener:
    name = "anomaly_listener"
    unit_of_work = UnitOfWork()

    @event_handler("client_vault", "reveal_anomaly")
    def on_anomaly(self, envelope):
        anomalies.append(envelope)


def profile(phone=PHONE, name="张三", **changes):
    return {"name": name, "phone": phone, "id_number": ID_NUMBER, "address": "北京市朝阳区建国路88号",
            "source": "walk_in", "consent": {"purpose": "service", "granted_at": "2026-01-05T09:00:00+08:00"},
            **changes}


def phone_number(n):
    return f"139{n:08d}"


def refused(call):
    with pytest.raises(RemoteError) as raised:
        call()
    return raised.value.exc_type


def login(harness, username):
    with harness.rpc() as proxy:
        return proxy.staff.login(username, PASSWORD)["token"]


@pytest.fixture
def vault_service(harness, staff):
    return harness.start("client_vault")


@pytest.fixture
def people(harness, admin, vault_service):
    """Tokens of an agent, a supervisor and the admin, and their staff ids."""
    ids = {"agent": hire_and_activate(harness, admin, "wang.agent", ["agent"]),
           "supervisor": hire_and_activate(harness, admin, "li.super", ["supervisor"])}
    tokens = {role: login(harness, username) for role, username in (("agent", "wang.agent"),
                                                                   ("supervisor", "li.super"))}
    with harness.rpc(admin) as proxy:
        ids["admin"] = proxy.staff.login("admin", "correct-horse-42")["staff_id"]
    tokens["admin"] = admin
    return tokens, ids


def engine_of(service):
    return make_engine(service.config["DATABASE_URL"])


def test_register_dedupes_masks_and_finds_by_phone(harness, people, dialect):
    tokens, _ = people
    with harness.rpc(tokens["agent"]) as proxy:
        first = proxy.client_vault.register_client(profile())
        assert first["existing"] is False
        for written in ("+86 138-0013-8000", "0086 13800138000", "138.0013.8000"):
            again = proxy.client_vault.register_client(profile(phone=written, name="李四"))
            assert again == {"client_id": first["client_id"], "existing": True}
        view = proxy.client_vault.get_client(first["client_id"])
        assert (view["name"], view["phone"], view["id_number"], view["address"]) == (
            "张*", "138****8000", "1101**********1233", "北京市朝阳区")
        assert proxy.client_vault.find_by_phone("+8613800138000") == view
        assert refused(lambda: proxy.client_vault.find_by_phone("13900000000")) == "NotFound"
        with pytest.raises(RemoteError) as bad:
            proxy.client_vault.register_client(profile(phone="12345", id_number="110101199003071234"))
        assert bad.value.exc_type == "ValidationError"
        assert "profile.phone" in bad.value.value and "profile.id_number" in bad.value.value
        assert "12345" not in bad.value.value and "110101199003071234" not in bad.value.value


def test_concurrent_registrations_of_one_phone_make_one_client(harness, people, dialect):
    tokens, _ = people

    def register(n):
        with harness.rpc(tokens["agent"]) as proxy:
            return proxy.client_vault.register_client(profile(phone="+86 13800138000", name=f"名{n}"))
    results = list(eventlet.GreenPool(6).imap(register, range(6)))
    assert len({r["client_id"] for r in results}) == 1
    assert sorted(r["existing"] for r in results) == [False] + [True] * 5
    engine = engine_of(harness.services["client_vault"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM clients")).scalar() == 1
    engine.dispose()


def test_reveal_rules_over_the_real_broker(harness, people, dialect):
    tokens, ids = people
    ticket = harness.start("ticket", TicketStandIn, harness.config_for("ticket"))
    with harness.rpc(tokens["agent"]) as proxy:
        client_id = proxy.client_vault.register_client(profile())["client_id"]
        # an agent without an open ticket of this client assigned: refused, and the refusal audited
        assert refused(lambda: proxy.client_vault.reveal(client_id, ["phone"], "ticket_handling")) == "Forbidden"
        ASSIGNMENTS.add((ids["agent"], client_id))
        assert proxy.client_vault.reveal(client_id, ["phone", "name"], "ticket_handling") == {
            "phone": "+8613800138000", "name": "张三"}
        note = proxy.client_vault.add_note(client_id, "complaint", "电话打不通，很生气")
        assert [n["text"] for n in proxy.client_vault.get_notes(client_id, "complaint_investigation")] == [
            "电话打不通，很生气"]
        assert note["note_id"]
    with harness.rpc(tokens["supervisor"]) as proxy:
        assert proxy.client_vault.reveal(client_id, ["id_number"], "client_request") == {"id_number": ID_NUMBER}
        export = proxy.client_vault.export_client(client_id, "client_request")
        assert (export["name"], export["address"], len(export["notes"])) == ("张三", "北京市朝阳区建国路88号", 1)
    with harness.rpc(tokens["admin"]) as proxy:
        assert refused(lambda: proxy.client_vault.reveal(client_id, ["phone"], "client_request")) == "Forbidden"
        assert refused(lambda: proxy.client_vault.export_client(client_id, "client_request")) == "Forbidden"
        entries = proxy.client_vault.audit_log(client_id=client_id)
    seen = [(e["staff_id"], e["role"], e["action"], e["outcome"], e["reason"]) for e in entries]
    assert seen == [
        (ids["agent"], "agent", "reveal", "refused", "no_open_assignment"),
        (ids["agent"], "agent", "reveal", "allowed", None),
        (ids["agent"], "agent", "notes", "allowed", None),
        (ids["supervisor"], "supervisor", "reveal", "allowed", None),
        (ids["supervisor"], "supervisor", "export", "allowed", None),
        # admin may ask like anyone; the refusals are in the audit log too
        (ids["admin"], None, "reveal", "refused", "no_reveal_role"),
        (ids["admin"], None, "export", "refused", "no_reveal_role")]
    assert entries[0]["purpose"] == "ticket_handling" and entries[0]["fields"] == ["phone"]

    ticket.container.kill()  # ticket gone: never allowed, DependencyUnavailable
    ticket_stopped_is_dependency_unavailable(harness, tokens, client_id)


def ticket_stopped_is_dependency_unavailable(harness, tokens, client_id):
    with harness.rpc(tokens["agent"], timeout=60) as proxy:
        assert refused(lambda: proxy.client_vault.reveal(
            client_id, ["phone"], "ticket_handling")) == "DependencyUnavailable"


def test_ticket_never_running_is_dependency_unavailable_and_audited(harness, people, dialect):
    tokens, ids = people
    with harness.rpc(tokens["agent"]) as proxy:
        client_id = proxy.client_vault.register_client(profile())["client_id"]
        ASSIGNMENTS.add((ids["agent"], client_id))
        assert refused(lambda: proxy.client_vault.reveal(
            client_id, ["phone"], "ticket_handling")) == "DependencyUnavailable"
    with harness.rpc(tokens["admin"]) as proxy:
        [entry] = proxy.client_vault.audit_log(client_id=client_id)
    assert (entry["outcome"], entry["reason"]) == ("refused", "dependency_unavailable")


def test_the_31st_client_in_an_hour_is_refused_announced_and_a_changed_audit_row_is_found(harness, people, dialect):
    tokens, ids = people
    listener = harness.start("anomaly_listener", AnomalyListener, harness.config_for("appraisal"))
    rows = [profile(phone=phone_number(n), name=f"客户{n}") for n in range(32)]
    with harness.rpc(tokens["supervisor"], timeout=60) as proxy:
        assert proxy.client_vault.import_clients(rows)["created"] == 32
        client_ids = [proxy.client_vault.find_by_phone(phone_number(n))["client_id"] for n in range(32)]
        for client_id in client_ids[:30]:
            proxy.client_vault.reveal(client_id, ["name"], "follow_up")
        assert proxy.client_vault.reveal(client_ids[0], ["phone"], "follow_up")  # one already shown
        with entrypoint_waiter(listener.container, "on_anomaly", timeout=20):
            assert refused(lambda: proxy.client_vault.reveal(client_ids[30], ["name"], "follow_up")) == "Forbidden"
        assert refused(lambda: proxy.client_vault.reveal(client_ids[31], ["name"], "follow_up")) == "Forbidden"
    [anomaly] = [a for a in anomalies if a["data"]["staff_id"] == ids["supervisor"]]
    data = anomaly["data"]
    assert (data["client_id"], data["reveals"], data["window_minutes"]) == (client_ids[30], 30, 60)

    with harness.rpc(tokens["admin"]) as proxy:
        entries = proxy.client_vault.audit_log(staff_id=ids["supervisor"])
        assert [e["reason"] for e in entries[-2:]] == ["hourly_limit_exceeded"] * 2
        assert proxy.client_vault.verify_audit_log() == {"entries": 33, "valid": True, "first_broken_entry": None}
        engine = engine_of(harness.services["client_vault"])
        with engine.begin() as connection:  # someone covers their tracks: entry 7 now "refused"
            connection.execute(sa.text("UPDATE audit_entries SET outcome = 'refused' WHERE seq = 7"))
        assert proxy.client_vault.verify_audit_log() == {"entries": 33, "valid": False, "first_broken_entry": 7}
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_entries SET outcome = 'allowed' WHERE seq = 7"))
            connection.execute(sa.text("DELETE FROM audit_entries WHERE seq = 12"))
        assert proxy.client_vault.verify_audit_log() == {"entries": 32, "valid": False, "first_broken_entry": 12}
        engine.dispose()


def test_swapped_ciphertexts_decrypt_no_more(harness, people, dialect, vault_server, service_tokens):
    tokens, _ = people
    ASSIGNMENTS.clear()
    with harness.rpc(tokens["agent"]) as proxy:
        first = proxy.client_vault.register_client(profile())["client_id"]
        second = proxy.client_vault.register_client(profile(phone="13900001111", name="李四"))["client_id"]
    engine = engine_of(harness.services["client_vault"])
    with engine.begin() as connection:
        phones = dict(connection.execute(sa.text("SELECT id, phone_ct FROM clients")).all())
        for client_id, other in ((first, second), (second, first)):
            connection.execute(sa.text("UPDATE clients SET phone_ct = :ct WHERE id = :id"),
                               {"ct": phones[other], "id": client_id})
        name, address = connection.execute(sa.text("SELECT name_ct, address_ct FROM clients WHERE id = :id"),
                                           {"id": first}).one()
        connection.execute(sa.text("UPDATE clients SET name_ct = :a, address_ct = :n WHERE id = :id"),
                           {"a": address, "n": name, "id": first})
    engine.dispose()
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["client_vault"]}, "client_vault")
    for client_id, other in ((first, second), (second, first)):  # each moved to the other's row
        with pytest.raises(VaultRequestError):
            vault.decrypt_batch(PII_KEY, [(phones[other], field_context(client_id, "phone"))])
    for field, ciphertext in (("name", address), ("address", name)):  # swapped between two fields
        with pytest.raises(VaultRequestError):
            vault.decrypt_batch(PII_KEY, [(ciphertext, field_context(first, field))])
    with harness.rpc(tokens["supervisor"]) as proxy:  # and through the service: an error, never plaintext
        for client_id, fields in ((first, ["phone"]), (second, ["phone"]), (first, ["name"]), (first, ["address"])):
            outcome = refused(lambda c=client_id, f=fields: proxy.client_vault.reveal(c, f, "follow_up"))
            assert outcome == "InternalError"
        assert proxy.client_vault.reveal(second, ["name"], "follow_up") == {"name": "李四"}


def test_a_large_import_keeps_each_record_with_its_row_and_each_phone_once(
        harness, people, dialect, vault_server, service_tokens):
    """More rows than one Vault call takes, so the phone index and the encryption go in several
    calls at once and rows are written while later ones are encrypted: every stored client decrypts,
    under its own id, to the name and phone of one row, the first row of each phone."""
    tokens, _ = people
    rows = [profile(phone=phone_number(n), name=f"客户{n}") for n in range(1000)]
    rows[700] = profile(phone=phone_number(3), name="重复")  # a later row of phone 3
    with harness.rpc(tokens["agent"]) as proxy:
        proxy.client_vault.register_client(profile(phone=phone_number(999), name="早已登记"))
    with harness.rpc(tokens["supervisor"], timeout=120) as proxy:
        result = proxy.client_vault.import_clients(rows)
    assert (result["created"], result["existing"], result["rejected"]) == (998, 2, [])
    engine = engine_of(harness.services["client_vault"])
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT id, name_ct, phone_ct, phone_index FROM clients")).all()
    engine.dispose()
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["client_vault"]}, "client_vault")
    cipher = PiiCipher(vault)
    plain = cipher.decrypt([(ciphertext, field_context(client_id, field)) for client_id, name, phone, _ in stored
                            for field, ciphertext in (("name", name), ("phone", phone))])
    names, phones = plain[0::2], plain[1::2]
    expected = [(f"客户{n}", "+86" + phone_number(n)) for n in range(999) if n != 700]
    assert sorted(zip(names, phones, strict=True)) == sorted([*expected, ("早已登记", "+86" + phone_number(999))])
    assert cipher.blind_indexes(phones) == [index for *_, index in stored]  # each indexed by its own phone


def test_rotate_rewrap_raise_min_decryption_version_everyone_reads_back(
        harness, people, dialect, vault_server, service_tokens):
    tokens, _ = people
    with harness.rpc(tokens["supervisor"], timeout=60) as proxy:
        proxy.client_vault.import_clients([profile(phone=phone_number(n), name=f"客户{n}") for n in range(7)])
        client_ids = [proxy.client_vault.find_by_phone(phone_number(n))["client_id"] for n in range(7)]
        proxy.client_vault.add_note(client_ids[0], "feedback", "服务很好")
    engine = engine_of(harness.services["client_vault"])
    with engine.connect() as connection:
        old = connection.execute(sa.text("SELECT id, name_ct FROM clients")).first()
    with harness.rpc(tokens["admin"], timeout=60) as proxy:
        rotated = proxy.client_vault.rotate_key()
        assert rotated["to_rewrap"] == 8
        done = proxy.client_vault.rewrap(3)
        assert (done["rewrapped"], done["min_decryption_version"]) == (7 * 4 + 1, rotated["key_version"])
        assert proxy.client_vault.rewrap()["rewrapped"] == 0
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT key_version FROM clients UNION SELECT key_version FROM notes"))
        assert {v for (v,) in versions} == {rotated["key_version"]}
    engine.dispose()
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["client_vault"]}, "client_vault")
    assert vault.read_key(PII_KEY)["min_decryption_version"] == rotated["key_version"]
    with pytest.raises(VaultRequestError):  # the old version decrypts nothing any more
        vault.decrypt_batch(PII_KEY, [(old.name_ct, field_context(old.id, "name"))])
    with harness.rpc(tokens["supervisor"]) as proxy:
        for n, client_id in enumerate(client_ids):
            assert proxy.client_vault.reveal(client_id, ["name", "phone"], "follow_up") == {
                "name": f"客户{n}", "phone": "+86" + phone_number(n)}
        assert proxy.client_vault.get_notes(client_ids[0], "follow_up")[0]["text"] == "服务很好"


def test_erasure_removes_the_data_and_keeps_the_act(harness, people, dialect):
    tokens, ids = people
    with harness.rpc(tokens["agent"]) as proxy:
        client_id = proxy.client_vault.register_client(profile())["client_id"]
        proxy.client_vault.add_note(client_id, "survey", "满意")
    with harness.rpc(tokens["admin"]) as proxy:
        assert proxy.client_vault.erase_client(client_id, "client_request")["erased"] is True
        assert refused(lambda: proxy.client_vault.get_client(client_id)) == "NotFound"
        assert refused(lambda: proxy.client_vault.find_by_phone(PHONE)) == "NotFound"
        [entry] = proxy.client_vault.audit_log(client_id=client_id)
        assert (entry["action"], entry["staff_id"], entry["purpose"]) == ("erase", ids["admin"], "client_request")
    engine = engine_of(harness.services["client_vault"])
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT phone_index, name_ct, phone_ct, id_number_ct, address_ct, masked "
                                         "FROM clients WHERE id = :id"), {"id": client_id}).one()
        assert set(row) == {None}
        assert connection.execute(sa.text("SELECT count(*) FROM notes")).scalar() == 0
    engine.dispose()
    with harness.rpc(tokens["agent"]) as proxy:  # the same person may register afresh
        assert proxy.client_vault.register_client(profile())["client_id"] != client_id


def test_import_validates_every_row_and_dedupes(harness, people, dialect):
    tokens, _ = people
    with harness.rpc(tokens["agent"]) as proxy:
        existing = proxy.client_vault.register_client(profile(phone="13700000001"))["client_id"]
    rows = [profile(phone="13700000001"), profile(phone="13700000002"), profile(phone="137-0000-0002"),
            profile(phone="1234"), {"name": "", "phone": "13700000003"}, profile(phone="13700000004")]
    with harness.rpc(tokens["supervisor"]) as proxy:
        result = proxy.client_vault.import_clients(rows, idempotency_key=uuid.uuid4().hex)
        assert (result["created"], result["existing"]) == (2, 2)
        assert [r["row"] for r in result["rejected"]] == [3, 4]
        assert set(result["rejected"][1]["reasons"]) == {"name", "source", "consent"}
        assert result["rows_per_second"] > 0
        assert proxy.client_vault.find_by_phone("13700000001")["client_id"] == existing
    with harness.rpc(tokens["agent"]) as proxy:
        assert refused(lambda: proxy.client_vault.import_clients(rows)) == "Forbidden"
