"""Service configuration: each service's ``config.yaml`` with ``${VAR:default}`` from the environment.

``nameko run --config`` reads these files itself; this loader gives scripts and tests the same result
with nameko's own interpolation, on a loader of its own: nameko's ``setup_yaml_parser`` would teach
every ``yaml.safe_load`` in the process to substitute variables (in a compose file, say).
"""
from functools import partial

import yaml
from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

AMQP_URI = "AMQP_URI"
DATABASE_URL = "DATABASE_URL"
WEB_SERVER_ADDRESS = "WEB_SERVER_ADDRESS"
VAULT = "VAULT"
AUTH = "AUTH"


class ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` plus nameko's ``${VAR:default}`` substitution."""


ConfigLoader.add_constructor("!env_var", env_var_constructor)
ConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)


def load_config(path):
    """The config mapping of the YAML file at ``path``, environment variables substituted."""
    with open(path) as stream:
        return yaml.load(stream, Loader=ConfigLoader)  # noqa: S506 - a SafeLoader subclass
