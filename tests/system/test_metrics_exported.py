"""Every metric a Prometheus rule or a Grafana panel reads is exported, with the labels it is read by.

The four services run as real processes (``nameko run``, each with its own Prometheus registry) on
this test's vhost, Vault and databases (SQLite and PostgreSQL), on free ports. Traffic through RPC
produces every Anchang metric: RPC outcomes ``ok``, ``client_error`` and ``server_error`` (a reveal
while ``ticket`` is stopped), events handled, Vault calls, database commits, service calls, a first
response and a resolution of each priority, satisfaction, a breach (a ticket under a 1-minute policy
on a 24/7 calendar, found by the escalation timer), PII reveals allowed and refused, and a reveal
anomaly (``REVEAL_LIMIT_PER_HOUR`` lowered to 1). Then each service's real ``/metrics`` is scraped.

What the rules and dashboards read comes from the committed files (``deploy.observability.reads``):
every series must be exported, each of its samples carrying every label the expressions use on it,
and every value an equality matcher asks for (a bucket edge such as ``le="900.0"``, a service, an
outcome) must be seen. ``rabbitmq_*`` and ``up`` are RabbitMQ's and Prometheus's, not ours: skipped.
"""
import time

import pytest

from anchang_common.testing import ServiceHarness
from appraisal.bootstrap import seed_default_template
from deploy.observability.reads import metrics_read
from deploy.ports import SERVICES
from staff.bootstrap import seed_admin
from tests.conftest import REPO
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.flows_support import member, new_ticket, profile, refused
from tests.system import service_processes
from ticket.bootstrap import seed as seed_ticket

PRIORITIES = ("urgent", "high", "normal", "low")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = {"code": "always", "timezone": "UTC", "hours": dict.fromkeys(WEEKDAYS, ["00:00", "24:00"])}
#: a 1-minute first-response budget: the ticket opened under it breaches a minute later
TINY_POLICY = {"category": "inquiry", "priority": "urgent", "first_response_minutes": 1, "resolution_minutes": 2,
               "calendar": "always"}
BREACH_TIMEOUT = 180
ENVIRON = {"staff": {}, "client_vault": {"REVEAL_LIMIT_PER_HOUR": "1"},
           "ticket": {"TICKET_ESCALATION_SECONDS": "1"}, "appraisal": {}}
SEEDS = {"staff": lambda url: seed_admin(url, ADMIN_PASSWORD), "client_vault": lambda url: None,
         "ticket": seed_ticket, "appraisal": seed_default_template}


@pytest.fixture
def stack(rabbit_config, vault_server, service_tokens, database_url, tmp_path):
    """The four services as processes, each on a fresh migrated and seeded database."""
    running = {}
    try:
        for service in SERVICES:
            url = database_url(service)
            SEEDS[service](url)
            running[service] = service_processes.start(
                service, rabbit_config["AMQP_URI"], url, vault_server.addr, service_tokens[service], tmp_path,
                **ENVIRON[service])
        yield running
    finally:
        for process in running.values():
            process.stop()


def exported(processes):
    """Series name -> the label sets of its samples, over every process's ``/metrics``."""
    series = {}
    for process in processes:
        for name, labels, _ in process.samples():
            series.setdefault(name, []).append(labels)
    return series


def unmet(reads, series):
    """What is read but not exported: ``{series: problem}``."""
    problems = {}
    for name, read in sorted(reads.items()):
        samples = series.get(name)
        if not samples:
            problems[name] = {"not exported; read by": sorted(read.readers)[:5]}
            continue
        missing = {label for labels in samples for label in read.labels if label not in labels}
        unseen = {label: sorted(values - {labels.get(label) for labels in samples})
                  for label, values in read.values.items()}
        unseen = {label: values for label, values in unseen.items() if values}
        if missing or unseen:
            problems[name] = {"labels missing": sorted(missing), "values never exported": unseen,
                              "read by": sorted(read.readers)[:5]}
    return problems


