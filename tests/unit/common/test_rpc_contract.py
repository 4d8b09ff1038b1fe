"""The per-service schemas of the published RPC contract (``<service>/contract.py``) against the code:
exactly one entry per served method, the arguments of each entry those of the method, every event a
service dispatches declared, and every schema a valid JSON Schema 2020-12."""
import importlib
import inspect
import re

import pytest
from jsonschema import Draft202012Validator

from anchang_common.contract import PII, MethodContract, load, served_methods
from anchang_common.permissions import SERVICES
from tests.conftest import REPO

DISPATCHED = re.compile(r"""events\.dispatch\(\s*(?:EVENT_OF_LEVEL\[[^]]*\]|["']([a-z_]+\.[a-z_]+)["'])""")


def service_class(service):
    return importlib.import_module(f"{service}.service").Service


def contract_gaps(served, methods):
    """``(served without an entry, entries not served)``."""
    return sorted(set(served) - set(methods)), sorted(set(methods) - set(served))


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_method_has_exactly_one_entry_and_every_entry_is_served(service):
    methods, _ = load(service)
    assert all(isinstance(entry, MethodContract) for entry in methods.values())
    assert contract_gaps(served_methods(service_class(service)), methods) == ([], [])


def test_a_method_without_an_entry_or_an_entry_without_a_method_is_reported():
    """The check above can fail: a served method missing from the contract, or one too many."""
    methods, _ = load("staff")
    served = served_methods(service_class("staff"))
    fewer = {name: entry for name, entry in methods.items() if name != "get_staff"}
    assert contract_gaps(served, fewer) == (["get_staff"], [])
    assert contract_gaps(served, methods | {"fire": methods["get_staff"]}) == ([], ["fire"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_entry_names_the_methods_arguments_and_which_are_required(service):
    methods, _ = load(service)
    cls = service_class(service)
    for name, entry in methods.items():
        signature = inspect.signature(inspect.unwrap(getattr(cls, name)))
        arguments = [p for p in list(signature.parameters.values())[1:]]
        assert entry.argument_names == [p.name for p in arguments], name
        assert entry.required_arguments == [p.name for p in arguments if p.default is inspect.Parameter.empty], name
        assert entry.params.get("additionalProperties") is False, name
        assert entry.summary.strip(), name


@pytest.mark.parametrize("service", SERVICES)
def test_every_schema_is_valid_json_schema_2020_12(service):
    methods, events = load(service)
    for entry in methods.values():
        Draft202012Validator.check_schema(entry.params)
        Draft202012Validator.check_schema(entry.result)
    for event_type, data in events.items():
        Draft202012Validator.check_schema(data)
        assert event_type.startswith(f"{service}."), event_type


@pytest.mark.parametrize("service", SERVICES)
def test_every_event_the_service_dispatches_is_declared_and_every_declared_one_dispatched(service):
    _, events = load(service)
    source = "\n".join(path.read_text() for path in (REPO / "services" / service / service).glob("*.py"))
    dispatched = {m.group(1) for m in DISPATCHED.finditer(source) if m.group(1)}
    if service == "ticket":  # the escalation timer's names come from a table
        dispatched |= set(importlib.import_module("ticket.escalation").EVENT_OF_LEVEL.values())
    if service == "staff":  # the daily scans return their event type with the data
        dispatched |= {"staff.certificate_expiring", "staff.security_acknowledgment_lapsed"}
    assert dispatched == set(events)


def marked_pii(schema, path=""):
    """Paths of the fields ``schema`` marks as personal data."""
    found = [path] if isinstance(schema, dict) and schema.get(PII) else []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    found += marked_pii(sub, f"{path}.{name}")
            elif key in ("items", "additionalProperties", "anyOf"):
                for sub in value if isinstance(value, list) else [value]:
                    found += marked_pii(sub, f"{path}[]")
    return found


def test_personal_data_is_marked_where_it_travels():
    """The fields that carry PII in plaintext (docs/contract/client_vault.md#how-the-data-is-kept) are
    marked, so leak scans and fuzzers know them; no event carries any."""
    expected = {
        ("client_vault", "register_client"): {".profile.name", ".profile.phone", ".profile.id_number",
                                              ".profile.address"},
        ("client_vault", "add_note"): {".text"},
        ("ticket", "open_ticket"): {".ticket.description"},
        ("ticket", "respond"): {".message"},
        ("staff", "login"): {".password"},
        ("staff", "hire"): {".password"},
    }
    for (service, method), fields in expected.items():
        methods, _ = load(service)
        assert fields <= set(marked_pii(methods[method].params)), (service, method)
    cv, _ = load("client_vault")
    assert {".name", ".phone", ".id_number", ".address"} <= set(marked_pii(cv["reveal"].result))
    assert not marked_pii(cv["get_client"].result)  # masked views carry no PII
    for service in SERVICES:
        _, events = load(service)
        assert not any(marked_pii(data) for data in events.values())
