"""client_vault when things break: Vault stopped during registration and import (nothing written,
``DependencyUnavailable``, recovery by itself), an import whose Vault fails after some of its rows
were written (all rolled back), and a rewrap interrupted half-way that resumes where it stopped (the
service's methods with nameko's ``worker_factory`` over the real storage, on each dialect, and the
real Vault whose rewrap fails after one batch, as when the process dies)."""
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from anchang_common.auth import Principal
from anchang_common.db import make_engine
from anchang_common.errors import DependencyUnavailable
from anchang_common.testing.doubles import AuthDouble, EventsDouble, UnitOfWorkDouble
from anchang_common.vault import VaultClient
from client_vault.crypto import PII_KEY, RECORDS_PER_CALL, PiiCipher
from client_vault.permissions import PERMISSIONS
from client_vault.service import Service
from client_vault.settings import Settings
from client_vault.storage import ClientStorage
from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision
from staff.bootstrap import seed_admin
from tests.integration.test_client_vault import phone_number, profile

PASSWORD = "correct-horse-42"


@pytest.fixture
def own_vault(tmp_path):
    """A file-backed OpenBao (keys survive a restart) that this test may stop."""
    server = BaoServer(tmp_path / "vault", free_port())
    server.start()
    root = server.client()
    provision(root)
    yield server, {name: issue_service_token(root, name) for name in ("staff", "client_vault")}
    server.stop()


def count_clients(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM clients")).scalar()
    engine.dispose()
    return count


def test_vault_stopped_during_register_and_import_writes_nothing(harness, own_vault, dialect):
    server, tokens = own_vault
    configs = {}
    for name in ("staff", "client_vault"):
        configs[name] = harness.config_for(name)
        configs[name]["VAULT"].update(ADDR=server.addr, TOKEN=tokens[name])
        harness.start(name, config=configs[name])
    seed_admin(configs["staff"]["DATABASE_URL"], PASSWORD)
    with harness.rpc() as proxy:
        admin = proxy.staff.login("admin", PASSWORD)["token"]
    with harness.rpc(admin) as proxy:
        proxy.client_vault.register_client(profile())
    url = configs["client_vault"]["DATABASE_URL"]
    assert count_clients(url) == 1

    server.stop()
    with harness.rpc(admin, timeout=60) as proxy:
        for call in (lambda: proxy.client_vault.register_client(profile(phone="13900000001")),
                     lambda: proxy.client_vault.import_clients([profile(phone=phone_number(n)) for n in range(50)])):
            with pytest.raises(RemoteError) as raised:
                call()
            assert raised.value.exc_type == "DependencyUnavailable"
    assert count_clients(url) == 1

    server.start()
    with harness.rpc(admin) as proxy:
        assert proxy.client_vault.import_clients([profile(phone=phone_number(n)) for n in range(50)])["created"] == 50
    assert count_clients(url) == 51


class InterruptedVault:
    """The real Vault client whose ``rewrap_batch`` fails once ``batches`` calls went through."""

    def __init__(self, client, batches):
        self.client, self.batches, self.sizes = client, batches, []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def rewrap_batch(self, key, items):
        if len(self.sizes) == self.batches:
            raise DependencyUnavailable("vault unavailable")
        self.sizes.append(len(items))
        return self.client.rewrap_batch(key, items)


ADMIN = Principal(staff_id="admin0", username="admin", roles=("admin",), status="active", version=1)


def admin_worker(session, store, vault):
    """The service layer as the admin, over ``store`` and a cipher on ``vault`` (real or failing)."""
    auth, events = AuthDouble(ADMIN), EventsDouble()
    return worker_factory(Service, store=store, pii=PiiCipher(vault), auth=auth, events=events,
                          settings=Settings(), unit_of_work=UnitOfWorkDouble(session, auth.caller, events, PERMISSIONS))


def test_an_interrupted_rewrap_resumes_where_it_stopped(database_url, vault_server, service_tokens):
    engine = make_engine(database_url("client_vault"))
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["client_vault"]}, "client_vault")
    with Session(engine, expire_on_commit=False) as session:
        def worker(client):
            return admin_worker(session, ClientStorage(session), client)
        ids = [worker(vault).register_client(profile(phone=phone_number(n), name=f"客户{n}"))["client_id"]
               for n in range(5)]
        newest = worker(vault).rotate_key()["key_version"]
        min_before = vault.read_key(PII_KEY)["min_decryption_version"]

        interrupted = InterruptedVault(vault, batches=1)
        with pytest.raises(DependencyUnavailable):
            worker(interrupted).rewrap(2)
        versions = session.execute(sa.text("SELECT key_version FROM clients")).scalars().all()
        assert sorted(versions) == [newest - 1] * 3 + [newest] * 2  # the first batch is kept
        assert vault.read_key(PII_KEY)["min_decryption_version"] == min_before  # not raised yet

        resumed = InterruptedVault(vault, batches=100)
        done = worker(resumed).rewrap(2)
        assert resumed.sizes == [2 * 4, 1 * 4]  # only the three rows left, nothing twice
        assert done == {"rewrapped": 12, "key_version": newest, "min_decryption_version": newest}
        assert vault.read_key(PII_KEY)["min_decryption_version"] == newest
        cipher = PiiCipher(vault)
        for n, client_id in enumerate(ids):
            stored = ClientStorage(session).client(client_id)
            assert cipher.decrypt_fields(client_id, stored.ciphertexts)["name"] == f"客户{n}"
    engine.dispose()


class VaultGoneAfter:
    """The real Vault client whose ``encrypt_batch`` fails from its ``calls``-th call on, as when
    Vault goes away in the middle of an import."""

    def __init__(self, client, calls):
        self.client, self.calls, self.made = client, calls, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def encrypt_batch(self, key, items):
        self.made += 1
        if self.made >= self.calls:
            raise DependencyUnavailable("vault unavailable")
        return self.client.encrypt_batch(key, items)


class WrittenChunks(ClientStorage):
    """The real storage, counting the rows ``add_clients`` wrote."""

    written = 0

    def add_clients(self, records, created_by):
        inserted = super().add_clients(records, created_by)
        WrittenChunks.written += len(inserted)
        return inserted


def test_a_vault_failure_on_a_later_chunk_of_an_import_writes_nothing(database_url, vault_server, service_tokens):
    """Rows are written chunk by chunk while Vault encrypts the next: a Vault call failing after some
    chunks were written rolls them back with the rest; the same import then goes through whole."""
    url = database_url("client_vault")
    engine = make_engine(url)
    vault = VaultClient({"ADDR": vault_server.addr, "TOKEN": service_tokens["client_vault"]}, "client_vault")
    rows = [profile(phone=phone_number(n), name=f"客户{n}") for n in range(RECORDS_PER_CALL * 12)]
    with Session(engine, expire_on_commit=False) as session:
        def worker(client):
            return admin_worker(session, WrittenChunks(session), client)
        WrittenChunks.written = 0
        with pytest.raises(DependencyUnavailable):
            worker(VaultGoneAfter(vault, calls=10)).import_clients(rows)
        assert WrittenChunks.written >= 2 * RECORDS_PER_CALL  # rows had been written when Vault failed
        assert session.execute(sa.text("SELECT count(*) FROM clients")).scalar() == 0

        assert worker(vault).import_clients(rows)["created"] == len(rows)
    assert count_clients(url) == len(rows)
    engine.dispose()
