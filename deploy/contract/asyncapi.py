"""``docs/asyncapi.yaml``: the RPC methods and events of every service as an AsyncAPI 3.0 document,
built from the services' own schemas (``<service>/contract.py``) and permission tables.

The document takes a caller's point of view: it sends requests to ``nameko-rpc`` with the routing key
``<service>.<method>`` and receives their replies on its own reply key, and receives events from
``<service>.events``. nameko's wire format is described once (the request and reply envelopes, the
context headers) and each method's own schemas go inside it. Schemas stay within what JSON Schema
draft-07 and 2020-12 read alike, so that AsyncAPI's default schema format (a draft-07 superset) takes
them as they are.
"""
import yaml

from anchang_common.contract import event_envelope, load, string
from anchang_common.errors import EXPECTED_ERRORS, InternalError
from anchang_common.permissions import SERVICES, load_tables

ASYNCAPI_VERSION = "3.0.0"
CONTRACT_VERSION = "0.1.0"
RPC_EXCHANGE = "nameko-rpc"
AMQP_BINDING_VERSION = "0.3.0"
#: what ``error.exc_type`` may be: the contract's errors, and nameko's own for a request it cannot route
ERROR_TYPES = [e.__name__ for e in EXPECTED_ERRORS] + [InternalError.__name__, "MethodNotFound", "MalformedRequest"]
BEARER = string(8, pattern=r"^[Bb][Ee][Aa][Rr][Ee][Rr] \S+$")

DESCRIPTION = """\
Every RPC method and every event of Anchang's four services (staff, client_vault, ticket, appraisal),
from the point of view of a caller, in any language: nameko RPC over AMQP 0-9-1 (RabbitMQ).

- A request is a JSON message published to the topic exchange `nameko-rpc` with the routing key
  `<service>.<method>`, the AMQP properties `reply_to` (the caller's reply routing key) and
  `correlation_id`, `content_type: application/json`, and the context headers: the caller's access
  token as `nameko.authorization: Bearer <token>` (from `staff.login`).
- The reply comes back on `nameko-rpc` with the routing key the request's `reply_to` named, to the
  caller's own queue bound with that key, carrying the request's `correlation_id`:
  `{"result": ..., "error": null}` or `{"result": null, "error": {"exc_type", "value", ...}}`.
- Events are published to the topic exchange `<service>.events` with the event's name as the routing
  key (`changed` for `staff.changed`), each an envelope `{event_id, type, occurred_at, version, data}`.

The wire format, with a working Node.js example: docs/rpc.md. Fields marked `x-pii: true` carry
personal data in plaintext. Generated from `services/<service>/<service>/contract.py` by
`python -m deploy.contract`; do not edit by hand."""


def _amqp_exchange(name):
    return {"name": name, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}


def _channel_bindings(exchange):
    return {"amqp": {"is": "routingKey", "exchange": _amqp_exchange(exchange), "bindingVersion": AMQP_BINDING_VERSION}}


def _bindings_name(exchange):
    return exchange.replace(".", "_")


def _ref(*path):
    return {"$ref": "#/" + "/".join(path)}


def request_payload(name, entry):
    """nameko's request envelope around ``<name>.params``: every argument by name in ``kwargs`` and
    ``args`` empty (the form for any language), or, as Python's nameko proxies also send, the leading
    arguments by position in ``args`` (in the order of the ``params`` properties) and the rest by name."""
    by_name = {"type": "object", "required": ["args", "kwargs"], "additionalProperties": False,
               "properties": {"args": {"type": "array", "maxItems": 0},
                              "kwargs": _ref("components", "schemas", f"{name}.params")}}
    positions = {"type": "object", "required": ["args", "kwargs"], "additionalProperties": False,
                 "properties": {"args": {"type": "array", "minItems": 1, "maxItems": len(entry.argument_names)},
                                "kwargs": {"type": "object"}},
                 "description": "positional form: bound to the names in order, then checked against "
                                f"`{name}.params`"}
    if not entry.argument_names:
        return by_name
    return {"oneOf": [by_name, positions]}


