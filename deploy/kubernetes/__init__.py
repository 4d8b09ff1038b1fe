"""Writes the per-service files of ``k8s/`` from the sources of truth, so that they cannot drift.

``python -m deploy.kubernetes`` (re)writes them; ``--check`` says which differ and exits 1.
``tests/k8s/test_build.py`` checks that the committed files equal what this package renders.
Modules: ``settings`` (names, shared pieces), ``workloads`` (the base), ``components``, ``vault``,
``tls``, ``files`` (the text of every file).

What comes from where:

- the services and their ports: ``deploy/ports.py``;
- the variables of each ConfigMap: the ``${VAR:default}`` of ``services/<service>/config.yaml``
  (its defaults, less those wrong in a cluster: ``workloads.cluster_values``; ``SECRET_VARIABLES`` come from
  the service's Secret);
- the PrometheusRules: every ``deploy/prometheus/rules/*.yml``, groups copied as they are;
- the Vault policies and identity settings: ``deploy/vault/policies/*.hcl`` and
  ``deploy/vault/provision.py``;

Hand-written, not generated: the overlays (``k8s/overlays/``) and ``k8s/README.md``.
"""
from deploy.kubernetes.components import RULES_DIR, prometheus_rules
from deploy.kubernetes.files import differences, render, write
from deploy.kubernetes.settings import CA_DIR, CA_FILE, GRACE_SECONDS, K8S, SECRET_VARIABLES, k8s_name

__all__ = ["CA_DIR", "CA_FILE", "GRACE_SECONDS", "K8S", "RULES_DIR", "SECRET_VARIABLES", "differences",
           "k8s_name", "prometheus_rules", "render", "write"]
