"""Fixtures of the integration tests: the compose file (parsed once per module) and the real staff
service with its bootstrap admin."""
import pytest
import yaml

from staff.bootstrap import seed_admin
from tests.integration.accounts import ADMIN_PASSWORD
from tests.integration.container_files import COMPOSE_FILE


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture
def staff(harness):
    """The real staff service, with the bootstrap ``admin`` seeded (password ``ADMIN_PASSWORD``)."""
    service = harness.start("staff")
    seed_admin(service.config["DATABASE_URL"], ADMIN_PASSWORD)
    return service


@pytest.fixture
def admin(harness, staff):
    """A token of the bootstrap admin."""
    with harness.rpc() as rpc:
        return rpc.staff.login("admin", ADMIN_PASSWORD)["token"]
