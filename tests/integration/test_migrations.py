"""Each service's migrations produce exactly the schema its models declare (Alembic's autogenerate
comparison finds nothing to change), on SQLite and PostgreSQL."""
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from anchang_common.db import make_engine
from anchang_common.permissions import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_migrated_schema_matches_the_models(service, database_url):
    metadata = importlib.import_module(f"{service}.models").Base.metadata
    engine = make_engine(database_url(service))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
