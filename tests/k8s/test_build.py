"""Every overlay of k8s/ builds with `kubectl kustomize`, and the generated files of k8s/ are what
deploy/kubernetes/ renders from their sources (config.yaml, deploy/prometheus/rules, deploy/vault):
a rule, variable or policy changed there and not regenerated here fails (`make k8s-generate`)."""
import os
import shutil

import pytest
import yaml

from deploy import kubernetes
from deploy.ports import SERVICES
from tests.k8s.manifests import K8S, OVERLAYS, build, build_text, named, of_kind


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_builds(overlay):
    objects = build(overlay)
    deployments = {obj["metadata"]["name"] for obj in of_kind(objects, "Deployment")}
    assert deployments == {kubernetes.k8s_name(service) for service in SERVICES}
    assert {obj["metadata"].get("namespace") for obj in objects if obj["kind"] != "Namespace"} == {"anchang"}


def test_the_generated_files_are_up_to_date():
    stale = kubernetes.differences()
    assert not stale, f"k8s/ differs from what deploy/kubernetes/ renders: {stale} (run `make k8s-generate`)"


def test_the_drift_check_catches_a_hand_edit(tmp_path):
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    rules = copy / "components" / "monitoring" / "prometheus-rules.yaml"
    rules.write_text(rules.read_text().replace("for: 10m", "for: 30m"))
    assert kubernetes.differences(copy) == ["components/monitoring/prometheus-rules.yaml"]


def test_every_rule_file_becomes_a_prometheus_rule(tmp_path):
    """Rule files added later to deploy/prometheus/rules/ are picked up with no change here."""
    for path in kubernetes.RULES_DIR.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "queues.yml").write_text(yaml.safe_dump({"groups": [{"name": "anchang-queues", "rules": [
        {"alert": "AnchangQueueBacklog", "expr": "rabbitmq_queue_messages_ready > 100", "for": "5m"}]}]}))
    rules = {rule["metadata"]["name"]: rule for rule in kubernetes.prometheus_rules(tmp_path)}
    assert rules["anchang-queues"]["spec"]["groups"][0]["rules"][0]["alert"] == "AnchangQueueBacklog"
    assert len(rules) == len(list(tmp_path.glob("*.yml")))


def test_the_optional_vault_agent_component_hands_the_login_to_the_agent(tmp_path):
    """Not in an overlay: added on top of one where the platform requires Vault's agent injector."""
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(K8S / "overlays" / "prod", tmp_path)],
        "components": [os.path.relpath(K8S / "components" / "vault-agent", tmp_path)]}))
    objects = [doc for doc in yaml.safe_load_all(build_text(tmp_path)) if doc]
    for service in SERVICES:
        deployment = named(objects, "Deployment", kubernetes.k8s_name(service))
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["vault.hashicorp.com/role"] == f"anchang-{service}"
        config_name = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"]
        config = named(objects, "ConfigMap", config_name)["data"]
        assert config["VAULT_ROLE"] == "" and config["VAULT_TOKEN_FILE"] == "/vault/secrets/token"
