"""TLS in transit from the configuration (docs/configuration.md#tls-in-transit): plain links unless
a CA file is named; with one, the broker verified against it under the host name of AMQP_URI and
Vault's HTTPS against VAULT_CACERT. Over a real TLS broker: tests/integration/test_tls_broker.py."""
import ssl

import pytest

from anchang_common.config import amqp_ssl, load_config
from anchang_common.vault import VaultClient
from deploy.ports import SERVICES
from tests.conftest import REPO


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_plain_by_default(service, monkeypatch):
    monkeypatch.delenv("AMQP_SSL_CA_FILE", raising=False)
    monkeypatch.delenv("VAULT_CACERT", raising=False)
    config = load_config(REPO / "services" / service / "config.yaml")
    assert config["AMQP_SSL"] is None and config["VAULT_CACERT"] is None


@pytest.mark.parametrize("service", SERVICES)
def test_a_ca_file_turns_verified_amqps_on(service, monkeypatch):
    monkeypatch.setenv("AMQP_SSL_CA_FILE", "/etc/anchang/tls/ca.crt")
    monkeypatch.setenv("AMQP_URI", "amqps://ticket:secret@rabbitmq.anchang.svc:5671/")
    config = load_config(REPO / "services" / service / "config.yaml")
    assert amqp_ssl(config) == {"ca_certs": "/etc/anchang/tls/ca.crt", "cert_reqs": ssl.CERT_REQUIRED,
                                "server_hostname": "rabbitmq.anchang.svc"}


def test_an_explicit_host_name_or_verification_setting_is_kept():
    config = {"AMQP_URI": "amqps://u:p@10.0.0.7:5671/",
              "AMQP_SSL": {"ca_certs": "/ca.pem", "cert_reqs": 2, "server_hostname": "rabbitmq.internal"}}
    assert amqp_ssl(config)["server_hostname"] == "rabbitmq.internal"
    assert amqp_ssl({"AMQP_URI": "amqp://h/", "AMQP_SSL": {"ca_certs": "", "cert_reqs": 2}}) is None
    assert amqp_ssl({"AMQP_URI": "amqp://h/"}) is None


def test_vault_https_is_verified_against_vault_cacert():
    client = VaultClient({"ADDR": "https://vault.vault.svc:8200", "CACERT": "/etc/anchang/tls/ca.crt"}, "staff")
    assert client.verify == "/etc/anchang/tls/ca.crt"
    assert client._client.adapter._kwargs["verify"] == "/etc/anchang/tls/ca.crt"
    assert VaultClient({"ADDR": "https://vault.example"}, "staff").verify is True  # the system's CAs
