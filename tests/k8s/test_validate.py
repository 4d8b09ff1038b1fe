"""Every built object validates: the Kubernetes kinds in strict mode against the API's own schemas
(`kubernetes-validate --strict`, Kubernetes 1.37), the custom resources against the schemas their
operators define (CRDs vendored in tests/k8s/crds/, README there), unknown fields refused in both."""
import copy
import functools
import hashlib
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.k8s.manifests import K8S, OVERLAYS, build, build_text, group, is_custom, named, tool

CRDS = Path(__file__).resolve().parent / "crds"
CRD_SHA256 = {
    "monitoring.coreos.com_servicemonitors.yaml": "a99047972c9dd7679ce2050b9968e8a08773492e671b3e17abd476d42aa78a32",
    "monitoring.coreos.com_prometheusrules.yaml": "78be98554b9c8506ab2b4f4feb91c5f3a56e536a0a510f3a8e876a459970d56d",
    "keda.sh_scaledobjects.yaml": "207afc4ca44fd9e3f4bbfb1c8fae08f3a365e098a52714fe8eb672bbd239cbcd",
    "keda.sh_triggerauthentications.yaml": "990851d71901905bc9bebb50cd964bfc909ca24a03dd401a626a1894bb912ecd",
    "rabbitmq.com_rabbitmqclusters.yaml": "3d12de2e4281eb91c49d9860b733b6aa741fe0f608c6a2c4160226fe4993d0de",
    "cert-manager.io_certificates.yaml": "c0d1a3f51f8b13ba55b34300aa495606e3f4104eebc69d9c7b63efbcdebf70c3",
    "cert-manager.io_issuers.yaml": "7068bfbe8baf0ea51896ecc5513e928241532f4ae895d9b760f006a9ba66ea1c",
}
KUBERNETES_VERSION = "1.37.0"
MISSING_SCHEMA = re.compile(r"Couldn't find schema for kind (\S+) with api version (\S+)")


# --- the Kubernetes kinds ------------------------------------------------------------------------

def kubernetes_validate(path):
    """``(return code, output)`` of ``kubernetes-validate --strict`` on the YAML file at ``path``."""
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)],
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_kubernetes_object_validates_strictly(overlay, tmp_path):
    path = tmp_path / f"{overlay}.yaml"
    path.write_text(build_text(K8S / "overlays" / overlay))
    code, output = kubernetes_validate(path)
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    assert code == 0 and not errors, "\n".join(errors) or output
    # the only kinds it has no schema for are the custom resources, validated below
    unknown = {(kind, api_version) for kind, api_version in MISSING_SCHEMA.findall(output)}
    custom = {(obj["kind"], obj["apiVersion"]) for obj in build(overlay) if is_custom(obj)}
    assert unknown == custom


def test_strict_validation_refuses_an_unknown_field(tmp_path):
    deployment = named(build("prod"), "Deployment", "staff")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {"periodSeconds": 5}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(deployment))
    code, output = kubernetes_validate(path)
    assert code != 0 and "readinessprobe" in output


# --- the custom resources ------------------------------------------------------------------------

def strict(schema):
    """``schema`` with unknown fields refused wherever the operator lists the fields (as the API
    server's strict field validation does), and kept where it says to preserve them."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@functools.cache
def crd_schemas():
    """``{(group, version, kind): strict JSON schema}`` of every vendored CRD."""
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd:
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    schemas[(spec["group"], version["name"], spec["names"]["kind"])] = strict(
                        version["schema"]["openAPIV3Schema"])
    return schemas


def custom_resource_errors(obj):
    key = (group(obj), obj["apiVersion"].split("/")[1], obj["kind"])
    schema = crd_schemas().get(key)
    if schema is None:
        return [f"no vendored CRD for {key}"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{obj['kind']}/{obj['metadata']['name']} {'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(obj)]


def test_the_vendored_crds_are_the_recorded_ones():
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in CRDS.glob("*.yaml")}
    assert found == CRD_SHA256, "a CRD changed: record its source and SHA-256 in tests/k8s/crds/README.md and here"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_validates_against_its_crd(overlay):
    errors = [error for obj in build(overlay) if is_custom(obj) for error in custom_resource_errors(obj)]
    assert not errors, "\n".join(errors)


def test_prod_has_a_custom_resource_of_each_vendored_crd():
    kinds = {obj["kind"] for obj in build("prod") if is_custom(obj)}
    assert kinds == {kind for _, _, kind in crd_schemas()}


@pytest.mark.parametrize("break_it", [
    lambda objs: named(objs, "ScaledObject", "staff")["spec"].update(minReplicas=2),
    lambda objs: named(objs, "RabbitmqCluster", "rabbitmq")["spec"].update(replicas="three"),
    lambda objs: named(objs, "ServiceMonitor", "staff")["spec"]["endpoints"][0].update(scrapeInterval="15s"),
    lambda objs: named(objs, "Certificate", "rabbitmq-tls")["spec"]["issuerRef"].pop("name"),
], ids=["unknown-field", "wrong-type", "misspelt-nested-field", "missing-required-field"])
def test_the_crd_check_catches_mistakes(break_it):
    objects = copy.deepcopy(build("prod"))
    break_it(objects)
    assert [error for obj in objects if is_custom(obj) for error in custom_resource_errors(obj)]
