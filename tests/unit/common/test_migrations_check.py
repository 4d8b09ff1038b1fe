"""``python -m anchang_common.migrations <service> --check``: the init container of the Kubernetes
pods (docs/deploy.md#rollout-order) changes nothing and says ready only at head or past it."""
import sqlalchemy as sa

from anchang_common.migrations import main, schema_ready, upgrade


def test_ready_only_once_migrated(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    ready, why = schema_ready("staff", url)
    assert not ready and "no revision" in why
    try:
        main(["staff", "--check", "--url", url])
    except SystemExit as exit_:
        assert exit_.code == 1
    assert "not ready" in capsys.readouterr().out
    upgrade("staff", url)
    assert schema_ready("staff", url)[0]


def test_a_newer_schema_is_ready_for_a_rollback(tmp_path):
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    upgrade("staff", url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    engine.dispose()
    ready, why = schema_ready("staff", url)
    assert ready and "newer" in why


def test_an_unreachable_database_is_not_ready(tmp_path):
    from anchang_common.migrations import wait_for_schema
    ready, why = wait_for_schema("staff", "postgresql+psycopg2://u:p@127.0.0.1:1/nothing", wait_seconds=0)
    assert not ready and "not reachable" in why
