"""The vault component's script (k8s/components/vault/policies/configure.sh, generated from
deploy/vault/) run with the real `bao` CLI against a real OpenBao: it writes the Kubernetes auth role
of every service, bound to its service account in `anchang`, with its policy alone, and the policies
and identity roles provision.py writes; run again, it changes nothing and fails on nothing."""
import subprocess

import trustme

from deploy import kubernetes
from deploy.local.openbao import find_bao
from deploy.vault import provision
from tests.k8s.manifests import K8S

POLICIES = K8S / "components" / "vault" / "policies"


def run_script(vault_server, kubernetes_ca):
    bao = find_bao()
    env = {"PATH": f"{bao.rsplit('/', 1)[0]}:/usr/bin:/bin", "BAO_ADDR": vault_server.addr,
           "BAO_TOKEN": vault_server.root_token, "POLICIES_DIR": str(POLICIES), "HOME": "/tmp",
           # outside a pod OpenBao has no cluster CA of its own: the Job passes kube-root-ca.crt
           "KUBERNETES_HOST": "https://kubernetes.example:6443", "KUBERNETES_CA_CERT_FILE": str(kubernetes_ca)}
    return subprocess.run(["/bin/sh", str(POLICIES / "configure.sh")], env=env, capture_output=True, text=True,
                          timeout=120)


def test_configure_writes_the_kubernetes_roles_and_is_idempotent(vault_server, tmp_path):
    kubernetes_ca = tmp_path / "kubernetes-ca.crt"
    trustme.CA().cert_pem.write_to_path(str(kubernetes_ca))
    for _ in range(2):
        result = run_script(vault_server, kubernetes_ca)
        assert result.returncode == 0, result.stdout + result.stderr
    client = vault_server.client()
    assert client.read("auth/kubernetes/config")["data"]["kubernetes_host"] == "https://kubernetes.example:6443"
    for service in provision.services():
        role = client.read(f"auth/kubernetes/role/{provision.role_name(service)}")["data"]
        assert role["bound_service_account_names"] == [kubernetes.k8s_name(service)]
        assert role["bound_service_account_namespaces"] == ["anchang"]
        assert role["token_policies"] == [provision.policy_name(service)] and role["token_no_default_policy"]
        policy = client.sys.read_policy(provision.policy_name(service))["data"]["rules"]
        assert policy == (POLICIES / f"{service}.hcl").read_text()
        oidc = client.read(f"identity/oidc/role/{provision.role_name(service)}")["data"]
        assert oidc["key"] == provision.IDENTITY_KEY and '"service"' in oidc["template"]
