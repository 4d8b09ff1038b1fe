"""Each provider declares what it needs: a service that declares only ``Auth``, ``Events`` and a
``Storage`` (no ``Database``, no ``Vault``) still signs and verifies tokens, stores rows, publishes
events after the commit and reports every dependency's readiness. Removing a provider's declared
need (e.g. ``Auth.vault`` or ``Events.sessions``) makes this test fail."""
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from anchang_common.auth import CONTEXT_KEY, Principal
from anchang_common.base import ServiceBase
from anchang_common.db import Storage, make_engine
from anchang_common.entrypoints import UnitOfWork, event_handler, rpc
from anchang_common.events import Events
from anchang_common.gate import Auth
from anchang_common.permissions import PUBLIC, PermissionTable, allow

notes = sa.Table("test_wired_notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("kind", sa.String(20), nullable=False))
heard = []


class NoteStorage:
    """The wrapper a ``Storage`` provider injects."""

    def __init__(self, session):
        self.session = session

    def add(self, kind):
        self.session.execute(sa.insert(notes).values(kind=kind))

    def count(self):
        return self.session.execute(sa.select(sa.func.count()).select_from(notes)).scalar()


class NoteStore(Storage):
    wrapper = NoteStorage


class Wired(ServiceBase):
    name = "wired"
    permissions = PermissionTable({"token_for": PUBLIC, "note": allow()})
    token_versions_authoritative = True  # it keeps its own versions: no staff to ask

    auth = Auth()
    events = Events()
    store = NoteStore()

    @rpc
    def token_for(self, staff_id):
        principal = Principal(staff_id=staff_id, username="w", roles=("agent",), status="active", version=1)
        return self.auth.issue(principal)[0]

    @rpc
    def note(self, kind):
        self.store.add(kind)
        self.events.dispatch("wired.noted", {"kind": kind, "by": self.auth.principal.staff_id})
        return self.store.count()


class Ear:
    name = "ear"
    unit_of_work = UnitOfWork()

    @event_handler("wired", "noted")
    def on_noted(self, envelope):
        heard.append(envelope["data"])


def test_providers_bring_what_they_need(harness):
    config = harness.config_for("staff")  # staff's Vault policy may sign tokens
    engine = make_engine(config["DATABASE_URL"])
    notes.metadata.create_all(engine)
    engine.dispose()
    service = harness.start("wired", Wired, config)
    ear = harness.start("ear", Ear, harness.config_for("appraisal"))

    with harness.rpc() as rpc:
        token = rpc.wired.token_for("w1")
    with ClusterRpcProxy({"AMQP_URI": harness.amqp_uri}, context_data={CONTEXT_KEY: f"Bearer {token}"}) as rpc:
        with entrypoint_waiter(ear.container, "on_noted"):
            assert rpc.wired.note("visit") == 1
    assert heard[-1] == {"kind": "visit", "by": "w1"}
    ready = service.get("/health/ready").json()
    assert ready["checks"] == {"broker": "ok", "consuming": "ok", "database": "ok", "vault": "ok"}
