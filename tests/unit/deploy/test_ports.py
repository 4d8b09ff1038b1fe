"""deploy/ports.py is the one table of ports; the files that cannot import it repeat its numbers as
literals, and must agree with it."""
import re
from pathlib import Path

import pytest
import yaml

from deploy.ports import CONTAINER_PORT, PROMETHEUS_PORT, RABBITMQ_METRICS_PORT, SERVICE_PORTS, SERVICES, VAULT_PORT
from deploy.vault.provision import POLICIES_DIR, services

REPO = Path(__file__).resolve().parents[3]
DEFAULT = r"\$\{%s:([^}]*)\}"


def config_default(service, variable):
    text = (REPO / "services" / service / "config.yaml").read_text()
    return re.search(DEFAULT % variable, text).group(1)


def scrape_targets(name, job_name="anchang"):
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / name).read_text())
    return {target for job in config["scrape_configs"] if job["job_name"] == job_name
            for static in job["static_configs"] for target in static["targets"]}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_config_yaml_listens_on_its_port_and_knows_vaults(service):
    assert config_default(service, "WEB_SERVER_ADDRESS") == f"0.0.0.0:{SERVICE_PORTS[service]}"
    assert config_default(service, "VAULT_ADDR") == f"http://127.0.0.1:{VAULT_PORT}"


def test_the_local_prometheus_scrapes_each_service_port():
    assert scrape_targets("prometheus-local.yml") == {f"127.0.0.1:{port}" for port in SERVICE_PORTS.values()}


def test_both_prometheus_configurations_scrape_rabbitmqs_queue_metrics():
    assert scrape_targets("prometheus-local.yml", "rabbitmq") == {f"127.0.0.1:{RABBITMQ_METRICS_PORT}"}
    assert scrape_targets("prometheus.yml", "rabbitmq") == {f"rabbitmq:{RABBITMQ_METRICS_PORT}"}


def test_the_compose_prometheus_scrapes_each_container_port():
    assert scrape_targets("prometheus.yml") == {f"{service}:{CONTAINER_PORT}" for service in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_compose_publishes_each_service_on_its_port(compose, service):
    assert compose[service]["ports"] == [f"127.0.0.1:{SERVICE_PORTS[service]}:{CONTAINER_PORT}"]


def test_compose_publishes_vault_and_prometheus_on_theirs(compose):
    assert f"127.0.0.1:{VAULT_PORT}:8200" in compose["openbao"]["ports"]
    assert f"127.0.0.1:{PROMETHEUS_PORT}:9090" in compose["prometheus"]["ports"]


def test_every_service_has_a_vault_policy_and_no_policy_lacks_a_service():
    assert services(POLICIES_DIR) == sorted(SERVICES)
