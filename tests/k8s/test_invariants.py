"""What every built overlay must honour (k8s/README.md, docs/architecture.md#security-model), checked
over the objects `kubectl kustomize` builds. Each check returns its problems; the last tests break a
copy of the objects once per check and watch it complain."""
import copy
import re

import pytest
import yaml

from deploy import kubernetes
from deploy.ports import CONTAINER_PORT, SERVICES
from deploy.vault import provision
from tests.k8s.manifests import OVERLAYS, REPO, build, containers, matches, named, of_kind, pod_specs

DEPLOY_GUIDE = REPO / "docs" / "deploy.md"
CONFIG_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):")
#: every port a service's pods may reach: DNS, RabbitMQ (amqps, amqp), PostgreSQL, Vault
SERVICE_EGRESS_PORTS = {53, 5671, 5672, 5432, 8200}


def service_of(deployment):
    return {kubernetes.k8s_name(s): s for s in SERVICES}[deployment["metadata"]["name"]]


def pod_labels(obj):
    return obj["spec"]["template"]["metadata"]["labels"]


def config_variables(service):
    lines = (REPO / "services" / service / "config.yaml").read_text().splitlines()
    return set(CONFIG_VARIABLE.findall("\n".join(line for line in lines if not line.lstrip().startswith("#"))))


# --- the checks ----------------------------------------------------------------------------------

