"""The built overlays of k8s/ and the tools that check them, for the tests of tests/k8s/.

Nothing here needs a cluster or the network: ``kubectl kustomize`` builds each overlay, and the
validators run from their own venv, ``.venv-k8s`` (``make k8s-tools``; ``make test`` builds it
first). A test that needs a missing tool is skipped and says which and how to get it.
"""
import functools
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
OVERLAYS = ("dev", "prod")
TOOLS_VENV = REPO / ".venv-k8s"
#: kinds the Kubernetes API serves itself; the others are custom resources of an operator
BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"}


def kubectl():
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed: the overlays cannot be built (`kubectl kustomize`)")
    return path


def tool(name):
    """``.venv-k8s/bin/<name>``, or a skip that says how to build the venv."""
    path = TOOLS_VENV / "bin" / name
    if not path.exists():
        pytest.skip(f"{path.relative_to(REPO)} is missing: run `make k8s-tools` (`make test` builds it "
                    "from requirements-k8s.txt)")
    return path


@functools.cache
def build_text(directory):
    """``kubectl kustomize <directory>``: the YAML of every object, or an error naming the overlay."""
    result = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return result.stdout


def build(overlay):
    """The objects of ``k8s/overlays/<overlay>`` (fresh dicts: a test may change them)."""
    return [doc for doc in yaml.safe_load_all(build_text(K8S / "overlays" / overlay)) if doc]


def group(obj):
    api_version = obj["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def is_custom(obj):
    return group(obj) not in BUILT_IN_GROUPS


def of_kind(objects, kind):
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects, kind, name):
    found = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert found, f"no {kind} {name}"
    return found[0]


def matches(selector, labels):
    """Whether a label selector (``matchLabels``/``matchExpressions``, or a bare map) selects ``labels``."""
    if selector is None:
        return False
    match_labels = selector.get("matchLabels", {}) if ("matchLabels" in selector or "matchExpressions" in selector) \
        else selector
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def pod_specs(objects):
    """``[(object, pod spec)]`` of every Deployment and Job."""
    return [(obj, obj["spec"]["template"]["spec"]) for obj in objects if obj["kind"] in ("Deployment", "Job")]


def containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec["containers"]
