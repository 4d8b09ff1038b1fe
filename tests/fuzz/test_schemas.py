"""The fuzzer's strategies draw exactly what the contract's schemas allow: every keyword of every
method's schema is one ``tests.fuzz.schemas`` knows, and what it draws validates against the schema."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from anchang_common.contract import load
from tests.fuzz.schemas import strategy, unknown_keywords

METHODS = [(service, name, contract) for service in ("staff", "client_vault", "ticket", "appraisal")
           for name, contract in sorted(load(service)[0].items())]


@pytest.mark.parametrize("service, name, contract", METHODS, ids=[f"{s}.{n}" for s, n, _ in METHODS])
def test_drawn_arguments_are_valid_under_the_method_schema(service, name, contract):
    assert unknown_keywords(contract.params) == set()
    validator = Draft202012Validator(contract.params, format_checker=FormatChecker())

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data):
        kwargs = data.draw(strategy(contract.params))
        assert not list(validator.iter_errors(kwargs)), kwargs
    drawn()
