"""The read path of token revocation (docs/architecture.md#revocation): every instance of every
service holds the versions it checked in process, so a matching token costs no query; a
``staff.changed`` broadcast reaches every instance (not one per service), so a revoked token is
refused by all of them within ``BOUND_SECONDS`` of the revoking call's answer; an instance whose
broadcast connection broke forgets what it held and asks the source again.

Each instance is called directly (``entrypoint_hook``: the real gate, the real worker), so the test
knows which one answered."""
import time

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from anchang_common.auth import CONTEXT_KEY
from anchang_common.errors import NotFound, Unauthenticated
from anchang_common.revocation import KnownVersions
from deploy.local.openbao import free_port
from tests.fault.stack import wait_until

#: the bound stated in docs/architecture.md#revocation
BOUND_SECONDS = 1.0
#: per service: a read any member may make, and its arguments
READS = {"staff": ("list_staff", ()), "appraisal": ("list_templates", ()), "ticket": ("list_tickets", ()),
         "client_vault": ("find_by_phone", ("13800138000",))}


def second_instance(harness, name):
    """Another instance of a running service: same database, its own HTTP port and broadcast queue."""
    first = harness.services[name]
    return harness.start(f"{name}-2", first.container.service_cls, dict(
        first.config, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}"))


def read(instance, token):
    """The instance's read, as the token's holder: ``"ok"``, or the refusal's type name."""
    method, arguments = READS[instance.container.service_name]
    with entrypoint_hook(instance.container, method, context_data={CONTEXT_KEY: f"Bearer {token}"}) as call:
        try:
            call(*arguments)
        except NotFound:
            pass  # past the gate
        except Unauthenticated:
            return "Unauthenticated"
    return "ok"


def engine(instance):
    return next(d for d in instance.container.dependencies if hasattr(d, "sessions")).sessions.engine


def version_reads(instance, call):
    """How many statements on ``token_versions`` ``call()`` made on the instance's database."""
    statements = []

    def record(conn, cursor, statement, *args):
        if "token_versions" in statement:
            statements.append(statement)
    sa.event.listen(engine(instance), "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine(instance), "before_cursor_execute", record)
    return len(statements)


def known(instance):
    return instance.container.shared_extensions[KnownVersions]


@pytest.fixture
def instances(harness, staff, dialect):
    """Two instances each of staff and appraisal, one of ticket and of client_vault, all consuming."""
    for name in ("appraisal", "ticket", "client_vault"):
        harness.start(name)
    running = [harness.services[name] for name in ("staff", "appraisal", "ticket", "client_vault")]
    running += [second_instance(harness, "staff"), second_instance(harness, "appraisal")]
    for instance in running:
        wait_until(lambda instance=instance: known(instance).live, 10, "the broadcast queue consumed")
    return running


def test_a_held_version_costs_no_query_and_a_revocation_reaches_every_instance_within_the_bound(
        harness, admin, instances):
    for instance in instances:
        assert read(instance, admin) == "ok"
    for instance in instances:  # held now: the token check reads nothing
        assert version_reads(instance, lambda instance=instance: read(instance, admin)) == 0, instance.name

    with harness.rpc(admin) as rpc:
        staff_id = rpc.staff.login("admin", "correct-horse-42")["staff_id"]
        old = rpc.staff.login("admin", "correct-horse-42")["token"]
    for instance in instances:
        assert read(instance, old) == "ok"
    with harness.rpc(old) as rpc:
        rpc.staff.set_roles(staff_id, ["admin"])  # every earlier token of the admin ends
    answered = time.monotonic()
    latest = 0.0
    for instance in instances:
        wait_until(lambda instance=instance: read(instance, old) == "Unauthenticated", BOUND_SECONDS,
                   f"{instance.name} refuses the revoked token", interval=0.01)
        latest = max(latest, time.monotonic() - answered)
    assert latest < BOUND_SECONDS

    with harness.rpc() as rpc:
        fresh = rpc.staff.login("admin", "correct-horse-42")["token"]
    for instance in instances:
        assert read(instance, fresh) == "ok", instance.name


def test_an_instance_whose_broadcast_connection_broke_forgets_and_asks_the_source(harness, admin, instances,
                                                                                   rabbit_manager, rabbit_config):
    appraisal = harness.services["appraisal"]
    assert read(appraisal, admin) == "ok"
    assert version_reads(appraisal, lambda: read(appraisal, admin)) == 0
    held_before = known(appraisal)._changes

    close_broadcast_connections(rabbit_manager, rabbit_config["vhost"], "appraisal")
    wait_until(lambda: known(appraisal).live and known(appraisal)._changes > held_before, 30,
               "the broadcast consumed again")
    assert version_reads(appraisal, lambda: read(appraisal, admin)) >= 1  # asked the source again
    assert version_reads(appraisal, lambda: read(appraisal, admin)) == 0  # and holds it again


def close_broadcast_connections(rabbit_manager, vhost, service):
    """Close, through the management API, the connections consuming ``service``'s ``staff.changed``
    queues (a network failure, as the instances see it)."""
    def connections():  # the management API's lists lag behind by a few seconds
        names = []
        for consumer in rabbit_manager._get("consumers", vhost):
            details = consumer.get("channel_details")  # [] while the channel is going
            if isinstance(details, dict) and consumer["queue"]["name"].startswith(
                    f"evt-staff-changed--{service}.token_versions-"):
                names.append(details["connection_name"])
        return names
    for name in wait_until(connections, 30, "the broadcast consumers listed"):
        rabbit_manager.delete_connection(name)
