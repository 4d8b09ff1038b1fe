"""A service uses the Vault credentials its configuration names and no others: a bogus
``~/.vault-token`` and ``VAULT_TOKEN`` in the environment change nothing."""
from staff.bootstrap import seed_admin
from tests.integration.accounts import ADMIN_PASSWORD as PASSWORD


def test_ambient_vault_tokens_are_ignored(harness, monkeypatch, tmp_path):
    (tmp_path / ".vault-token").write_text("hvs.bogus-ambient-token")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("VAULT_TOKEN", "hvs.bogus-environment-token")
    service = harness.start("staff")
    seed_admin(service.config["DATABASE_URL"], PASSWORD)
    with harness.rpc() as rpc:
        session = rpc.staff.login("admin", PASSWORD)  # signs with the configured token
    with harness.rpc(session["token"]) as rpc:
        assert rpc.staff.get_staff(session["staff_id"])["username"] == "admin"
