"""Vault stops and comes back: calls that need it fail cleanly, then recover by themselves."""
import pytest
from nameko.exceptions import RemoteError

from deploy.local.openbao import BaoServer, free_port
from deploy.vault.provision import issue_service_token, provision
from staff.bootstrap import seed_admin

PASSWORD = "correct-horse-42"


@pytest.fixture
def own_vault(tmp_path):
    """A file-backed OpenBao (keys survive a restart), as ``make run`` uses."""
    server = BaoServer(tmp_path / "vault", free_port())
    server.start()
    root = server.client()
    provision(root)
    yield server, issue_service_token(root, "staff")
    server.stop()


def test_login_while_vault_is_stopped_is_dependency_unavailable_then_recovers(harness, own_vault):
    server, staff_token = own_vault
    config = harness.config_for("staff")
    config["VAULT"].update(ADDR=server.addr, TOKEN=staff_token)
    staff = harness.start("staff", config=config)
    seed_admin(config["DATABASE_URL"], PASSWORD)

    with harness.rpc() as rpc:
        session = rpc.staff.login("admin", PASSWORD)
    assert staff.get("/health/ready").status_code == 200

    server.stop()
    with harness.rpc() as rpc:
        with pytest.raises(RemoteError) as raised:
            rpc.staff.login("admin", PASSWORD)
    assert raised.value.exc_type == "DependencyUnavailable"
    ready = staff.get("/health/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["vault"] == "unavailable"
    # tokens are verified locally with the cached public key: callers already logged in carry on
    with harness.rpc(session["token"]) as rpc:
        assert rpc.staff.get_staff(session["staff_id"])["username"] == "admin"

    server.start()  # unseals itself from its init file
    with harness.rpc() as rpc:
        assert rpc.staff.login("admin", PASSWORD)["staff_id"] == session["staff_id"]
    assert staff.get("/health/ready").status_code == 200
