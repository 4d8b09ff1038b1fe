"""Service configuration: each service's ``config.yaml`` with ``${VAR:default}`` from the environment.

``nameko run --config`` reads these files itself; this loader gives scripts and tests the same result.
"""
import yaml
from nameko.cli.main import setup_yaml_parser

AMQP_URI = "AMQP_URI"
DATABASE_URL = "DATABASE_URL"
WEB_SERVER_ADDRESS = "WEB_SERVER_ADDRESS"
VAULT = "VAULT"
AUTH = "AUTH"


def load_config(path):
    """The config mapping of the YAML file at ``path``, environment variables substituted."""
    setup_yaml_parser()
    with open(path) as stream:
        return yaml.safe_load(stream)
