"""A service killed in the middle of an event handler gets the event again and handles it once:
events are acknowledged only after the handler's transaction committed."""
import time

import eventlet
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from anchang_common.db import Database, make_engine
from anchang_common.entrypoints import UnitOfWork, event_handler
from anchang_common.events import make_envelope

effects = sa.Table("test_effects", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("event_id", sa.String(64), nullable=False))
state = {}


class Counter:
    name = "counter"
    unit_of_work = UnitOfWork()
    db = Database()

    @event_handler("source", "counted")
    def on_counted(self, envelope):
        self.db.execute(sa.insert(effects).values(event_id=envelope["event_id"]))
        self.db.flush()  # the effect is written, not yet committed, when the process dies
        if state.get("hold"):
            state["in_handler"].send(True)
            eventlet.Event().wait()  # until killed


def test_killed_mid_handler_then_redelivered_and_handled_once(harness):
    config = harness.config_for("ticket")
    engine = make_engine(config["DATABASE_URL"])
    effects.metadata.create_all(engine)
    state.update(hold=True, in_handler=eventlet.Event())

    first = harness.start("counter", Counter, config)
    envelope = make_envelope("source.counted", {"ticket_id": "t9"})
    event_dispatcher({"AMQP_URI": harness.amqp_uri})("source", "counted", envelope)
    state["in_handler"].wait()
    first.container.kill()  # no ack was sent: the broker keeps the message

    state["hold"] = False
    second = harness.start("counter", Counter, config)  # the redelivery may arrive at once
    deadline = time.monotonic() + 15
    while not handled(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handled(engine) == [envelope["event_id"]]
    # a duplicate delivery of the same event changes nothing
    with entrypoint_waiter(second.container, "on_counted"):
        event_dispatcher({"AMQP_URI": harness.amqp_uri})("source", "counted", envelope)
    assert handled(engine) == [envelope["event_id"]]
    engine.dispose()


def handled(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(effects.c.event_id)).scalars().all()