def probe_problems(objects):
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        service = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
            get = (service.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != path or get.get("port") not in ("http", CONTAINER_PORT):
                problems.append(f"{name}: {probe} is not GET {path} on the http port")
        if {"name": "http", "containerPort": CONTAINER_PORT, "protocol": "TCP"} not in service.get("ports", []):
            problems.append(f"{name}: no port http {CONTAINER_PORT}")
    return problems


def security_problems(objects):
    """Every container of every pod: non-root, read-only root filesystem, no privilege escalation,
    every capability dropped, RuntimeDefault seccomp, requests and limits; /tmp an emptyDir."""
    problems = []
    for obj, spec in pod_specs(objects):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        pod = spec.get("securityContext") or {}
        if not pod.get("runAsNonRoot") or (pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: the pod is not non-root with RuntimeDefault seccomp")
        tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in containers(spec):
            where = f"{name} container {container['name']}"
            context = container.get("securityContext") or {}
            expected = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True}
            if any(context.get(key) != value for key, value in expected.items()) or context.get("privileged"):
                problems.append(f"{where}: securityContext is not {expected}")
            if (context.get("capabilities") or {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: capabilities not all dropped")
            if (context.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: no RuntimeDefault seccomp")
            res = container.get("resources") or {}
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(kind) or {}):
                    problems.append(f"{where}: no cpu and memory {kind}")
            mounts = container.get("volumeMounts", [])
            if not any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in mounts):
                problems.append(f"{where}: /tmp is not an emptyDir")
    return problems


def rollout_problems(objects):
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name, spec = deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]
        if spec.get("terminationGracePeriodSeconds", 30) < kubernetes.GRACE_SECONDS:
            problems.append(f"{name}: grace period shorter than {kubernetes.GRACE_SECONDS} s")
        budgets = of_kind(objects, "PodDisruptionBudget")
        if not any(matches(pdb["spec"]["selector"], pod_labels(deployment)) for pdb in budgets):
            problems.append(f"{name}: no PodDisruptionBudget")
        zones = [c for c in spec.get("topologySpreadConstraints", [])
                 if c["topologyKey"] == "topology.kubernetes.io/zone"]
        if not zones or not matches(zones[0]["labelSelector"], pod_labels(deployment)):
            problems.append(f"{name}: not spread across zones")
        if not any("--check" in c.get("command", []) and "anchang_common.migrations" in c.get("command", [])
                   for c in spec.get("initContainers", [])):
            problems.append(f"{name}: no init container waiting for the schema")
        job = [j for j in of_kind(objects, "Job") if j["metadata"]["name"] == f"{name}-migrate"]
        service_image = spec["containers"][0]["image"]
        if not job or job[0]["spec"]["template"]["spec"]["containers"][0]["image"] != service_image:
            problems.append(f"{name}: no migration Job {name}-migrate running its image")
    return problems


def image_problems(objects):
    images = [c["image"] for _, spec in pod_specs(objects) for c in containers(spec)]
    images += [obj["spec"]["image"] for obj in of_kind(objects, "RabbitmqCluster")]
    problems = []
    for image in images:
        reference = image.split("@")[0]
        tag = reference.rpartition(":")[2] if ":" in reference.rpartition("/")[2] else None
        if tag in (None, "latest") and "@sha256:" not in image:
            problems.append(f"{image}: not pinned by a tag")
        if tag == "latest":
            problems.append(f"{image}: latest")
    return problems


def variable_problems(objects):
    """Every variable a service's config.yaml reads is set for its pods: by its ConfigMap, by its
    Secret (built in dev; in prod created by the platform team, with the keys docs/deploy.md lists)."""
    guide = DEPLOY_GUIDE.read_text() if DEPLOY_GUIDE.exists() else ""
    problems = []
    for obj, spec in pod_specs(objects):
        if obj["metadata"]["name"] == "vault-configure":  # bao, not a service: no config.yaml
            continue
        service = {kubernetes.k8s_name(s): s for s in SERVICES}[obj["metadata"]["labels"]["app.kubernetes.io/name"]]
        for container in containers(spec):
            names = {item["name"] for item in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    names |= set(named(objects, "ConfigMap", source["configMapRef"]["name"]).get("data", {}))
                else:
                    secret_name = source["secretRef"]["name"]
                    built = [s for s in of_kind(objects, "Secret") if s["metadata"]["name"] == secret_name]
                    if built:
                        names |= set(built[0].get("data", {})) | set(built[0].get("stringData", {}))
                    elif f"`{secret_name}`" in guide:
                        names |= {key for key in kubernetes.SECRET_VARIABLES if f"`{key}`" in guide}
            missing = sorted(config_variables(service) - names)
            if missing:
                problems.append(f"{obj['kind']}/{obj['metadata']['name']} {container['name']}: {missing} not set")
    return problems


def identity_problems(objects):
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name, service = deployment["metadata"]["name"], service_of(deployment)
        spec = deployment["spec"]["template"]["spec"]
        if spec.get("serviceAccountName") != name or not [
                sa for sa in of_kind(objects, "ServiceAccount") if sa["metadata"]["name"] == name]:
            problems.append(f"{name}: not run as service account {name}")
        config = named(objects, "ConfigMap", spec["containers"][0]["envFrom"][0]["configMapRef"]["name"])["data"]
        if config.get("VAULT_ROLE") != provision.role_name(service):
            problems.append(f"{name}: VAULT_ROLE is not {provision.role_name(service)}")
        if config.get("DECLARE_EVENT_EXCHANGES") != "false":
            problems.append(f"{name}: DECLARE_EVENT_EXCHANGES is not false (deploy/rabbitmq/README.md)")
        services = [s for s in of_kind(objects, "Service") if s["metadata"]["name"] == name]
        if not services or services[0]["spec"]["ports"] != [
                {"name": "http", "port": CONTAINER_PORT, "targetPort": "http", "protocol": "TCP"}]:
            problems.append(f"{name}: no Service with port http {CONTAINER_PORT}")
    return problems


def monitoring_problems(objects):
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        service = named(objects, "Service", name)
        if not any(matches(monitor["spec"]["selector"], service["metadata"]["labels"])
                   and {"port": "http", "path": "/metrics"}.items() <= monitor["spec"]["endpoints"][0].items()
                   for monitor in of_kind(objects, "ServiceMonitor")):
            problems.append(f"{name}: no ServiceMonitor scraping /metrics on port http")
    rules = {rule["metadata"]["annotations"]["anchang.io/source"]: rule["spec"]["groups"]
             for rule in of_kind(objects, "PrometheusRule")}
    expected = {f"deploy/prometheus/rules/{path.name}": yaml.safe_load(path.read_text())["groups"]
                for path in sorted((REPO / "deploy" / "prometheus" / "rules").glob("*.yml"))}
    if rules != expected:
        problems.append("the PrometheusRules differ from deploy/prometheus/rules/")
    return problems


def network_problems(objects):
    policies = of_kind(objects, "NetworkPolicy")
    problems = []
    if not any(p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
        problems.append("no default-deny NetworkPolicy")
    service_pods = [pod_labels(d) for d in of_kind(objects, "Deployment")]
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        own = [p for p in policies
               if p["spec"]["podSelector"] and matches(p["spec"]["podSelector"], pod_labels(deployment))]
        if not own:
            problems.append(f"{name}: no NetworkPolicy of its own")
            continue
        for policy in own:
            ports = {port["port"] for rule in policy["spec"].get("egress", []) for port in rule.get("ports", [])}
            if not ports or not ports <= SERVICE_EGRESS_PORTS:
                problems.append(f"{name}: egress to ports {sorted(ports)}, not only {sorted(SERVICE_EGRESS_PORTS)}")
            # other services are reached through RabbitMQ (nameko RPC): no pod-to-pod egress
            for rule in policy["spec"].get("egress", []):
                for peer in rule.get("to", []):
                    selector = peer.get("podSelector")
                    if selector is not None and any(matches(selector, labels) for labels in service_pods):
                        problems.append(f"{name}: egress straight to another service's pods")
    return problems


def production_problems(objects):
    """prod: ≥ 2 replicas and a ScaledObject on the RPC queue; RabbitMQ a quorum cluster of three;
    TLS on every link; the Vault roles of every service."""
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name, service = deployment["metadata"]["name"], service_of(deployment)
        if deployment["spec"].get("replicas", 1) < 2:
            problems.append(f"{name}: fewer than 2 replicas")
        scaled = [s for s in of_kind(objects, "ScaledObject") if s["spec"]["scaleTargetRef"]["name"] == name]
        if not scaled or scaled[0]["spec"]["minReplicaCount"] < 2 or \
                scaled[0]["spec"]["triggers"][0]["metadata"]["queueName"] != f"rpc-{service}":
            problems.append(f"{name}: no ScaledObject from 2 replicas on queue rpc-{service}")
        elif "authenticationRef" not in scaled[0]["spec"]["triggers"][0]:
            problems.append(f"{name}: KEDA reads its queue without the CA (no authenticationRef)")
        spec = deployment["spec"]["template"]["spec"]
        config = named(objects, "ConfigMap", spec["containers"][0]["envFrom"][0]["configMapRef"]["name"])["data"]
        tls = {"AMQP_SSL_CA_FILE": kubernetes.CA_FILE, "VAULT_CACERT": kubernetes.CA_FILE,
               "PGSSLMODE": "verify-full", "PGSSLROOTCERT": kubernetes.CA_FILE}
        if any(config.get(key) != value for key, value in tls.items()) or not config["VAULT_ADDR"].startswith("https://"):
            problems.append(f"{name}: TLS is not on for the broker, Vault and PostgreSQL")
        for container in containers(spec):
            if not any(m["mountPath"] == kubernetes.CA_DIR for m in container.get("volumeMounts", [])):
                problems.append(f"{name} {container['name']}: the CA bundle is not mounted")
    clusters = of_kind(objects, "RabbitmqCluster")
    if not clusters or clusters[0]["spec"]["replicas"] != 3 or \
            "default_queue_type = quorum" not in clusters[0]["spec"]["rabbitmq"]["additionalConfig"] or \
            not clusters[0]["spec"].get("tls", {}).get("disableNonTLSListeners"):
        problems.append("RabbitMQ is not a TLS-only quorum cluster of three")
    policies = named(objects, "ConfigMap", next(c["metadata"]["name"] for c in of_kind(objects, "ConfigMap")
                                                 if c["metadata"]["name"].startswith("vault-policies")))["data"]
    for path in sorted((REPO / "deploy" / "vault" / "policies").glob("*.hcl")):
        if policies.get(path.name) != path.read_text():
            problems.append(f"Vault policy {path.name} differs from deploy/vault/policies/")
        role = f"auth/kubernetes/role/{provision.role_name(path.stem)} bound_service_account_names=" \
               f"{kubernetes.k8s_name(path.stem)} bound_service_account_namespaces=anchang"
        if role not in policies.get("configure.sh", ""):
            problems.append(f"no Kubernetes auth role for {path.stem}")
    return problems


COMMON = (probe_problems, security_problems, rollout_problems, image_problems, variable_problems, identity_problems)
PROD = (monitoring_problems, network_problems, production_problems)


@pytest.mark.parametrize("check", COMMON, ids=lambda check: check.__name__)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_honours(overlay, check):
    assert check(build(overlay)) == []


@pytest.mark.parametrize("check", PROD, ids=lambda check: check.__name__)
def test_prod_honours(check):
    assert check(build("prod")) == []


def test_dev_keeps_plain_links_and_its_network_policies():
    objects = build("dev")
    assert network_problems(objects) == []
    for config in of_kind(objects, "ConfigMap"):
        assert config["data"].get("AMQP_SSL_CA_FILE", "") == ""


def test_the_deploy_guide_names_every_secret_key():
    guide = DEPLOY_GUIDE.read_text()
    for service in SERVICES:
        assert f"`{kubernetes.k8s_name(service)}-secrets`" in guide
    for key in kubernetes.SECRET_VARIABLES:
        assert f"`{key}`" in guide


# --- the checks can fail -------------------------------------------------------------------------

def deployment(objects, name="staff"):
    return named(objects, "Deployment", name)


def service_container(objects, name="staff"):
    return deployment(objects, name)["spec"]["template"]["spec"]["containers"][0]


BREAKS = {
    "no-readiness-probe": (probe_problems, lambda o: service_container(o).pop("readinessProbe")),
    "liveness-on-ready": (probe_problems, lambda o: service_container(o)["livenessProbe"]["httpGet"].update(
        path="/health/ready")),
    "writable-root": (security_problems, lambda o: service_container(o)["securityContext"].update(
        readOnlyRootFilesystem=False)),
    "no-limits": (security_problems, lambda o: service_container(o)["resources"].pop("limits")),
    "capability-kept": (security_problems, lambda o: service_container(o)["securityContext"].update(
        capabilities={"drop": ["NET_RAW"]})),
    "root-job": (security_problems, lambda o: named(o, "Job", "ticket-migrate")["spec"]["template"]["spec"].update(
        securityContext={})),
    "no-pdb": (rollout_problems, lambda o: o.remove(named(o, "PodDisruptionBudget", "ticket"))),
    "no-migration-job": (rollout_problems, lambda o: o.remove(named(o, "Job", "appraisal-migrate"))),
    "latest": (image_problems, lambda o: service_container(o).update(image="anchang/staff:latest")),
    "untagged": (image_problems, lambda o: service_container(o).update(image="anchang/staff")),
    "variable-unset": (variable_problems, lambda o: named(o, "ConfigMap", service_container(o)["envFrom"][0][
        "configMapRef"]["name"])["data"].pop("LOGIN_MAX_FAILURES")),
    "wrong-role": (identity_problems, lambda o: named(o, "ConfigMap", service_container(o, "client-vault")[
        "envFrom"][0]["configMapRef"]["name"])["data"].update(VAULT_ROLE="anchang-client-vault")),
    "no-service-monitor": (monitoring_problems, lambda o: o.remove(named(o, "ServiceMonitor", "ticket"))),
    "rule-drift": (monitoring_problems, lambda o: of_kind(o, "PrometheusRule")[0]["spec"]["groups"][0][
        "rules"][-1].update({"for": "1h"})),
    "no-network-policy": (network_problems, lambda o: o.remove(named(o, "NetworkPolicy", "appraisal"))),
    "egress-to-a-service": (network_problems, lambda o: named(o, "NetworkPolicy", "ticket")["spec"]["egress"].append(
        {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "client-vault"}}}]})),
    "one-replica": (production_problems, lambda o: deployment(o).update(spec={**deployment(o)["spec"], "replicas": 1})),
    "plain-broker": (production_problems, lambda o: named(o, "ConfigMap", service_container(o)["envFrom"][0][
        "configMapRef"]["name"])["data"].update(AMQP_SSL_CA_FILE="")),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_check_catches_what_it_is_for(name):
    check, break_it = BREAKS[name]
    objects = copy.deepcopy(build("prod"))
    assert check(objects) == []
    break_it(objects)
    assert check(objects), f"{check.__name__} did not notice {name}"
