"""The published RPC contract: a JSON Schema (2020-12) of every RPC method's keyword arguments and
result, and of every event's ``data``, declared by each service in ``<service>/contract.py``::

    METHODS = {"get_staff": MethodContract(params=params(required={"staff_id": ID}), result=STAFF_VIEW,
                                           summary="One member's record, no secrets.")}
    EVENTS = {"staff.activated": obj(required={"staff_id": ID})}

``docs/asyncapi.yaml`` and the typed Python client (``clients/python``) are generated from these
(``python -m deploy.contract``); tests check that every served method has exactly one entry, that
real replies and events match them, and that the generated files are current (docs/rpc.md).

Fields that carry personal data are marked ``"x-pii": true`` (``pii(...)``), so that leak scans and
fuzzers know them. Everything here is plain data and builders of it: no validation at run time.
"""
import importlib
from dataclasses import dataclass

from anchang_common.parsing import ID_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: the mark of a field holding personal data (a client's name, phone, a ticket's text, a password)
PII = "x-pii"
#: the keyword of an argument that makes a creating call idempotent (docs/contract/rpc.md#idempotency)
IDEMPOTENCY_KEY = "idempotency_key"


@dataclass(frozen=True)
class MethodContract:
    """One RPC method: ``params`` is the JSON Schema of its keyword-arguments object (every argument
    by name, as ``{"args": [], "kwargs": {...}}`` carries them), ``result`` that of its reply's
    ``result``; ``summary`` one sentence for the reader."""

    params: dict
    result: dict
    summary: str

    @property
    def idempotent(self):
        return IDEMPOTENCY_KEY in self.params.get("properties", {})

    @property
    def argument_names(self):
        return list(self.params.get("properties", {}))

    @property
    def required_arguments(self):
        return list(self.params.get("required", []))


def load(service):
    """``(METHODS, EVENTS)`` of ``service`` (its ``<service>.contract`` module)."""
    module = importlib.import_module(f"{service}.contract")
    return module.METHODS, module.EVENTS


def served_methods(service_cls):
    """Names of the RPC methods ``service_cls`` serves (its nameko ``Rpc`` entrypoints), sorted."""
    from nameko.rpc import Rpc

    names = set()
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()):
            if isinstance(entrypoint, Rpc):
                names.add(name)
    return sorted(names)


# --- builders of JSON Schema ------------------------------------------------------------------
def string(min_length=1, max_length=None, pattern=None, **extra):
    schema = {"type": "string"}
    if min_length:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    if pattern is not None:
        schema["pattern"] = pattern
    return schema | extra


def text(max_length, **extra):
    """Free text a person writes: 1..``max_length`` characters, not only spaces."""
    return string(1, max_length, r"\S", **extra)


def enum(*values, **extra):
    return {"type": "string", "enum": list(values)} | extra


def integer(minimum=None, maximum=None, **extra):
    schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema | extra


def number(minimum=None, maximum=None, **extra):
    schema = {"type": "number"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema | extra


BOOLEAN = {"type": "boolean"}
NULL = {"type": "null"}


def array(items, min_items=None, max_items=None, unique=False, **extra):
    schema = {"type": "array", "items": items}
    if min_items is not None:
        schema["minItems"] = min_items
    if max_items is not None:
        schema["maxItems"] = max_items
    if unique:
        schema["uniqueItems"] = True
    return schema | extra


def obj(required=None, optional=None, additional=False, **extra):
    """An object with ``required`` and ``optional`` properties (``{name: schema}``); other properties
    are refused unless ``additional`` (``True``, or the schema of their values)."""
    required, optional = dict(required or {}), dict(optional or {})
    schema = {"type": "object", "properties": required | optional}
    if required:
        schema["required"] = list(required)
    if additional is not True:
        schema["additionalProperties"] = additional
    return schema | extra


def mapping(values, keys=None, **extra):
    """An object used as a dictionary: any keys (matching ``keys``, a schema of strings), ``values``."""
    schema = {"type": "object", "additionalProperties": values}
    if keys is not None:
        schema["propertyNames"] = keys
    return schema | extra


def nullable(schema):
    """``schema`` or ``null`` (a named shape, one with a ``title``, stays whole: ``anyOf`` it or null)."""
    if isinstance(schema.get("type"), str) and "anyOf" not in schema and "title" not in schema:
        widened = schema | {"type": [schema["type"], "null"]}
        if "enum" in schema:
            widened["enum"] = [*schema["enum"], None]
        return widened
    return {"anyOf": [schema, NULL]}


def pii(schema):
    """``schema``, marked as personal data."""
    return schema | {PII: True}


def params(required=None, optional=None):
    """The keyword-arguments object of a method: exactly its arguments, the optional ones also as
    ``null`` (docs/contract/rpc.md#json-conventions)."""
    return obj(required, {name: nullable(schema) for name, schema in (optional or {}).items()})


# --- shared shapes ------------------------------------------------------------------------------
DATE = string(10, 10, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", format="date")
#: an ISO-8601 instant as callers may send it (an offset, ``Z``, or none: UTC)
INSTANT = string(10, 40, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                         r"(Z|[+-][0-9]{2}:[0-9]{2})?$", format="date-time")
#: an instant as the services return it: ISO-8601 in UTC
UTC_INSTANT = string(20, 40, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?\+00:00$",
                     format="date-time")
#: an id as the services make them (32 hex characters today; opaque, at most 64)
RETURNED_ID = string(1, 64, r"^[A-Za-z0-9_.:-]+$")
#: an id argument (``anchang_common.parsing.ID``)
ID = string(1, 64, f"^{ID_PATTERN}$")
#: codes people type: positions, certificates, calendars, templates, cycles (docs/contract/rpc.md)
CODE = string(2, 64, r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")
IDEMPOTENCY = {IDEMPOTENCY_KEY: string(1, 200)}
ROLES = ("agent", "supervisor", "hr", "auditor", "admin")
STATUSES = ("onboarding", "active", "suspended", "left")
TICKET_CATEGORIES = ("inquiry", "complaint", "after_sales", "repair")
#: what a string in an event's data may be: an id, an enumeration, a code, a date or an instant
EVENT_TEXT = string(0, 100, r"^[A-Za-z0-9_.:+-]*$")
EVENT_ENVELOPE_VERSION = 1


def event_envelope(event_type, data):
    """The envelope every event travels in (docs/contract/events.md#the-envelope)."""
    return obj(required={
        "event_id": string(32, 32, r"^[0-9a-f]{32}$"),
        "type": {"const": event_type},
        "occurred_at": UTC_INSTANT,
        "version": {"const": EVENT_ENVELOPE_VERSION},
        "data": data,
    })