def error_schema():
    return {
        "type": "object", "required": ["exc_type", "exc_path", "exc_args", "value"],
        "properties": {
            "exc_type": {"type": "string", "enum": ERROR_TYPES,
                         "description": "the contract's error type (docs/contract/rpc.md#errors)"},
            "exc_path": {"type": "string", "description": "the Python class of the error (informative)"},
            "exc_args": {"type": "array"},
            "value": {"type": "string", "description": "the message: names fields and ids, never PII"},
        },
    }


def reply_payload(result_ref):
    return {"oneOf": [
        {"type": "object", "required": ["result", "error"], "additionalProperties": False,
         "properties": {"result": result_ref, "error": {"type": "null"}}},
        {"type": "object", "required": ["result", "error"], "additionalProperties": False,
         "properties": {"result": {"type": "null"}, "error": _ref("components", "schemas", "rpcError")}},
    ]}


def request_headers():
    return {
        "type": "object",
        "properties": {
            "nameko.authorization": BEARER | {
                "description": "the caller's access token from `staff.login`, as `Bearer <token>`; every "
                               "method but `staff.login` needs it (a secret: never log it)"},
            "nameko.service_authorization": BEARER | {
                "description": "a service's Vault identity token, between Anchang services only"},
            "nameko.call_id_stack": {"type": "array", "items": {"type": "string"},
                                     "description": "tracing: the call ids leading to this call (optional)"},
        },
        "additionalProperties": True,
    }


def event_headers():
    return {"type": "object", "additionalProperties": False, "properties": {
        "nameko.call_id_stack": {"type": "array", "items": {"type": "string"},
                                 "description": "tracing only; events carry no token"}}}


