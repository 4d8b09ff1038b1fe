"""The components monitoring, network-policies, autoscaling(-cpu) and rabbitmq."""
from __future__ import annotations

from pathlib import Path

import yaml

from deploy.kubernetes.settings import (
    MAX_REPLICAS,
    MIN_REPLICAS,
    QUEUE_LENGTH_PER_REPLICA,
    RABBITMQ,
    RABBITMQ_IMAGE,
    REPO,
    VAULT_NAMESPACE,
    VAULT_PORT,
    VAULT_SERVICE,
    k8s_name,
    labels,
    selector,
)
from deploy.ports import CONTAINER_PORT, SERVICES

RULES_DIR = REPO / "deploy" / "prometheus" / "rules"


def service_monitor(service: str) -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": k8s_name(service), "labels": labels(service)},
            "spec": {"selector": {"matchLabels": selector(service)},
                     "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}]}}


def rule_name(path: Path) -> str:
    """The PrometheusRule of ``rules/<stem>.yml``: ``anchang-<stem>`` (``anchang.yml``: ``anchang``)."""
    stem = path.stem.lower().replace("_", "-")
    return stem if stem.startswith("anchang") else f"anchang-{stem}"


def prometheus_rules(rules_dir: Path = RULES_DIR) -> list:
    """One PrometheusRule per rule file of ``deploy/prometheus/rules/``, its groups unchanged: any
    file added there is picked up."""
    rules = []
    for path in sorted(Path(rules_dir).glob("*.yml")):
        document = yaml.safe_load(path.read_text())
        rules.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                      "metadata": {"name": rule_name(path), "labels": {"app.kubernetes.io/part-of": "anchang"},
                                   "annotations": {"anchang.io/source": f"deploy/prometheus/rules/{path.name}"}},
                      "spec": {"groups": document["groups"]}})
    return rules


def dns_egress() -> dict:
    return {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def rabbitmq_pods() -> dict:
    # the cluster operator labels the pods of RabbitmqCluster <name> app.kubernetes.io/name=<name>
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": RABBITMQ}}}


def network_policy(service: str) -> dict:
    """Deny by default (``default-deny``), then: DNS, RabbitMQ, its own database, Vault, Prometheus.

    The services a service calls are reached through RabbitMQ (nameko RPC): no pod-to-pod rule.
    """
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": k8s_name(service), "labels": labels(service)},
        "spec": {
            # its pods and its migration Job's
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": k8s_name(service)}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
                "ports": [{"protocol": "TCP", "port": CONTAINER_PORT}]}],
            "egress": [
                dns_egress(),
                {"to": [rabbitmq_pods()], "ports": [{"protocol": "TCP", "port": 5671},
                                                    {"protocol": "TCP", "port": 5672}]},
                # its own database: pods labelled for it (an ipBlock for a managed one, docs/deploy.md)
                {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {
                    "anchang.io/database-of": k8s_name(service)}}}],
                 "ports": [{"protocol": "TCP", "port": 5432}]},
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": VAULT_NAMESPACE}},
                         "podSelector": {"matchLabels": {"app.kubernetes.io/name": VAULT_SERVICE}}}],
                 "ports": [{"protocol": "TCP", "port": VAULT_PORT}]},
            ],
        },
    }


def shared_network_policies() -> list:
    anchang_services = {"key": "app.kubernetes.io/name", "operator": "In",
                        "values": [k8s_name(service) for service in SERVICES]}
    return [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "default-deny", "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": RABBITMQ, "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {
             "podSelector": rabbitmq_pods()["podSelector"],
             "policyTypes": ["Ingress", "Egress"],
             "ingress": [
                 # the services (AMQP), KEDA's operator (queue lengths), Prometheus (15691 TLS, 15692)
                 {"from": [{"podSelector": {"matchExpressions": [anchang_services]}}],
                  "ports": [{"protocol": "TCP", "port": 5671}, {"protocol": "TCP", "port": 5672}]},
                 {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}],
                  "ports": [{"protocol": "TCP", "port": 5671}, {"protocol": "TCP", "port": 5672}]},
                 {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                  "ports": [{"protocol": "TCP", "port": 15691}, {"protocol": "TCP", "port": 15692}]},
                 # the nodes of the cluster among themselves: epmd, inter-node and CLI, management
                 {"from": [rabbitmq_pods()]},
             ],
             "egress": [dns_egress(), {"to": [rabbitmq_pods()]}],
         }},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "vault-configure", "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {
             "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vault-configure"}},
             "policyTypes": ["Ingress", "Egress"],
             "egress": [dns_egress(), {
                 "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": VAULT_NAMESPACE}},
                         "podSelector": {"matchLabels": {"app.kubernetes.io/name": VAULT_SERVICE}}}],
                 "ports": [{"protocol": "TCP", "port": VAULT_PORT}]}],
         }},
    ]


def scaled_object(service: str) -> dict:
    name = k8s_name(service)
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": name, "labels": labels(service)},
            "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": MIN_REPLICAS,
                     "maxReplicaCount": MAX_REPLICAS, "pollingInterval": 15, "cooldownPeriod": 300,
                     "triggers": [{"type": "rabbitmq", "metadata": {
                         "protocol": "amqp", "mode": "QueueLength", "value": str(QUEUE_LENGTH_PER_REPLICA),
                         # nameko's RPC queue of the service
                         "queueName": f"rpc-{service}",
                         # the service's own AMQP_URI (its Secret, through the Deployment's envFrom)
                         "hostFromEnv": "AMQP_URI"}}]}}


def cpu_autoscaler(service: str) -> dict:
    name = k8s_name(service)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels(service)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": MIN_REPLICAS, "maxReplicas": MAX_REPLICAS,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}


def rabbitmq_cluster() -> dict:
    return {
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": RABBITMQ, "labels": {"app.kubernetes.io/part-of": "anchang"}},
        "spec": {
            "replicas": 3,
            "image": RABBITMQ_IMAGE,
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
            "persistence": {"storage": "10Gi"},
            "rabbitmq": {
                # quorum queues unless a queue says otherwise: replicated on the three nodes
                "additionalConfig": "default_queue_type = quorum\n"
                                    "load_definitions = /etc/rabbitmq/definitions/definitions.json\n",
            },
            # the definitions of deploy/rabbitmq (a user per service, its permissions), rendered
            # with passwords into the Secret rabbitmq-definitions: docs/deploy.md#secrets
            "override": {"statefulSet": {"spec": {"template": {"spec": {
                "containers": [{"name": "rabbitmq", "volumeMounts": [
                    {"name": "definitions", "mountPath": "/etc/rabbitmq/definitions", "readOnly": True}]}],
                "volumes": [{"name": "definitions", "secret": {"secretName": "rabbitmq-definitions"}}],
            }}}}},
        },
    }
