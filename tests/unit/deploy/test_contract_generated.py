"""The files generated from the services' schemas (``python -m deploy.contract``): committed and
current, and the typed client's methods the contract's."""
import importlib
import inspect

import pytest
import yaml

from anchang_common.contract import load
from anchang_common.permissions import SERVICES
from deploy.contract.__main__ import generated, stale
from deploy.contract.python_client import camel
from tests.conftest import REPO

#: keywords JSON Schema 2020-12 has and draft-07 (AsyncAPI's default schema format) reads otherwise
ONLY_2020_12 = {"prefixItems", "$defs", "dependentRequired", "dependentSchemas", "unevaluatedProperties",
                "unevaluatedItems", "$anchor", "$dynamicRef", "minContains", "maxContains"}


def test_docs_asyncapi_and_the_typed_client_are_what_the_generators_produce():
    assert stale() == [], "run `make contract` (python -m deploy.contract) and commit the result"


def test_a_stale_file_is_found(tmp_path):
    for path, content in generated().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content)
    assert stale(tmp_path) == []
    (tmp_path / "docs/asyncapi.yaml").write_text((tmp_path / "docs/asyncapi.yaml").read_text() + "# edited\n")
    assert stale(tmp_path) == ["docs/asyncapi.yaml"]


def keywords(schema):
    if isinstance(schema, dict):
        found = set(schema)
        for key, value in schema.items():
            if key not in ("properties", "enum", "const", "examples"):
                found |= keywords(value)
            elif key == "properties":
                for sub in value.values():
                    found |= keywords(sub)
        return found
    if isinstance(schema, list):
        return set().union(*(keywords(item) for item in schema)) if schema else set()
    return set()


def test_the_document_uses_only_what_draft_07_and_2020_12_read_alike():
    document = yaml.safe_load((REPO / "docs/asyncapi.yaml").read_text())
    assert keywords(document["components"]["schemas"]) & ONLY_2020_12 == set()


@pytest.mark.parametrize("service", SERVICES)
def test_the_typed_client_has_each_method_with_the_contracts_arguments(service):
    methods, _ = load(service)
    client = getattr(importlib.import_module(f"anchang_client.{service}"), camel(service) + "Client")
    served = {name for name, _ in inspect.getmembers(client, inspect.isfunction) if not name.startswith("_")}
    assert served == set(methods)
    for name, entry in methods.items():
        parameters = list(inspect.signature(getattr(client, name)).parameters.values())[1:]
        assert [p.name for p in parameters] == entry.argument_names
        assert [p.name for p in parameters if p.default is inspect.Parameter.empty] == entry.required_arguments
