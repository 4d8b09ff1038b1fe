"""The Database dependency over real SQLite and PostgreSQL under eventlet, in a real nameko container."""
import time

import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_waiter

from anchang_common.db import Database, make_engine
from anchang_common.entrypoints import UnitOfWork, event_handler, rpc
from anchang_common.errors import Conflict
from anchang_common.events import Events, make_envelope
from anchang_common.permissions import PUBLIC, PermissionTable
from anchang_common.tables import outbox
from anchang_common.types import utcnow

notes = sa.Table("test_notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("kind", sa.String(20), nullable=False))

SLOW_QUERY = {
    # a CPU-bound query (~1 s): SQLite computes it in C, in one call
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) "
              "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(1.5)",
}
progress = {}
heard = []


class Listener:
    name = "listener"
    unit_of_work = UnitOfWork()
    db = Database()

    @event_handler("uow", "noted")
    def on_noted(self, envelope):
        heard.append(envelope)


class UnitOfWorkService:
    name = "uow"
    unit_of_work = UnitOfWork()
    permissions = PermissionTable({"add": PUBLIC, "slow": PUBLIC, "fast": PUBLIC})
    db = Database()
    events = Events()

    @rpc
    def add(self, kind, then_fail=False):
        self.db.execute(sa.insert(notes).values(kind=kind))
        self.events.dispatch("uow.noted", {"kind": kind})
        if then_fail:
            raise Conflict("failing after the write")
        return "ok"

    @rpc
    def slow(self):
        progress["slow_started"].send(True)
        self.db.execute(sa.text(SLOW_QUERY[self.db.bind.dialect.name])).all()
        progress["slow_done"] = True

    @rpc
    def fast(self):
        self.db.execute(sa.text("SELECT 1")).scalar()
        return progress.get("slow_done", False)


@pytest.fixture
def uow(harness):
    config = harness.config_for("ticket")
    config["OUTBOX_RELAY_SECONDS"] = 0.2
    engine = make_engine(config["DATABASE_URL"])
    notes.metadata.create_all(engine)
    harness.start("uow", UnitOfWorkService, config)
    yield engine
    engine.dispose()


@pytest.fixture
def listener(harness):
    heard.clear()
    return harness.start("listener", Listener, harness.config_for("appraisal"))


def outbox_ids(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(outbox.c.event_id)).scalars().all()


def count(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(notes)).scalar()


def test_a_worker_that_succeeds_commits_and_one_that_fails_leaves_nothing(harness, uow):
    with harness.rpc() as rpc:
        assert rpc.uow.add("kept") == "ok"
        with pytest.raises(RemoteError) as raised:
            rpc.uow.add("dropped", then_fail=True)
    assert raised.value.exc_type == "Conflict"
    with uow.connect() as connection:
        assert connection.execute(sa.select(notes.c.kind)).scalars().all() == ["kept"]


def test_events_are_published_after_commit_and_never_for_rolled_back_work(harness, uow, listener):
    with entrypoint_waiter(listener.container, "on_noted"), harness.rpc() as rpc:
        rpc.uow.add("kept")
    with harness.rpc() as rpc, pytest.raises(RemoteError):
        rpc.uow.add("dropped", then_fail=True)
    assert outbox_ids(uow) == []  # published, so cleared; the rolled-back one never written
    # the relay runs now: anything left in the outbox would be published before the next event
    events = next(d for d in harness.services["uow"].container.dependencies if isinstance(d, Events))
    assert events.relay_once(older_than_seconds=0) == 0
    with entrypoint_waiter(listener.container, "on_noted"), harness.rpc() as rpc:
        rpc.uow.add("after")
    assert [e["data"] for e in heard] == [{"kind": "kept"}, {"kind": "after"}]


def test_the_outbox_relay_publishes_what_a_worker_could_not(harness, uow, listener):
    """An event committed with its work but never published (broker down, process killed)."""
    envelope = make_envelope("uow.noted", {"kind": "stranded"})
    with uow.begin() as connection:
        connection.execute(sa.insert(outbox).values(
            event_id=envelope["event_id"], name="noted", payload=envelope, created_at=utcnow()))
    with entrypoint_waiter(listener.container, "on_noted", timeout=10):
        pass
    assert [e["event_id"] for e in heard] == [envelope["event_id"]]
    deadline = time.monotonic() + 5
    while outbox_ids(uow) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox_ids(uow) == []


def test_a_slow_query_does_not_block_other_workers(harness, uow, dialect):
    progress.clear()
    progress["slow_started"] = eventlet.event.Event()
    with harness.rpc() as rpc:
        slow = rpc.uow.slow.call_async()
        progress["slow_started"].wait()
        slow_done_when_fast_answered = rpc.uow.fast()
        slow.result()
    assert slow_done_when_fast_answered is False
    assert progress["slow_done"] is True


def test_a_connection_killed_while_idle_is_replaced_before_use(database_url, dialect, monkeypatch):
    """PostgreSQL restarts or drops idle connections: the pool checks a connection that sat idle
    before handing it out, so the next call does not fail."""
    if dialect != "postgresql":
        pytest.skip("SQLite connections are files, not sockets")
    from anchang_common import db

    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0)  # every connection counts as idle
    engine = make_engine(database_url("ticket"))
    try:
        with engine.connect() as connection:
            pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with make_engine(str(engine.url.set(database="postgres")), pool_size=1).connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with engine.connect() as connection:  # the same pooled connection, dead: replaced
            assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()
