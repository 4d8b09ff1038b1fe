"""Fixtures of the static container tests: the compose file, parsed once per module."""
import pytest
import yaml

from tests.integration.container_files import COMPOSE_FILE


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]
