"""`checkov --framework kubernetes` passes on every built overlay, with the skips of k8s/checkov.yaml
only, each justified in a comment there."""
import json
import re
import subprocess

import pytest
import yaml

from tests.k8s.manifests import K8S, OVERLAYS, build, build_text, named, tool

CONFIG = K8S / "checkov.yaml"


def checkov(directory):
    """checkov's summary and failed checks on the YAML files in ``directory`` (offline: no
    download of policies or guidelines)."""
    result = subprocess.run(
        [tool("checkov"), "--config-file", str(CONFIG), "--directory", str(directory), "--framework", "kubernetes",
         "--skip-download", "--compact", "--quiet", "--output", "json"],
        capture_output=True, text=True, timeout=600, cwd=directory)
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    if "summary" not in report:  # no resource found at all: checkov prints an empty summary
        pytest.fail(f"checkov found nothing to check in {directory}: {report}")
    failed = [f"{check['check_id']} {check['check_name']}: {check['resource']}"
              for check in report["results"]["failed_checks"]]
    return report["summary"], failed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_passes(overlay, tmp_path):
    (tmp_path / f"{overlay}.yaml").write_text(build_text(K8S / "overlays" / overlay))
    summary, failed = checkov(tmp_path)
    assert not failed, "\n".join(failed)
    assert summary["parsing_errors"] == 0 and summary["passed"] > 100


def test_checkov_catches_a_privileged_writable_container(tmp_path):
    deployment = named(build("prod"), "Deployment", "staff")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"].update(privileged=True, readOnlyRootFilesystem=False, allowPrivilegeEscalation=True)
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(deployment))
    _, failed = checkov(tmp_path)
    assert {line.split()[0] for line in failed} >= {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22"}


def skipped_checks_without_a_reason(text):
    """Check ids under ``skip-check:`` not directly preceded by a comment line."""
    lines = text.splitlines()
    bare = []
    for number, line in enumerate(lines):
        match = re.match(r"\s*-\s*(CKV\w+)", line)
        if match and (number == 0 or not lines[number - 1].strip().startswith("#")):
            bare.append(match.group(1))
    return bare


def test_every_skipped_check_says_why():
    text = CONFIG.read_text()
    assert yaml.safe_load(text)["skip-check"], "no skip: drop this test's premise, or the file"
    assert skipped_checks_without_a_reason(text) == []
    assert skipped_checks_without_a_reason("skip-check:\n  # why\n  - CKV_K8S_43\n  - CKV_K8S_35\n") == ["CKV_K8S_35"]