def value_of(process, series, **labels):
    return sum(value for name, sample_labels, value in process.samples()
               if name == series and labels.items() <= sample_labels.items())


def poll(what, check, timeout):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(1)


@pytest.mark.timeout(600)  # a breach cannot come sooner than a minute after the ticket opened
def test_every_series_the_rules_and_dashboards_read_is_exported_with_its_labels(stack, rabbit_config, dialect):
    people = ServiceHarness(None, None, rabbit_config["AMQP_URI"])  # its RPC proxies only
    with people.rpc() as rpc:
        admin = rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
    with people.rpc(admin) as rpc:
        client_id = rpc.client_vault.register_client(profile())["client_id"]
        other_client_id = rpc.client_vault.register_client(profile(phone="13900001111", name="李四"))["client_id"]
        rpc.ticket.set_calendar(ALWAYS)
        rpc.ticket.set_sla_policy(TINY_POLICY)
        late = rpc.ticket.open_ticket(new_ticket(client_id, "inquiry", "urgent"))  # no agent yet: nobody answers
    assert late["assignee_id"] is None

    agent = member(people, admin, "wang.agent", ["agent"], ["after_sales"])
    other = member(people, admin, "zhao.other", ["agent"], ["repair"])
    supervisor = member(people, admin, "li.super", ["supervisor"])
    with people.rpc(agent.token) as rpc:
        for priority in PRIORITIES:  # a first response and a resolution of each priority
            ticket_id = rpc.ticket.open_ticket(new_ticket(client_id, "after_sales", priority))["ticket_id"]
            if priority == "urgent":
                assert rpc.client_vault.reveal(client_id, ["phone"], "ticket_handling")  # allowed: assigned
            rpc.ticket.respond(ticket_id, "师傅明天上门")
            rpc.ticket.resolve(ticket_id, "已更换水管")
        rpc.ticket.record_satisfaction(ticket_id, 4, "满意")
        assert refused(lambda: rpc.ticket.get_ticket("")) == "ValidationError"
    with people.rpc(other.token) as rpc:  # refused: no open ticket of this client assigned
        assert refused(lambda: rpc.client_vault.reveal(client_id, ["phone"], "ticket_handling")) == "Forbidden"
    with people.rpc(supervisor.token) as rpc:
        assert rpc.client_vault.reveal(client_id, ["name"], "follow_up")
        # a second client within the hour is over the lowered limit: refused, and an anomaly
        assert refused(lambda: rpc.client_vault.reveal(other_client_id, ["name"], "follow_up")) == "Forbidden"
        assert rpc.appraisal.get_template("default")["code"] == "default"
        assert refused(lambda: rpc.appraisal.get_template("nothing-here")) == "NotFound"

    ticket = stack["ticket"]
    poll("the late ticket's first-response breach was not counted",
         lambda: value_of(ticket, "anchang_ticket_sla_breaches_total", kind="first_response", priority="urgent"),
         BREACH_TIMEOUT)
    scraped = {"ticket": exported([ticket])}
    ticket.stop()  # ticket cannot answer: the agent's reveal is DependencyUnavailable, a server error
    with people.rpc(agent.token, timeout=60) as rpc:
        assert refused(lambda: rpc.client_vault.reveal(client_id, ["phone"], "ticket_handling")) == (
            "DependencyUnavailable")
    others = [stack[service] for service in SERVICES if service != "ticket"]
    series = exported(others)
    for name, samples in scraped["ticket"].items():
        series.setdefault(name, []).extend(samples)

    reads = metrics_read(REPO)
    assert "anchang_ticket_sla_breaches_total" in reads and "anchang_rpc_duration_seconds_bucket" in reads
    assert not any(name.startswith("rabbitmq_") or name == "up" for name in reads)
    assert unmet(reads, series) == {}
    assert value_of(stack["client_vault"], "anchang_pii_reveal_anomalies_total") >= 1  # unlabelled: always there