def hoist(schema, service, named):
    """``schema`` with every named shape in it (one with a ``title``) replaced by a ``$ref`` to
    ``components/schemas/<service>.<title>``, recorded in ``named``; one title, one shape."""
    if isinstance(schema, list):
        return [hoist(item, service, named) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inner = {key: hoist(value, service, named) if key not in ("enum", "const", "examples", "required") else value
             for key, value in schema.items()}
    if "title" not in schema or not isinstance(schema["title"], str):
        return inner
    name = f"{service}.{schema['title']}"
    if named.setdefault(name, inner) != inner:
        raise ValueError(f"two different schemas are titled {name}")
    return _ref("components", "schemas", name)


def _method_description(entry, permission):
    lines = [f"Callers: {permission.describe_callers()}."]
    rules = [rule.description for rule in permission.rules] + list(permission.notes)
    if rules:
        lines.append("Rules: " + "; ".join(rules) + ".")
    if entry.idempotent:
        lines.append("Idempotent per caller with `idempotency_key` (docs/contract/rpc.md#idempotency).")
    return "\n".join(lines)


def document():
    """The AsyncAPI document, as a dict (insertion order is the order written)."""
    channels, operations, messages, schemas, named = {}, {}, {}, {}, {}
    reply_messages = {}
    tables = load_tables()
    for service in SERVICES:
        methods, events = load(service)
        for method in sorted(methods):
            entry, name = methods[method], f"{service}.{method}"
            schemas[f"{name}.params"] = hoist(entry.params, service, named)
            schemas[f"{name}.result"] = hoist(entry.result, service, named)
            messages[f"{name}.request"] = {
                "name": f"{name}.request", "title": f"{name} request", "summary": entry.summary,
                "contentType": "application/json",
                "headers": _ref("components", "schemas", "rpcRequestHeaders"),
                "correlationId": _ref("components", "correlationIds", "rpc"),
                "payload": request_payload(name, entry),
            }
            messages[f"{name}.reply"] = {
                "name": f"{name}.reply", "title": f"{name} reply", "contentType": "application/json",
                "correlationId": _ref("components", "correlationIds", "rpc"),
                "payload": reply_payload(_ref("components", "schemas", f"{name}.result")),
            }
            reply_messages[f"{name}.reply"] = _ref("components", "messages", f"{name}.reply")
            channels[name] = {
                "address": name, "title": f"{name} requests",
                "description": f"Requests to `{name}`: routing key `{name}` on the exchange `{RPC_EXCHANGE}`.",
                "messages": {"request": _ref("components", "messages", f"{name}.request")},
                "bindings": _ref("components", "channelBindings", _bindings_name(RPC_EXCHANGE)),
            }
            operations[name] = {
                "action": "send", "channel": _ref("channels", name), "title": name,
                "summary": entry.summary, "description": _method_description(entry, tables[service][method]),
                "tags": [{"name": service}],
                "messages": [_ref("channels", name, "messages", "request")],
                "reply": {"address": _ref("components", "replyAddresses", "replyTo"),
                          "channel": _ref("channels", "rpcReplies"),
                          "messages": [_ref("channels", "rpcReplies", "messages", f"{name}.reply")]},
            }
        for event_type in sorted(events):
            _, event = event_type.split(".", 1)
            channel = f"{service}.events.{event}"
            schemas[f"{event_type}.data"] = hoist(events[event_type], service, named)
            messages[event_type] = {
                "name": event_type, "title": event_type, "contentType": "application/json",
                "headers": _ref("components", "schemas", "eventHeaders"),
                "payload": event_envelope(event_type, _ref("components", "schemas", f"{event_type}.data")),
            }
            channels[channel] = {
                "address": event, "title": event_type,
                "description": f"`{event_type}`: routing key `{event}` on the exchange `{service}.events`.",
                "messages": {event_type: _ref("components", "messages", event_type)},
                "bindings": _ref("components", "channelBindings", _bindings_name(f"{service}.events")),
            }
            operations[event_type] = {
                "action": "receive", "channel": _ref("channels", channel), "title": event_type,
                "summary": f"`{service}` announces `{event_type}` (docs/contract/events.md).",
                "tags": [{"name": service}, {"name": "events"}],
                "messages": [_ref("channels", channel, "messages", event_type)],
            }
    channels["rpcReplies"] = {
        "address": None, "title": "RPC replies",
        "description": f"Replies, published to `{RPC_EXCHANGE}` with the routing key the request's `reply_to` "
                       "named (a lowercase uuid4), to the caller's own queue `rpc.reply-<name>-<uuid4>` bound "
                       "with that key; matched to the request by `correlation_id`.",
        "messages": reply_messages,
        "bindings": _ref("components", "channelBindings", _bindings_name(RPC_EXCHANGE)),
    }
    schemas = {"rpcRequestHeaders": request_headers(), "eventHeaders": event_headers(), "rpcError": error_schema(),
               **dict(sorted(named.items())), **schemas}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "Anchang RPC API and events", "version": CONTRACT_VERSION, "description": DESCRIPTION,
                 "license": {"name": "Proprietary"},
                 "tags": [{"name": s, "description": f"the `{s}` service"} for s in SERVICES]
                 + [{"name": "events", "description": "events a caller may subscribe to"}]},
        "defaultContentType": "application/json",
        "servers": {"local": {
            "host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
            "description": "the broker of `make run` (`AMQP_URI`); in production `amqps` with the `caller` user",
            "security": [_ref("components", "securitySchemes", "broker")]}},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "channelBindings": {_bindings_name(exchange): _channel_bindings(exchange)
                                for exchange in [RPC_EXCHANGE] + [f"{s}.events" for s in SERVICES]},
            "securitySchemes": {"broker": {
                "type": "userPassword",
                "description": "the broker user (`caller` for clients, deploy/rabbitmq/README.md); the "
                               "access token travels in the `nameko.authorization` header"}},
            "correlationIds": {"rpc": {
                "description": "the AMQP property `correlation_id` of the request, copied onto its reply",
                "location": "$message.header#/correlation_id"}},
            "replyAddresses": {"replyTo": {
                "description": "the AMQP property `reply_to` of the request: the routing key the reply is "
                               "published with on `nameko-rpc`",
                "location": "$message.header#/reply_to"}},
        },
    }


class _Dumper(yaml.SafeDumper):
    """Writes every shared schema out in full (no YAML anchors and aliases), and a mapping or a list of
    plain values on one line."""

    def ignore_aliases(self, data):
        return True

    def represent_dict(self, data):
        flat = all(not isinstance(value, dict | list) for value in data.values())
        return self.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat and len(data) < 8)

    def represent_str(self, data):
        return self.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    def represent_list(self, data):
        flat = all(not isinstance(value, dict | list) for value in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(dict, _Dumper.represent_dict)
_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(str, _Dumper.represent_str)


HEADER = "# Generated by `python -m deploy.contract` from services/<service>/<service>/contract.py: do not edit.\n"


def render():
    return HEADER + yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
