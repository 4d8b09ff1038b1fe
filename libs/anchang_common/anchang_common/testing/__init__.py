"""Test helpers: start real service containers and call them as a client would."""
import importlib
from contextlib import contextmanager
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from anchang_common.auth import CONTEXT_KEY
from anchang_common.config import load_config


def service_config(service, amqp_uri, database_url, web_server_address, vault_addr, vault_token, **overrides):
    """``service``'s own ``config.yaml`` (its production logging included), pointed at a test's
    broker, database, HTTP address and Vault."""
    package = Path(importlib.import_module(service).__file__).parent
    config = load_config(package.parent / "config.yaml")
    config.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url, WEB_SERVER_ADDRESS=web_server_address,
                  **overrides)
    config["VAULT"].update(ADDR=vault_addr, TOKEN=vault_token, TOKEN_FILE=None)
    return config


class RunningService:
    def __init__(self, name, container, config):
        self.name = name
        self.container = container
        self.config = config

    @property
    def http_url(self):
        return f"http://{self.config['WEB_SERVER_ADDRESS']}"

    def get(self, path, **kwargs):
        return requests.get(self.http_url + path, timeout=10, **kwargs)


class ServiceHarness:
    """Starts the services a test needs and gives it RPC proxies with or without a token."""

    def __init__(self, container_factory, config_for, amqp_uri):
        self.container_factory = container_factory
        self.config_for = config_for  # name -> a fresh config (its own new database)
        self.amqp_uri = amqp_uri
        self.services = {}
        self._proxies = []

    def start(self, name, service_cls=None, config=None):
        if service_cls is None:
            service_cls = importlib.import_module(f"{name}.service").Service
        config = config or self.config_for(name)
        container = self.container_factory(service_cls, config)
        container.start()
        self.services[name] = RunningService(name, container, config)
        return self.services[name]

    @contextmanager
    def rpc(self, token=None, timeout=20):
        """A ``ClusterRpcProxy``; with ``token``, calls carry it as the caller's identity."""
        context = {CONTEXT_KEY: f"Bearer {token}"} if token else None
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, context_data=context, timeout=timeout) as proxy:
            yield proxy

    def close(self):
        for service in self.services.values():
            try:
                service.container.kill()
            except Exception:  # already dead: the test may have killed it
                pass
