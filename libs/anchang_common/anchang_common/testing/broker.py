"""A throwaway vhost on a real RabbitMQ with broker permissions applied, for tests.

``permissioned_vhost`` imports a definitions document (RabbitMQ's definitions format, e.g. Anchang's
``deploy/rabbitmq/definitions.json`` through its loader) into a new vhost through the management
API, with fresh random passwords and a user-name prefix unique to this call, so that parallel runs
and the broker's own users are never touched. It yields the AMQP URI of each user and removes the
vhost and the users afterwards.
"""
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests

TIMEOUT_SECONDS = 10


@dataclass
class PermissionedVhost:
    vhost: str
    user_prefix: str
    uris: dict = field(default_factory=dict)  # user name as in the definitions file -> AMQP URI

    def uri(self, user):
        return self.uris[user]


class ManagementApi:
    """The few calls of RabbitMQ's HTTP API this module needs; ``api_uri`` carries the credentials."""

    def __init__(self, api_uri):
        parts = urlsplit(api_uri)
        self.base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 15672}", "", "", ""))
        self.auth = (parts.username or "guest", parts.password or "guest")

    def request(self, method, path, **kwargs):
        response = requests.request(method, self.base + path, auth=self.auth, timeout=TIMEOUT_SECONDS,
                                    **kwargs)
        response.raise_for_status()
        return response

    def delete(self, path):
        response = requests.delete(self.base + path, auth=self.auth, timeout=TIMEOUT_SECONDS)
        if response.status_code != 404:
            response.raise_for_status()

    def import_definitions(self, document):
        self.request("POST", "/api/definitions", json=document)

    def delete_vhost(self, vhost):
        self.delete(f"/api/vhosts/{quote(vhost, safe='')}")

    def delete_user(self, name):
        self.delete(f"/api/users/{quote(name, safe='')}")


def amqp_uri_for(amqp_uri, user, password, vhost):
    parts = urlsplit(amqp_uri)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5672}"
    return urlunsplit((parts.scheme, netloc, "/" + quote(vhost, safe=""), parts.query, ""))


@contextmanager
def permissioned_vhost(api_uri, amqp_uri, load, users):
    """``load(vhost=, user_prefix=, passwords=)`` → definitions; ``users``: their names in the file.

    Yields a ``PermissionedVhost`` whose ``uri(name)`` logs in as that user into the new vhost.
    """
    token = uuid.uuid4().hex[:10]
    vhost = f"anchang_perm_{token}"
    prefix = f"anchang-test-{token}-"
    passwords = {name: secrets.token_urlsafe(18) for name in users}
    document = load(vhost=vhost, user_prefix=prefix, passwords=passwords)
    created = [user["name"] for user in document["users"]]
    strangers = [name for name in created if not name.startswith(prefix)]
    if strangers:  # importing would overwrite users this test does not own
        raise ValueError(f"definitions name users outside the test prefix: {strangers}")
    if {v["name"] for v in document["vhosts"]} != {vhost}:
        raise ValueError("definitions name vhosts other than the test's own")
    api = ManagementApi(api_uri)
    try:
        api.import_definitions(document)
        yield PermissionedVhost(vhost, prefix, {
            name: amqp_uri_for(amqp_uri, prefix + name, password, vhost)
            for name, password in passwords.items()})
    finally:
        api.delete_vhost(vhost)
        for name in created:
            api.delete_user(name)
