"""Service configuration: each service's ``config.yaml`` with ``${VAR:default}`` from the environment.

``nameko run --config`` reads these files itself; this loader gives scripts and tests the same result
with nameko's own interpolation, on a loader of its own: nameko's ``setup_yaml_parser`` would teach
every ``yaml.safe_load`` in the process to substitute variables (in a compose file, say).
"""
import ssl
from functools import partial
from urllib.parse import urlsplit

import yaml
from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

AMQP_URI = "AMQP_URI"
DATABASE_URL = "DATABASE_URL"
WEB_SERVER_ADDRESS = "WEB_SERVER_ADDRESS"
VAULT = "VAULT"
AUTH = "AUTH"
#: nameko's key of the broker's TLS options (kombu's ``ssl``); config.yaml fills ``ca_certs`` from AMQP_SSL_CA_FILE
AMQP_SSL = "AMQP_SSL"
#: the CA bundle Vault's HTTPS certificate is verified against (hvac's ``verify``); empty: the system's
VAULT_CACERT = "VAULT_CACERT"


class ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` plus nameko's ``${VAR:default}`` substitution."""


ConfigLoader.add_constructor("!env_var", env_var_constructor)
ConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)


def load_config(path):
    """The config mapping of the YAML file at ``path``, environment variables substituted."""
    with open(path) as stream:
        config = yaml.load(stream, Loader=ConfigLoader)  # noqa: S506 - a SafeLoader subclass
    if isinstance(config, dict) and AMQP_SSL in config and amqp_ssl(config) is None:
        config[AMQP_SSL] = None  # no CA file: plain AMQP (the host name is added once AMQP_URI is final)
    return config


def amqp_ssl(config):
    """The broker's TLS options of ``config`` as nameko hands them to kombu (docs/configuration.md#tls-in-transit).

    ``None`` (plain AMQP, the local default) unless ``AMQP_SSL`` names a CA bundle (``ca_certs``);
    else the options with the certificate required and the host name checked against the host of
    ``AMQP_URI`` (py-amqp checks no host name unless it is given ``server_hostname``).
    """
    options = config.get(AMQP_SSL)
    if not isinstance(options, dict):
        return options or None
    if not options.get("ca_certs"):
        return None
    options = {"cert_reqs": ssl.CERT_REQUIRED, **options}
    options.setdefault("server_hostname", urlsplit(config[AMQP_URI]).hostname)
    return options
