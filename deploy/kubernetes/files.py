"""The files of ``k8s/`` as text: ``render`` gives them, ``differences`` and ``write`` compare and write."""
from __future__ import annotations

from pathlib import Path

import yaml

from deploy.kubernetes import components, tls, vault, workloads
from deploy.kubernetes.settings import CA_DIR, CA_FILE, HEADER, K8S, NAMESPACE, RABBITMQ, REPO, k8s_name
from deploy.ports import SERVICES

ME = "deploy/kubernetes/"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (PromQL, scripts) as literal blocks, as a person writes them."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def to_yaml(document) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=120)


def dump(objects, source: str) -> str:
    documents = objects if isinstance(objects, list) else [objects]
    body = "---\n".join(to_yaml(document) for document in documents)
    return HEADER.format(source=source) + body


def kustomization(body: dict, source: str = ME) -> str:
    return HEADER.format(source=source) + to_yaml(body)


def render() -> dict:
    """``{path relative to k8s/: text}`` of every generated file."""
    files = {}
    me = ME
    for service in SERVICES:
        name = k8s_name(service)
        files[f"base/{name}/config.env"] = workloads.config_env(service)
        files[f"base/{name}/{name}.yaml"] = dump(workloads.service_objects(service),
                                                 f"{me} and services/{service}/config.yaml")
    files["base/kustomization.yaml"] = kustomization({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": [f"{k8s_name(s)}/{k8s_name(s)}.yaml" for s in SERVICES],
        # a changed ConfigMap gets a new name, so its Deployment rolls
        "configMapGenerator": [{"name": f"{k8s_name(s)}-config", "envs": [f"{k8s_name(s)}/config.env"]}
                               for s in SERVICES],
    })

    component = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}
    files["components/monitoring/service-monitors.yaml"] = dump([components.service_monitor(s) for s in SERVICES], me)
    files["components/monitoring/prometheus-rules.yaml"] = dump(components.prometheus_rules(),
                                                                "deploy/prometheus/rules/*.yml")
    files["components/monitoring/kustomization.yaml"] = kustomization(
        {**component, "resources": ["service-monitors.yaml", "prometheus-rules.yaml"]})

    files["components/network-policies/network-policies.yaml"] = dump(
        components.shared_network_policies() + [components.network_policy(s) for s in SERVICES], me)
    files["components/network-policies/kustomization.yaml"] = kustomization(
        {**component, "resources": ["network-policies.yaml"]})

    files["components/autoscaling/scaled-objects.yaml"] = dump([components.scaled_object(s) for s in SERVICES], me)
    files["components/autoscaling/kustomization.yaml"] = kustomization(
        {**component, "resources": ["scaled-objects.yaml"]})
    files["components/autoscaling-cpu/horizontal-pod-autoscalers.yaml"] = dump(
        [components.cpu_autoscaler(s) for s in SERVICES], me)
    files["components/autoscaling-cpu/kustomization.yaml"] = kustomization(
        {**component, "resources": ["horizontal-pod-autoscalers.yaml"]})

    files["components/rabbitmq/rabbitmq-cluster.yaml"] = dump(components.rabbitmq_cluster(), me)
    files["components/rabbitmq/kustomization.yaml"] = kustomization(
        {**component, "resources": ["rabbitmq-cluster.yaml"]})

    for path in sorted((REPO / "deploy" / "vault" / "policies").glob("*.hcl")):
        files[f"components/vault/policies/{path.name}"] = path.read_text()
    files["components/vault/policies/configure.sh"] = vault.vault_script()
    files["components/vault/vault-configure.yaml"] = dump(vault.vault_job(), "deploy/vault/")
    files["components/vault/kustomization.yaml"] = kustomization({
        **component, "resources": ["vault-configure.yaml"],
        "configMapGenerator": [{"name": "vault-policies", "files": [
            f"policies/{path.name}" for path in sorted((REPO / "deploy" / "vault" / "policies").glob("*.hcl"))
        ] + ["policies/configure.sh"]}]})

    files["components/vault-agent/agent-annotations.yaml"] = dump([vault.agent_patch(s) for s in SERVICES], me)
    files["components/vault-agent/kustomization.yaml"] = kustomization({
        **component,
        "configMapGenerator": [{"name": f"{k8s_name(s)}-config", "behavior": "merge",
                                "literals": ["VAULT_ROLE=", "VAULT_TOKEN_FILE=/vault/secrets/token"]}
                               for s in SERVICES],
        "patches": [{"path": "agent-annotations.yaml"}]})

    files["components/tls/certificates.yaml"] = dump(tls.certificates(), me)
    files["components/tls/ca-mounts.yaml"] = dump([p for s in SERVICES for p in tls.tls_patch(s)], me)
    files["components/tls/kustomization.yaml"] = kustomization({
        **component,
        # keda-tls.yaml: with the autoscaling component (KEDA's CRDs); drop it where KEDA is absent
        "resources": ["certificates.yaml", "keda-tls.yaml"],
        "configMapGenerator": [{"name": f"{k8s_name(s)}-config", "behavior": "merge", "literals": tls.tls_config()}
                               for s in SERVICES],
        "secretGenerator": [{"name": "keda-rabbitmq-tls", "literals": ["tls=enable"]}],
        "patches": [
            {"path": "ca-mounts.yaml"},
            # with the rabbitmq component: TLS only, with the certificate above
            {"path": "rabbitmq-tls.yaml",
             "target": {"group": "rabbitmq.com", "kind": "RabbitmqCluster", "name": RABBITMQ}},
            # with the autoscaling component: KEDA verifies the broker too
            {"path": "scaled-objects-tls.yaml", "target": {"group": "keda.sh", "kind": "ScaledObject"}},
            # with the vault component: its Job talks HTTPS too
            {"path": "vault-configure-tls.yaml",
             "target": {"group": "batch", "kind": "Job", "name": "vault-configure"}},
        ],
    })
    files["components/tls/rabbitmq-tls.yaml"] = dump([[
        {"op": "add", "path": "/spec/tls", "value": {"secretName": "rabbitmq-tls", "disableNonTLSListeners": True}}]],
        me)
    files["components/tls/keda-tls.yaml"] = dump(tls.keda_tls(), me)
    files["components/tls/scaled-objects-tls.yaml"] = dump([[
        {"op": "add", "path": "/spec/triggers/0/authenticationRef", "value": {"name": "rabbitmq-tls"}}]], me)
    files["components/tls/vault-configure-tls.yaml"] = dump([[
        {"op": "add", "path": "/spec/template/spec/volumes/-", "value": tls.ca_volume()},
        {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-",
         "value": {"name": "anchang-ca", "mountPath": CA_DIR, "readOnly": True}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
         "value": {"name": "BAO_CACERT", "value": CA_FILE}},
    ]], me)
    return files


def differences(root: Path = K8S) -> list:
    """Generated files whose committed text differs from what ``render`` gives (or is missing)."""
    return sorted(path for path, text in render().items()
                  if not (root / path).exists() or (root / path).read_text() != text)


def write(root: Path = K8S) -> list:
    written = []
    for path, text in render().items():
        target = root / path
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(path)
    return written
