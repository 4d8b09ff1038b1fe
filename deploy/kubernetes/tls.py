"""The tls component: cert-manager's CA and certificates, the CA mounted in every pod, and the
variables that turn amqps, HTTPS to Vault and verify-full to PostgreSQL on."""
from __future__ import annotations

from deploy.kubernetes.settings import (
    CA_DIR,
    CA_FILE,
    NAMESPACE,
    RABBITMQ,
    VAULT_NAMESPACE,
    VAULT_PORT,
    VAULT_SERVICE,
    k8s_name,
)


def certificates() -> list:
    def certificate(name, dns_names, namespace_note):
        return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "anchang"},
                             "annotations": {"anchang.io/for": namespace_note}},
                "spec": {"secretName": name, "duration": "2160h", "renewBefore": "720h",
                         "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                         "dnsNames": dns_names, "usages": ["server auth", "digital signature", "key encipherment"],
                         "issuerRef": {"name": "anchang-ca", "kind": "Issuer", "group": "cert-manager.io"}}}

    rabbitmq_names = [f"{RABBITMQ}.{NAMESPACE}.svc", f"{RABBITMQ}.{NAMESPACE}.svc.cluster.local",
                      f"*.{RABBITMQ}-nodes.{NAMESPACE}.svc", f"*.{RABBITMQ}-nodes.{NAMESPACE}.svc.cluster.local"]
    vault_names = [f"{VAULT_SERVICE}.{VAULT_NAMESPACE}.svc", f"{VAULT_SERVICE}.{VAULT_NAMESPACE}.svc.cluster.local"]
    return [
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
         "metadata": {"name": "anchang-selfsigned", "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {"selfSigned": {}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
         "metadata": {"name": "anchang-ca", "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {"isCA": True, "commonName": "anchang-ca", "secretName": "anchang-ca", "duration": "87600h",
                  "privateKey": {"algorithm": "ECDSA", "size": 256},
                  "issuerRef": {"name": "anchang-selfsigned", "kind": "Issuer", "group": "cert-manager.io"}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
         "metadata": {"name": "anchang-ca", "labels": {"app.kubernetes.io/part-of": "anchang"}},
         "spec": {"ca": {"secretName": "anchang-ca"}}},
        certificate("rabbitmq-tls", rabbitmq_names, "the RabbitmqCluster (spec.tls.secretName)"),
        certificate("vault-server-tls", vault_names, f"Vault's listener in namespace {VAULT_NAMESPACE}: copy it there"),
        certificate("postgresql-server-tls", ["postgresql.anchang.svc", "postgresql.anchang.svc.cluster.local"],
                    "the PostgreSQL servers: their ssl_cert_file and ssl_key_file"),
    ]


def keda_tls() -> dict:
    """How KEDA's operator reads the queue lengths over amqps: verifying the broker against the CA."""
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
            "metadata": {"name": "rabbitmq-tls", "labels": {"app.kubernetes.io/part-of": "anchang"}},
            "spec": {"secretTargetRef": [
                {"parameter": "tls", "name": "keda-rabbitmq-tls", "key": "tls"},
                {"parameter": "ca", "name": "anchang-ca", "key": "ca.crt"}]}}


def ca_volume() -> dict:
    # only the certificate of the CA, never its key
    return {"name": "anchang-ca", "secret": {"secretName": "anchang-ca",
                                             "items": [{"key": "ca.crt", "path": "ca.crt"}]}}


def tls_patch(service: str) -> list:
    """Strategic-merge patches mounting the CA into every container of ``service``'s pods."""
    mount = {"name": "anchang-ca", "mountPath": CA_DIR, "readOnly": True}
    name = k8s_name(service)
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"template": {"spec": {
             "initContainers": [{"name": "migrations-ready", "volumeMounts": [mount]}],
             "containers": [{"name": "service", "volumeMounts": [mount]}],
             "volumes": [ca_volume()]}}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"{name}-migrate"},
         "spec": {"template": {"spec": {
             "containers": [{"name": "migrate", "volumeMounts": [mount]}],
             "volumes": [ca_volume()]}}}},
    ]


def tls_config() -> list:
    """The literals the tls component merges into every service's ConfigMap."""
    return [f"AMQP_SSL_CA_FILE={CA_FILE}", f"VAULT_CACERT={CA_FILE}",
            f"VAULT_ADDR=https://{VAULT_SERVICE}.{VAULT_NAMESPACE}.svc:{VAULT_PORT}",
            # libpq reads these: verify-full unless DATABASE_URL itself says otherwise
            "PGSSLMODE=verify-full", f"PGSSLROOTCERT={CA_FILE}"]
